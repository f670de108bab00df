import { errorMessage } from "../../common/errors.js";
import { testcontainers } from "./runtime.js";

export interface DockerProbe {
  available: boolean;
  /** Why not, in testcontainers' own words, or the engine's version when it answers. */
  detail: string;
}

/**
 * Asks testcontainers' own runtime discovery (DOCKER_HOST, ~/.testcontainers.properties, the
 * unix socket, rootless sockets), so we never disagree with it about whether Docker is there. It is
 * configured first: without the host override it looks for a bridge network's gateway, which an
 * engine started with `--bridge=none` does not have.
 */
export async function probeDocker(timeoutMs = 5000): Promise<DockerProbe> {
  try {
    const { getContainerRuntimeClient } = await testcontainers();
    const client = await Promise.race([
      getContainerRuntimeClient(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
    const info = client.info.containerRuntime;
    return {
      available: true,
      detail: `${info.remoteSocketPath} (engine ${info.serverVersion}, ${info.operatingSystem}; containers reached at ${info.host})`,
    };
  } catch (err) {
    return { available: false, detail: `no Docker engine: ${errorMessage(err)}` };
  }
}
