import { registerCleanup } from "../../common/cleanup.js";
import { StoreshiftError } from "../../common/errors.js";

export const DEFAULT_ETCD_IMAGE = process.env.STORESHIFT_ETCD_IMAGE ?? "quay.io/coreos/etcd:v3.6.16";

export interface StartedEtcdContainer {
  image: string;
  endpoints: string[];
  stop(): Promise<void>;
}

/** The container command: single member, listening inside the container, advertised on the mapped port. */
export function etcdContainerCommand(options: { enableV2?: boolean } = {}): string[] {
  const cmd = [
    "etcd",
    "--name=storeshift",
    "--data-dir=/etcd-data",
    "--listen-client-urls=http://0.0.0.0:2379",
    "--advertise-client-urls=http://0.0.0.0:2379",
  ];
  if (options.enableV2) cmd.push("--enable-v2=true");
  return cmd;
}

/** etcd in a container through testcontainers; needs a Docker engine (see probeDocker). */
export async function startEtcdContainer(
  options: { image?: string; enableV2?: boolean } = {},
): Promise<StartedEtcdContainer> {
  const image = options.image ?? DEFAULT_ETCD_IMAGE;
  const { GenericContainer, Wait } = await import("testcontainers");
  try {
    const container = await new GenericContainer(image)
      .withExposedPorts(2379)
      .withCommand(etcdContainerCommand(options))
      .withWaitStrategy(Wait.forHttp("/health", 2379).forStatusCode(200))
      .start();
    const endpoint = `http://${container.getHost()}:${container.getMappedPort(2379)}`;
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      unregister();
      await container.stop();
    };
    const unregister = registerCleanup(`etcd container ${image}`, stop);
    return { image, endpoints: [endpoint], stop };
  } catch (err) {
    throw new StoreshiftError(`start etcd container ${image}: ${(err as Error).message.split("\n")[0]}`, {
      cause: err,
    });
  }
}
