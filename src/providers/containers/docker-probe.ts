import { errorMessage } from "../../common/errors.js";

export interface DockerProbe {
  available: boolean;
  /** Why not, in testcontainers' own words, or the engine's version when it answers. */
  detail: string;
}

/**
 * Asks testcontainers' own runtime discovery (DOCKER_HOST, ~/.testcontainers.properties, the
 * unix socket, rootless sockets), so we never disagree with it about whether Docker is there.
 */
export async function probeDocker(timeoutMs = 5000): Promise<DockerProbe> {
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    const client = await Promise.race([
      getContainerRuntimeClient(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
    const info = client.info.containerRuntime;
    return { available: true, detail: `${info.host} (${client.info.node.version ?? "unknown"} node)` };
  } catch (err) {
    return { available: false, detail: `no Docker engine: ${errorMessage(err)}` };
  }
}
