import { locateKind } from "../../binaries/kind.js";
import { probeDocker } from "../containers/docker-probe.js";
import { probePrivilegedContainers } from "../containers/privileged-probe.js";

export interface KindUsability {
  usable: boolean;
  /** The kind executable, when on PATH. */
  executable?: string;
  /** Why kind cannot create a cluster here, every reason found; or what makes it usable. */
  reason: string;
}

let cached: Promise<KindUsability> | undefined;

/**
 * Can `kind create cluster` work on this machine? It needs the kind CLI, a Docker engine, and an
 * engine that runs privileged containers (kind's node containers are privileged). Each missing
 * piece is named, with the engine's own refusal when that is the reason.
 */
export function probeKind(): Promise<KindUsability> {
  cached ??= runProbe();
  return cached;
}

async function runProbe(): Promise<KindUsability> {
  const reasons: string[] = [];
  const executable = (await locateKind())?.path;
  const docker = await probeDocker();
  if (!docker.available) reasons.push(docker.detail);
  else {
    const privileged = await probePrivilegedContainers();
    if (!privileged.allowed) reasons.push(`kind's node containers run privileged and ${privileged.detail}`);
  }
  if (!executable)
    reasons.push(
      "no kind executable ($KIND, PATH or the cache; `storeshift install --tool kind` builds one)",
    );
  if (reasons.length > 0)
    return { usable: false, executable, reason: `kind cannot run: ${reasons.join("; ")}` };
  return { usable: true, executable, reason: `kind at ${executable}; privileged containers allowed` };
}
