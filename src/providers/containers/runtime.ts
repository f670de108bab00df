import { defaultForThirdParty, envVar } from "../../common/environment.js";
import { errorMessage } from "../../common/errors.js";
import { log } from "../../common/log.js";

/** Every container storeshift starts carries these labels, so it can find and remove its own. */
export const OWNER_LABEL = "io.storeshift.owner-pid";
export const PURPOSE_LABEL = "io.storeshift.purpose";
/** Containers started together (the members of one cluster) share this label's value. */
export const GROUP_LABEL = "io.storeshift.group";

let configured = false;

/**
 * Settles testcontainers' environment before its first use.
 *
 * Ryuk (testcontainers' reaper) is off unless the user chose otherwise: its image comes from Docker
 * Hub, which may not answer, and it is reached through a port published on a bridge network, which
 * storeshift's engine setup does not create (scripts/docker-engine.sh). storeshift removes its own
 * containers instead: by handle on stop(), on SIGINT/SIGTERM through the cleanup registry, and by
 * label for containers whose owner process is gone (removeOrphanedContainers).
 *
 * Containers use the host's network and bind 127.0.0.1, so the host testcontainers reports is that.
 */
export function configureTestcontainers(): void {
  if (configured) return;
  configured = true;
  if (envVar("TESTCONTAINERS_RYUK_DISABLED") === undefined) {
    defaultForThirdParty("TESTCONTAINERS_RYUK_DISABLED", "true");
    log.debug(
      "testcontainers: Ryuk disabled (its image may not be pullable and it needs a bridge network); " +
        "storeshift removes its own containers by handle and by label",
    );
  }
  defaultForThirdParty("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1");
}

export async function testcontainers(): Promise<typeof import("testcontainers")> {
  configureTestcontainers();
  return import("testcontainers");
}

export function ownerLabels(purpose: string): Record<string, string> {
  return { [OWNER_LABEL]: String(process.pid), [PURPOSE_LABEL]: purpose };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes containers a storeshift process started and did not stop because it was killed outright
 * (SIGKILL, OOM): its owner pid no longer runs. Containers of live storeshift processes are left alone.
 * Returns the names removed.
 */
export async function removeOrphanedContainers(): Promise<string[]> {
  const { getContainerRuntimeClient } = await testcontainers();
  const client = await getContainerRuntimeClient();
  const all = await client.container.dockerode.listContainers({
    all: true,
    filters: { label: [OWNER_LABEL] },
  });
  const removed: string[] = [];
  for (const info of all) {
    const owner = Number(info.Labels[OWNER_LABEL]);
    if (!Number.isInteger(owner) || owner <= 0 || processAlive(owner)) continue;
    const name = info.Names[0]?.replace(/^\//, "") ?? info.Id.slice(0, 12);
    try {
      await client.container.dockerode.getContainer(info.Id).remove({ force: true, v: true });
      removed.push(name);
    } catch (err) {
      log.warn(`remove orphaned container ${name} (owner pid ${owner} is gone): ${errorMessage(err)}`);
    }
  }
  if (removed.length > 0)
    log.info(`removed ${removed.length} container(s) left by ended runs: ${removed.join(", ")}`);
  return removed;
}

/** Force-removes every container (running or not) whose `label` has `value`; returns how many. */
export async function removeContainersLabelled(label: string, value: string): Promise<number> {
  const { getContainerRuntimeClient } = await testcontainers();
  const client = await getContainerRuntimeClient();
  const found = await client.container.dockerode.listContainers({
    all: true,
    filters: { label: [`${label}=${value}`] },
  });
  await Promise.all(
    found.map((c) =>
      client.container.dockerode
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((err: { statusCode?: number }) => {
          // 404: already gone; 409: removal already in progress
          if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
        }),
    ),
  );
  return found.length;
}
