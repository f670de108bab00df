import assert from "node:assert/strict";
import { CoreV1Api, VersionApi } from "@kubernetes/client-node";
import { etcdClient } from "../src/common/etcd-client.js";
import type { EtcdImageLine } from "../src/providers/containers/images.js";
import { step } from "./support/define.js";

const area = "Stores";

/** One v3 put through a client that lives only as long as the put. */
async function putV3(hosts: string[], key: string, value: string): Promise<void> {
  const client = etcdClient(hosts, { purpose: "stores step" });
  try {
    await client.put(key).value(value);
  } finally {
    client.close();
  }
}

step(
  "Given",
  "an etcd {int}.{int} store {string}",
  {
    area,
    example: 'Given an etcd 3.6 store "target"',
    doc: "A pooled local etcd: 3.4 is Debian's 3.4.23 with the v2 API enabled, 3.6 is v3 only. Emptied after the scenario.",
  },
  async function (major: number, minor: number, name: string) {
    const etcd = minor <= 4 && major === 3 ? "v2" : "v3";
    await this.record.phase(`provision etcd ${name}`, () => this.useEtcd(name, { etcd, members: 1 }));
  },
);

step(
  "Given",
  "an etcd {int}.{int} cluster {string} of {int} members",
  {
    area,
    example: 'Given an etcd 3.4 cluster "source" of 3 members',
    doc: "A pooled N-member local etcd cluster on 127.0.0.1 (3.4 with the v2 API, or 3.6).",
  },
  async function (major: number, minor: number, name: string, members: number) {
    const etcd = minor <= 4 && major === 3 ? "v2" : "v3";
    await this.record.phase(`provision etcd ${name}`, () => this.useEtcd(name, { etcd, members }));
  },
);

step(
  "Given",
  "a Kubernetes control plane",
  {
    area,
    example: "Given a Kubernetes control plane",
    doc: "The worker's local control plane (its own etcd 3.6 + a real kube-apiserver); CRDs and Nodes are removed after the scenario.",
  },
  async function () {
    await this.record.phase("provision control plane", () => this.useKube());
  },
);

function containerLine(major: number, minor: number): EtcdImageLine {
  if (major === 3 && minor === 6) return "3.6";
  if (major === 3 && minor === 4) return "3.4";
  throw new Error(`etcd ${major}.${minor} container: storeshift has images for 3.4 and 3.6`);
}

step(
  "Given",
  "an etcd container {string}",
  {
    area,
    example: 'Given an etcd container "target"',
    doc: "etcd 3.6 in a container through testcontainers, on the host network bound to 127.0.0.1; tag the scenario @needs-docker.",
  },
  async function (name: string) {
    await this.record.phase(`provision etcd container ${name}`, () => this.useEtcdContainer(name, {}));
  },
);

step(
  "Given",
  "an etcd {int}.{int} container {string}",
  {
    area,
    example: 'Given an etcd 3.4 container "source"',
    doc: "etcd in a container: 3.4 is Debian's 3.4.23 serving the v2 API, 3.6 is storeshift's etcd build (or the official images, where a registry serves them); @needs-docker.",
  },
  async function (major: number, minor: number, name: string) {
    const line = containerLine(major, minor);
    await this.record.phase(`provision etcd ${line} container ${name}`, () =>
      this.useEtcdContainer(name, { line }),
    );
  },
);

step(
  "Given",
  "an etcd {int}.{int} container cluster {string} of {int} members",
  {
    area,
    example: 'Given an etcd 3.6 container cluster "ring" of 3 members',
    doc: "An N-member etcd cluster, one container per member, all on 127.0.0.1; @needs-docker.",
  },
  async function (major: number, minor: number, name: string, members: number) {
    const line = containerLine(major, minor);
    await this.record.phase(`provision etcd ${line} containers ${name}`, () =>
      this.useEtcdContainer(name, { line, members }),
    );
  },
);

step(
  "When",
  "I {word} the container of member {int} of etcd {string}",
  {
    area,
    example: 'When I kill the container of member 0 of etcd "ring"',
    doc: "A container fault: kill (SIGKILL, data kept), pause / unpause (cgroup freezer), start (after kill), restart (graceful stop, then start); start, restart and unpause wait for /health.",
  },
  async function (action: string, index: number, name: string) {
    const member = this.containerMember(name, index);
    const actions: Record<string, () => Promise<void>> = {
      kill: () => member.kill(),
      pause: () => member.pause(),
      unpause: () => member.unpause(),
      start: () => member.start(),
      restart: () => member.restart(),
    };
    const run = actions[action];
    if (!run) throw new Error(`container fault "${action}": expected ${Object.keys(actions).join(", ")}`);
    await this.record.phase(`${action} container of ${member.name}`, run);
  },
);

step(
  "Then",
  "member {int} of etcd {string} is {word}",
  {
    area,
    example: 'Then member 1 of etcd "ring" is paused',
    doc: "The engine's state of a member's container: running, paused or exited.",
  },
  async function (index: number, name: string, state: string) {
    assert.equal(await this.containerMember(name, index).state(), state, `member ${index} of etcd ${name}`);
  },
);

step(
  "When",
  "I put {string} = {string} through member {int} of etcd {string}",
  {
    area,
    example: 'When I put "/a" = "1" through member 2 of etcd "ring"',
    doc: "A v3 put sent to one member only (a paused or killed member elsewhere cannot take it).",
  },
  async function (key: string, value: string, index: number, name: string) {
    await putV3([this.containerMember(name, index).clientUrl], key, value);
  },
);

step(
  "Then",
  "member {int} of etcd {string} has {string} = {string}",
  {
    area,
    example: 'Then member 0 of etcd "ring" has "/b" = "2"',
    doc: "A linearizable v3 read through one member only, so a member that missed writes must have caught up.",
  },
  async function (index: number, name: string, key: string, value: string) {
    const client = etcdClient([this.containerMember(name, index).clientUrl], { purpose: "stores step" });
    try {
      assert.equal(await client.get(key).string(), value, `member ${index} of etcd ${name} key ${key}`);
    } finally {
      client.close();
    }
  },
);

step(
  "Then",
  "etcd {string} has no key {string}",
  { area, example: 'Then etcd "target" has no key "/foo"', doc: "Asserts a v3 key is absent." },
  async function (name: string, key: string) {
    const client = etcdClient(this.endpoints(name), { purpose: "stores step" });
    try {
      assert.equal(await client.get(key).string(), null, `etcd ${name} key ${key} should be absent`);
    } finally {
      client.close();
    }
  },
);

step(
  "When",
  "I put {string} = {string} into etcd {string}",
  { area, example: 'When I put "/foo" = "bar" into etcd "target"', doc: "A plain v3 put." },
  async function (key: string, value: string, name: string) {
    await putV3(this.endpoints(name), key, value);
  },
);

step(
  "Then",
  "etcd {string} has {string} = {string}",
  {
    area,
    example: 'Then etcd "target" has "/foo" = "bar"',
    doc: "Reads one v3 key and compares its value byte for byte.",
  },
  async function (name: string, key: string, value: string) {
    const client = etcdClient(this.endpoints(name), { purpose: "stores step" });
    try {
      assert.equal(await client.get(key).string(), value, `etcd ${name} key ${key}`);
    } finally {
      client.close();
    }
  },
);

step(
  "Given",
  "a kind cluster",
  {
    area,
    example: "Given a kind cluster",
    doc: "Kubernetes from kind (docker backend); tag the scenario @needs-docker @needs-kind, so it is reported as not run, with the reason, where kind cannot run.",
  },
  async function () {
    const kube = await this.record.phase("provision kind cluster", () => this.useKube());
    // the docker backend falls back to the local control plane where kind cannot run; this step must not
    if (kube.local)
      throw new Error("a kind cluster was asked for, but the docker backend gave the local control plane");
  },
);

step(
  "Then",
  "Kubernetes lists {int} node(s)",
  { area, example: "Then Kubernetes lists 1 node", doc: "Counts the cluster's core/v1 Nodes." },
  async function (count: number) {
    const nodes = await this.kube().kubeConfig().makeApiClient(CoreV1Api).listNode();
    assert.equal(nodes.items.length, count);
  },
);

step(
  "Then",
  "the control plane serves Kubernetes v{int}.{int}",
  {
    area,
    example: "Then the control plane serves Kubernetes v1.37",
    doc: "Reads /version from the API server and compares major.minor.",
  },
  async function (major: number, minor: number) {
    const body = await this.kube().kubeConfig().makeApiClient(VersionApi).getCode();
    assert.equal(`${body.major}.${body.minor}`, `${major}.${minor}`);
  },
);
