import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { KubeCalicoState, RawEntry } from "../../src/oracles/calico/read.js";
import { renderHtml } from "../../src/report/html.js";
import { renderJunit } from "../../src/report/junit.js";
import { renderMarkdown } from "../../src/report/markdown.js";
import { upstreamRows } from "../../src/report/upstream.js";
import { CALICO_CASES } from "../../src/upstream/calico-cases.js";
import { type CaseEvidence, judgeCalicoCase } from "../../src/upstream/calico-judges.js";
import { caseVerdict } from "../../src/upstream/outcome.js";
import { sampleRunResult } from "./report-fixture.js";

const R = "/calico/resources/v3/projectcalico.org/";

function node(name: string, k8s: string | undefined, ipv4: string): RawEntry {
  const orchRefs = k8s
    ? [{ orchestrator: "k8s", nodeName: k8s }]
    : [{ orchestrator: "openstack", nodeName: name }];
  return {
    key: `${R}nodes/${name}`,
    value: JSON.stringify({
      kind: "Node",
      metadata: { name },
      spec: { orchRefs, bgp: { ipv4Address: ipv4 } },
    }),
  };
}

function evidence(partial: Partial<CaseEvidence>): CaseEvidence {
  const kube: KubeCalicoState = { objects: [], nodes: [], crds: [] };
  return { tool: "calicoctl", etcd: [], kube, ...partial };
}

describe("upstream Calico judges", () => {
  it("C-01: an affinity, handle or config that keeps the etcd node name shows the bug; renamed ones do not", () => {
    const etcd: RawEntry[] = [
      node("ip-10-0-0-5.ec2.internal", "ip-10-0-0-5", "10.0.0.5/24"),
      { key: "/calico/ipam/v2/handle/ipip-tunnel-addr-ip-10-0-0-5.ec2.internal", value: "{}" },
    ];
    const good: KubeCalicoState = {
      nodes: [{ name: "ip-10-0-0-5", annotations: { "projectcalico.org/IPv4Address": "10.0.0.5/24" } }],
      crds: [],
      objects: [
        {
          kind: "IPAMHandle",
          name: "ipip-tunnel-addr-ip-10-0-0-5",
          spec: { handleID: "ipip-tunnel-addr-ip-10-0-0-5", block: {} },
        },
      ],
    };
    const ok = judgeCalicoCase("C-01", evidence({ etcd, kube: good, attempt: { importWarnings: [] } }));
    assert.deepEqual(ok.symptoms, []);
    const bad: KubeCalicoState = {
      ...good,
      objects: [
        {
          kind: "IPAMHandle",
          name: "ipip-tunnel-addr-ip-10-0-0-5.ec2.internal",
          spec: { handleID: "ipip-tunnel-addr-ip-10-0-0-5.ec2.internal", block: {} },
        },
      ],
    };
    const shown = judgeCalicoCase("C-01", evidence({ etcd, kube: bad, attempt: { importWarnings: [] } }));
    assert.ok(shown.shown);
    assert.ok(
      shown.symptoms.some((s) => s.includes("still names etcd node ip-10-0-0-5.ec2.internal")),
      shown.symptoms.join("\n"),
    );
  });

  it("C-03: node4 carrying node5's address is the bug; a refusal before any write that names both is not", () => {
    const etcd = [node("node4", "node4", "1.2.3.4/24"), node("node5", "node4", "1.2.3.5/24")];
    const merged = judgeCalicoCase(
      "C-03",
      evidence({
        etcd,
        kube: {
          objects: [],
          crds: [],
          nodes: [{ name: "node4", annotations: { "projectcalico.org/IPv4Address": "1.2.3.5/24" } }],
        },
        attempt: { importWarnings: [] },
      }),
    );
    assert.ok(merged.shown);
    assert.match(merged.symptoms[0] ?? "", /carries IPv4Address 1\.2\.3\.5\/24, not its own 1\.2\.3\.4\/24/);
    const refused = judgeCalicoCase(
      "C-03",
      evidence({
        etcd,
        kube: { objects: [], crds: [], nodes: [{ name: "node4", annotations: {} }] },
        attempt: {
          failedAt: "export",
          message: "collision: etcd Nodes node4 and node5 both map to Node node4",
          importWarnings: [],
        },
      }),
    );
    assert.equal(refused.shown, false, refused.symptoms.join("\n"));
  });

  it("C-04: a failed export that printed part of the file shows the bug", () => {
    const etcd = [node("compute-1", undefined, "10.0.1.1/24")];
    const partial = "kind: IPPoolList\nitems: []\n---\n";
    const j = judgeCalicoCase(
      "C-04",
      evidence({
        etcd,
        attempt: {
          failedAt: "export",
          message: "missing a 'k8s'",
          partialExport: partial,
          importWarnings: [],
        },
      }),
    );
    assert.ok(j.shown);
    assert.match(j.symptoms[0] ?? "", /1 Lists/);
    const clean = judgeCalicoCase(
      "C-04",
      evidence({ etcd, attempt: { failedAt: "export", message: "missing a 'k8s'", importWarnings: [] } }),
    );
    assert.equal(clean.shown, false);
  });

  it("C-15: the residue counts against calicoctl's procedure, and against storeshift only when unlisted", () => {
    const residue: KubeCalicoState = {
      objects: [],
      crds: [],
      nodes: [{ name: "node4", annotations: { "projectcalico.org/IPv4Address": "1.2.3.4/24" } }],
    };
    assert.ok(judgeCalicoCase("C-15", evidence({ kube: residue, noted: [] })).shown);
    const listed = [{ node: "node4", annotations: { "projectcalico.org/IPv4Address": "1.2.3.4/24" } }];
    assert.equal(
      judgeCalicoCase(
        "C-15",
        evidence({ tool: "storeshift", kube: residue, noted: [], rollbackLeftovers: listed }),
      ).shown,
      false,
    );
    assert.ok(judgeCalicoCase("C-15", evidence({ tool: "storeshift", kube: residue, noted: [] })).shown);
  });

  it("every catalogued case has a judge and exactly one scenario tagged with its id", () => {
    const feature = readFileSync(new URL("../../features/upstream/calico.feature", import.meta.url), "utf8");
    for (const c of CALICO_CASES) {
      assert.equal(feature.match(new RegExp(`@${c.id}\\b`, "g"))?.length, 1, `scenarios tagged @${c.id}`);
      assert.doesNotThrow(() => judgeCalicoCase(c.id, evidence({ noted: [] })), `no judge for ${c.id}`);
    }
  });
});

describe("upstream verdicts", () => {
  const base = { caseId: "C-08", symptoms: ["lost prod/staged-deny"], notes: ["all four staged policies"] };
  it("calicoctl showing the bug is reproduced, and does not fail the scenario", () => {
    const v = caseVerdict({ ...base, tool: "calicoctl", toolVersion: "3.32.1", shown: true });
    assert.equal(v.verdict.outcome, "reproduced");
    assert.equal(v.failed, false);
  });
  it("storeshift showing it fails; avoiding an open bug is fixed-by-storeshift, a fixed one not-reproduced", () => {
    assert.equal(caseVerdict({ ...base, tool: "storeshift", shown: true }).failed, true);
    assert.equal(
      caseVerdict({ ...base, tool: "storeshift", shown: false }).verdict.outcome,
      "fixed-by-storeshift",
    );
    const fixed = caseVerdict({ ...base, tool: "storeshift", shown: false, fixedUpstreamIn: "3.32.1" });
    assert.equal(fixed.verdict.outcome, "not-reproduced");
    assert.match(fixed.verdict.detail, /fixed upstream in 3\.32\.1/);
  });
});

describe("the upstream table in the reports", () => {
  const result = sampleRunResult();
  const s = result.scenarios[0];
  assert.ok(s);
  s.upstreamCases = [
    { caseId: "C-10", tool: "storeshift", outcome: "fixed-by-storeshift", detail: "round trip kept ===" },
    {
      caseId: "C-08",
      tool: "calicoctl",
      toolVersion: "3.32.1",
      outcome: "reproduced",
      detail: "lost prod/staged-deny",
    },
    {
      caseId: "C-06",
      tool: "calicoctl",
      toolVersion: "3.28.0",
      outcome: "not-run",
      detail: "calicoctl 3.28.0 is not built",
    },
  ];
  it("lists every verdict by case id, tool and version", () => {
    assert.deepEqual(
      upstreamRows(result).map((r) => `${r.caseId} ${r.tool} ${r.outcome}`),
      ["C-06 calicoctl not-run", "C-08 calicoctl reproduced", "C-10 storeshift fixed-by-storeshift"],
    );
  });
  it("summary.md and report.html show the table; junit.xml carries the verdicts in system-out", () => {
    const md = renderMarkdown(result);
    assert.match(md, /### Upstream cases/);
    assert.match(md, /\| C-08 \| calicoctl 3\.32\.1 \| reproduced \| lost prod\/staged-deny \|/);
    const html = renderHtml(result);
    assert.match(html, /<section id="upstream">/);
    assert.match(html, /calicoctl 3\.28\.0<\/td><td><span class="oc not-run">not-run/);
    assert.match(renderJunit(result), /upstream C-08 calicoctl 3\.32\.1: reproduced: lost prod\/staged-deny/);
  });
});
