export {
  CALICO_WRITERS,
  type CalicoWriterName,
  type CalicoWriterOptions,
  felixStatusKey,
  isCalicoWriter,
  startCalicoWriter,
} from "./calico-writers.js";
export { type KubeObjectView, lockHonoured, writesInKube } from "./checks.js";
export {
  attributeDrift,
  crossCheckDrift,
  type DriftEntry,
  describeDrift,
  driftBetween,
  driftDifferences,
  type Fingerprint,
  type FingerprintEntry,
  readFingerprint,
} from "./drift.js";
export {
  startV2Writer,
  startV3Writer,
  type V2Drift,
  type V2WriterOptions,
  type V3Held,
  type V3WriterOptions,
  v2DriftSinceScan,
  v2WritesAccounted,
  v2WritesMigratedOrRefused,
  v3WritesIntact,
} from "./etcd-v2v3.js";
export {
  type KubeExpectation,
  type LockMode,
  type LoggedWrite,
  lastWrites,
  type StartedWriter,
  startWriter,
  type Turn,
  type WriterLog,
} from "./writer.js";
