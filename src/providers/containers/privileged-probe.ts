import { isMissing, locate } from "../../binaries/locate.js";
import { errorMessage, firstLine } from "../../common/errors.js";
import { buildLocalEtcdImage, presentEtcdImage } from "./images.js";
import { ownerLabels, testcontainers } from "./runtime.js";

export interface PrivilegedProbe {
  allowed: boolean;
  /** The engine's own error when refused, or what ran. */
  detail: string;
}

let cached: Promise<PrivilegedProbe> | undefined;

/**
 * Runs one short-lived privileged container (`etcd --version` from an etcd image the engine has, or
 * storeshift's build of the etcd binary it already has; never a pull) and reports whether the engine allowed it. kind's node containers need
 * privileged mode; a sandbox that drops capabilities refuses them at create/start time.
 */
export function probePrivilegedContainers(): Promise<PrivilegedProbe> {
  cached ??= runProbe();
  return cached;
}

async function runProbe(): Promise<PrivilegedProbe> {
  const { getContainerRuntimeClient } = await testcontainers();
  const client = await getContainerRuntimeClient();
  const dockerode = client.container.dockerode;
  let image = await presentEtcdImage("3.6");
  if (!image) {
    // build storeshift's etcd image only from a binary that is already there: a probe installs nothing
    const etcd = await locate("etcd");
    if (isMissing(etcd)) return { allowed: false, detail: `not probed: no etcd image and ${etcd.reason}` };
    try {
      image = (await buildLocalEtcdImage("3.6")).image;
    } catch (err) {
      return { allowed: false, detail: `not probed: ${firstLine(errorMessage(err))}` };
    }
  }
  const container = await dockerode.createContainer({
    Image: image,
    Cmd: ["/usr/local/bin/etcd", "--version"],
    Labels: ownerLabels("privileged probe"),
    HostConfig: { Privileged: true, NetworkMode: "host" },
  });
  try {
    await container.start();
    const exit = (await container.wait()) as { StatusCode: number };
    return exit.StatusCode === 0
      ? { allowed: true, detail: `a privileged container ran (${image})` }
      : { allowed: false, detail: `a privileged container exited ${exit.StatusCode}` };
  } catch (err) {
    // the engine's JSON error: "(HTTP code 500) server error - <runc's reason>"
    const reason = firstLine(errorMessage(err)).replace(/^\(HTTP code \d+\)\s*server error\s*-\s*/, "");
    return { allowed: false, detail: `the engine refuses privileged containers: ${reason.trim()}` };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
