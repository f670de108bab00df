import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { decodeResourceValue, encodeResourceValue } from "../../src/calico/etcd/codec.js";
import {
  affinityKey,
  blockKey,
  canonicalCidr,
  handleKey,
  parseAffinityKey,
  parseBlockKey,
  parseHandleKey,
  parseResourceKey,
  resourceKey,
} from "../../src/calico/etcd/keys.js";
import { CRD_KINDS, EXPORTED_KINDS } from "../../src/calico/kinds.js";
import { generateCrd } from "../../src/calico/kube/crds.js";
import {
  affinityName,
  affinityToCustomResource,
  cidrToName,
  createMetadata,
  fromCustomResource,
  hostnameHash,
  mergeCalicoNodeAnnotations,
  toCustomResource,
} from "../../src/calico/kube/encoding.js";
import type { V3Object } from "../../src/calico/model.js";
import { realCalicoCrds } from "../helpers/calico-crds.js";

const realCrds = realCalicoCrds();

test("the registry exports calicoctl's 17 kinds in its fixed order", () => {
  assert.deepEqual(
    EXPORTED_KINDS.map((k) => k.plural),
    [
      "ippools",
      "bgppeers",
      "tiers",
      "globalnetworkpolicies",
      "stagedglobalnetworkpolicies",
      "globalnetworksets",
      "hostendpoints",
      "kubecontrollersconfigurations",
      "networkpolicies",
      "stagednetworkpolicies",
      "stagedkubernetesnetworkpolicies",
      "networksets",
      "nodes",
      "bgpconfigurations",
      "felixconfigurations",
      "ipreservations",
      "bgpfilters",
    ],
  );
});

test("generated CRDs match Calico's real ones in group, kind, plural, scope and status subresource", {
  skip: realCrds.skip,
}, async () => {
  const REAL_CRDS = realCrds.dir;
  const files = (await readdir(REAL_CRDS)).filter((f) => f.startsWith("crd.projectcalico.org_"));
  const real = new Map<string, Record<string, unknown>>();
  for (const f of files) {
    const crd = parse(await readFile(join(REAL_CRDS, f), "utf8")) as {
      spec: {
        names: { kind: string; plural: string };
        scope: string;
        group: string;
        versions: { subresources?: object }[];
      };
    };
    real.set(crd.spec.names.kind, {
      plural: crd.spec.names.plural,
      scope: crd.spec.scope,
      group: crd.spec.group,
      status: crd.spec.versions.some((v) => v.subresources !== undefined),
    });
  }
  assert.equal(real.size, 22);
  assert.deepEqual(new Set(CRD_KINDS.map((k) => k.kind)), new Set(real.keys()));
  for (const k of CRD_KINDS) {
    const g = generateCrd(k);
    const version = (g.spec.versions as { subresources?: object }[])[0];
    assert.deepEqual(
      {
        plural: g.spec.names.plural,
        scope: g.spec.scope,
        group: g.spec.group,
        status: version?.subresources !== undefined,
      },
      real.get(k.kind),
      k.kind,
    );
  }
});

test("etcd keys: resources, blocks, affinities, handles; CIDRs masked, only the first / replaced", () => {
  assert.equal(resourceKey("IPPool", "p"), "/calico/resources/v3/projectcalico.org/ippools/p");
  assert.equal(
    resourceKey("NetworkPolicy", "allow-dns", "prod"),
    "/calico/resources/v3/projectcalico.org/networkpolicies/prod/allow-dns",
  );
  assert.throws(() => resourceKey("NetworkPolicy", "x"), /needs a namespace/);
  assert.deepEqual(parseResourceKey("/calico/resources/v3/projectcalico.org/networksets/dev/office"), {
    kind: "NetworkSet",
    plural: "networksets",
    namespace: "dev",
    name: "office",
  });
  assert.equal(parseResourceKey("/calico/resources/v3/projectcalico.org/ippools/ns/extra"), undefined);
  assert.equal(canonicalCidr("10.65.79.7/26"), "10.65.79.0/26");
  assert.equal(
    canonicalCidr("fd5f:abcd:0064:4f2c:ec1b:27b9:1989:77ff/122"),
    "fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c0/122",
  );
  assert.equal(canonicalCidr("fd00:0:0:0:0:0:0:1/64"), "fd00::/64");
  assert.equal(blockKey("10.65.79.0/26"), "/calico/ipam/v2/assignment/ipv4/block/10.65.79.0-26");
  assert.equal(
    affinityKey("n1", "fd00::/122", "virtual"),
    "/calico/ipam/v2/virtual/n1/ipv6/block/fd00::-122",
  );
  assert.deepEqual(parseBlockKey(blockKey("fd00::/122")), { cidr: "fd00::/122" });
  assert.deepEqual(parseAffinityKey("/calico/ipam/v2/host/node-1/ipv4/block/10.0.0.0-26"), {
    type: "host",
    host: "node-1",
    cidr: "10.0.0.0/26",
  });
  assert.deepEqual(parseHandleKey(handleKey("k8s-pod-network.AB")), { id: "k8s-pod-network.AB" });
});

test("etcd values: policies carry their name in the metadata annotation, which reads remove", () => {
  const policy: V3Object = {
    kind: "GlobalNetworkPolicy",
    apiVersion: "projectcalico.org/v3",
    metadata: { name: "deny", resourceVersion: "9", uid: "u", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { tier: "default" },
  };
  const stored = encodeResourceValue(policy);
  assert.equal(
    stored,
    '{"kind":"GlobalNetworkPolicy","apiVersion":"projectcalico.org/v3","metadata":{"name":"deny","uid":"u","creationTimestamp":"2026-01-01T00:00:00Z","annotations":{"projectcalico.org/metadata":"{\\"name\\":\\"deny\\"}"}},"spec":{"tier":"default"}}',
  );
  const read = decodeResourceValue("k", stored, "42");
  assert.equal(read.metadata.resourceVersion, "42");
  assert.equal(read.metadata.annotations, undefined);
  // pre-3.30 data without the annotation: the default tier's "default." prefix is dropped
  const old = decodeResourceValue(
    "k",
    JSON.stringify({ ...policy, metadata: { name: "default.deny" } }),
    "1",
  );
  assert.equal(old.metadata.name, "deny");
  assert.throws(
    () => decodeResourceValue("/calico/x", "{not json", "1"),
    /etcd value at \/calico\/x is not JSON/,
  );
});

test("Kubernetes names: CIDRToName, affinity names with the 253-character hash rule, hostname hash", () => {
  assert.equal(cidrToName("10.65.79.0/26"), "10-65-79-0-26");
  assert.equal(
    cidrToName("fd5f:abcd:64:4f2c:ec1b:27b9:1989:77c0/122"),
    "fd5f-abcd-64-4f2c-ec1b-27b9-1989-77c0-122",
  );
  assert.equal(affinityName("node1", "10.65.79.0/26"), "node1-10-65-79-0-26");
  const long = "h".repeat(260);
  const name = affinityName(long, "10.65.79.0/26");
  assert.equal(name.length, 252);
  assert.match(name, /^h+-10-65-79-0-26-[0-9a-f]{11}$/);
  // values calicoctl v3.32.1 wrote in a real import
  assert.equal(hostnameHash("node1"), "7DS2CCNJGGLTHBDQLLFO6SX24SY2YDDEG3W2VN556FA2W4DLLV5A");
  assert.equal(hostnameHash("node4"), "SWX2QKJPHIHBRLFF3SMP5YBDHDGRE777GUSJ7LWQ64CJ2ECA45AQ");
});

test("a v3 object becomes a v1 CR: Calico-owned labels stay, the rest moves into the metadata annotation", () => {
  const obj: V3Object = {
    kind: "NetworkPolicy",
    apiVersion: "projectcalico.org/v3",
    metadata: {
      name: "p",
      namespace: "prod",
      uid: "old",
      labels: { app: "web", "projectcalico.org/tier": "default" },
      annotations: { note: "x", "operator.tigera.io/owned": "1" },
    },
    spec: { selector: "all()" },
  };
  const cr = toCustomResource({ ...obj, metadata: createMetadata(obj, "2026-02-02T00:00:00Z") });
  assert.equal(cr.apiVersion, "crd.projectcalico.org/v1");
  assert.deepEqual(cr.metadata.labels, { "projectcalico.org/tier": "default" });
  assert.deepEqual(cr.metadata.annotations, {
    "projectcalico.org/metadata":
      '{"name":"p","creationTimestamp":"2026-02-02T00:00:00Z","labels":{"app":"web","projectcalico.org/tier":"default"},"annotations":{"note":"x","operator.tigera.io/owned":"1"}}',
    "operator.tigera.io/owned": "1",
  });
  assert.deepEqual(cr.spec, { selector: "all()" });
  const back = fromCustomResource(cr);
  assert.deepEqual(back.metadata.labels, obj.metadata.labels);
  assert.deepEqual(back.metadata.annotations, obj.metadata.annotations);
  // non-policy kinds do not keep the name in the annotation
  const pool = toCustomResource({
    kind: "IPPool",
    apiVersion: "projectcalico.org/v3",
    metadata: { name: "p", creationTimestamp: "t" },
    spec: {},
  });
  assert.equal(pool.metadata.annotations?.["projectcalico.org/metadata"], '{"creationTimestamp":"t"}');
});

test("block affinities: string deleted flag, hostname/type/ip-version labels, labels in the metadata annotation", () => {
  const cr = affinityToCustomResource({
    Key: "/calico/ipam/v2/host/node1/ipv6/block/fd00::-122",
    Value: { state: "confirmed", deleted: false },
    TTL: 0,
  });
  assert.equal(cr.metadata.name, "node1-fd00---122");
  assert.deepEqual(cr.spec, {
    state: "confirmed",
    node: "node1",
    type: "host",
    cidr: "fd00::/122",
    deleted: "false",
  });
  assert.equal(cr.metadata.labels?.["projectcalico.org/ip-version"], "6");
  assert.match(
    cr.metadata.annotations?.["projectcalico.org/metadata"] ?? "",
    /^\{"creationTimestamp":null,"labels":\{"projectcalico\.org\/affinity-type":"host"/,
  );
});

test("a Calico Node merges into a core/v1 Node's annotations; stale Calico keys go, foreign ones stay", () => {
  const merged = mergeCalicoNodeAnnotations(
    { "node.alpha.kubernetes.io/ttl": "0", "projectcalico.org/IPv4IPIPTunnelAddr": "stale" },
    {
      kind: "Node",
      apiVersion: "projectcalico.org/v3",
      metadata: {
        name: "n",
        labels: { z: "1", a: "2", inherited: "x" },
        annotations: { "projectcalico.org/kube-labels": '{"inherited":"x"}' },
      },
      spec: {
        bgp: { ipv4Address: "10.0.0.1/24", asNumber: 64512 },
        interfaces: [{ name: "eth0", addresses: ["10.0.0.1"] }],
      },
      status: { wireguardPublicKey: "k" },
    },
  );
  assert.deepEqual(merged, {
    "node.alpha.kubernetes.io/ttl": "0",
    "projectcalico.org/labels": '{"a":"2","z":"1"}',
    "projectcalico.org/IPv4Address": "10.0.0.1/24",
    "projectcalico.org/ASNumber": "64512",
    "projectcalico.org/WireguardPublicKey": "k",
    "projectcalico.org/Interfaces": '[{"name":"eth0","addresses":["10.0.0.1"]}]',
  });
});
