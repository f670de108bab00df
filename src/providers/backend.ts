import { StoreshiftError } from "../common/errors.js";
import { probeDocker } from "./containers/docker-probe.js";
import { type KindUsability, probeKind } from "./kind/kind-usable.js";

export type BackendName = "local" | "docker" | "existing";
export type BackendRequest = BackendName | "auto";

export interface BackendChoice {
  name: BackendName;
  /** Why this backend, recorded in run metadata and printed by `doctor`. */
  reason: string;
}

export function parseBackend(value: string): BackendRequest {
  if (value === "auto" || value === "local" || value === "docker" || value === "existing") return value;
  throw new StoreshiftError(
    `run: --backend: unknown backend "${value}" (expected auto, local, docker or existing)`,
  );
}

/**
 * auto: Docker (testcontainers etcd, Kubernetes from kind where kind can run) when an engine
 * answers, else the local binaries. An explicit `docker` without an engine is an error, never a
 * silent fallback. The reason says where Kubernetes comes from, and why not kind when it cannot run.
 */
export async function chooseBackend(
  request: BackendRequest,
  probe = probeDocker,
  kindProbe: () => Promise<KindUsability> = probeKind,
): Promise<BackendChoice> {
  if (request === "local") return { name: "local", reason: "requested" };
  if (request === "existing") return { name: "existing", reason: "requested" };
  const docker = await probe();
  const kube = async () => {
    const kind = await kindProbe();
    return kind.usable
      ? `Kubernetes from kind (${kind.reason})`
      : `Kubernetes from the local control plane (${kind.reason})`;
  };
  if (request === "docker") {
    if (!docker.available) throw new StoreshiftError(`--backend docker: ${docker.detail}`);
    return { name: "docker", reason: `requested; engine at ${docker.detail}; ${await kube()}` };
  }
  if (docker.available)
    return { name: "docker", reason: `auto: Docker answers at ${docker.detail}; ${await kube()}` };
  return { name: "local", reason: `auto: ${docker.detail}; using local etcd and kube-apiserver binaries` };
}
