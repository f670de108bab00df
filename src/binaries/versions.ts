import { envVar } from "../common/environment.js";
/**
 * Versions storeshift installs when the user supplies no binaries. Each can be overridden by an
 * environment variable so CI can gate another release without a code change.
 */
export const versions = {
  /** Debian bookworm's etcd: the last line with the v2 API and `etcdctl migrate`. */
  etcdV2Capable: "3.4.23",
  /** v3-only stores and the control plane's own etcd. */
  etcd: envVar("STORESHIFT_ETCD_VERSION") ?? "3.6.16",
  /**
   * The step between 3.4 and 3.6 in a member-by-member upgrade (3.6 wants 3.5.26+ first), built like
   * 3.6: the newest 3.5 the Go module proxy serves.
   */
  etcd35: envVar("STORESHIFT_ETCD35_VERSION") ?? "3.5.35",
  /** The newest v1.3x the Go module proxy serves that Go 1.26 builds (v1.37 asks for go 1.26.0). */
  kube: envVar("STORESHIFT_KUBE_VERSION") ?? "1.37.2",
  /**
   * The release of each Kubernetes minor the version matrix names in its install hint when no
   * kube-apiserver of that minor is here (features/matrix; a newer patch in the cache is used first).
   */
  kubeMatrix: { "1.37": "1.37.2", "1.36": "1.36.3" } as Record<string, string>,
} as const;
