/**
 * Independent oracles for the etcd v2→v3 migration (see docs/etcd-oracles.md). Nothing here imports
 * storeshift's own v2→v3 mapping, migrators or verifier: a hand-written expected tree per fixture and
 * the real `etcdctl migrate` are what those are checked against.
 */
export {
  compareHashes,
  compareMember,
  compareWithReference,
  keysUnder,
  type MemberKv,
  type MemberView,
  resolveKeys,
  type TreeSemantics,
} from "./compare.js";
export {
  copyStoppedMember,
  type EtcdctlReference,
  type MemberCopy,
  startEtcdctlReference,
} from "./etcdctl-reference.js";
export {
  type ExpectedTree,
  type ExpectedTreeAbsent,
  type ExpectedTreeKey,
  loadExpectedTree,
  parseExpectedTree,
} from "./expected-tree.js";
export { hashKvAtOneRevision, readMember, readV2Indexes, retrying } from "./read.js";
