import assert from "node:assert/strict";
import { VersionApi } from "@kubernetes/client-node";
import { Etcd3 } from "etcd3";
import { startEtcdContainer } from "../src/providers/containers/etcd-container.js";
import { step } from "./support/define.js";

const area = "Stores";

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

step(
  "Given",
  "an etcd container {string}",
  {
    area,
    example: 'Given an etcd container "target"',
    doc: "etcd in a container through testcontainers (image from STORESHIFT_ETCD_IMAGE); tag the scenario @needs-docker.",
  },
  async function (name: string) {
    const container = await this.record.phase(`provision etcd container ${name}`, () => startEtcdContainer());
    this.vars.set(`container:${name}`, container);
    this.leave({
      what: `etcd container "${name}" (stopped)`,
      release: () => container.stop(),
      reach: () => [
        `# etcd container "${name}" (${container.image}) at ${container.endpoints.join(",")}; testcontainers' reaper removes it when this run exits unless TESTCONTAINERS_RYUK_DISABLED=true`,
      ],
    });
  },
);

step(
  "Then",
  "etcd {string} has no key {string}",
  { area, example: 'Then etcd "target" has no key "/foo"', doc: "Asserts a v3 key is absent." },
  async function (name: string, key: string) {
    const client = new Etcd3({ hosts: this.endpoints(name) });
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
    const client = new Etcd3({ hosts: this.endpoints(name) });
    try {
      await client.put(key).value(value);
    } finally {
      client.close();
    }
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
    const client = new Etcd3({ hosts: this.endpoints(name) });
    try {
      assert.equal(await client.get(key).string(), value, `etcd ${name} key ${key}`);
    } finally {
      client.close();
    }
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
