export * from "./calico-etcd.js";
export * from "./canonical.js";
export * from "./etcd-v2.js";
export * from "./etcd-v3.js";
export * from "./file.js";
export * from "./kube-registry.js";
export * from "./record.js";
