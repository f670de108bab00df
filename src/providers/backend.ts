import { StoreshiftError } from "../common/errors.js";
import { probeDocker } from "./containers/docker-probe.js";

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
 * auto: Docker (testcontainers etcd + kind) when an engine answers, else the local binaries.
 * An explicit `docker` without an engine is an error, never a silent fallback.
 */
export async function chooseBackend(request: BackendRequest, probe = probeDocker): Promise<BackendChoice> {
  if (request === "local") return { name: "local", reason: "requested" };
  if (request === "existing") return { name: "existing", reason: "requested" };
  const docker = await probe();
  if (request === "docker") {
    if (!docker.available) throw new StoreshiftError(`--backend docker: ${docker.detail}`);
    return { name: "docker", reason: `requested; engine at ${docker.detail}` };
  }
  if (docker.available) return { name: "docker", reason: `auto: Docker answers at ${docker.detail}` };
  return { name: "local", reason: `auto: ${docker.detail}; using local etcd and kube-apiserver binaries` };
}
