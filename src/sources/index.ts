export { exportToEtcdEntries, loadCalicoExport } from "./calico-export.js";
export { checkDataDir } from "./data-dir.js";
export { kubeTargetOf } from "./kube-target.js";
export { probeEndpoint } from "./live-etcd.js";
export {
  checkSource,
  identifySource,
  identifySourceFor,
  KINDS_FOR,
  type OpenedSource,
  openSource,
  SOURCE_KINDS,
  type SourceKind,
  type SourcePurpose,
  type SourceSpec,
} from "./open.js";
export { checkSnapshotFile } from "./snapshot-file.js";
export { loadV2Dump, parseV2Dump } from "./v2-dump.js";
