import { cacheRoot } from "../binaries/cache.js";
import { ALL_TOOLS, OPTIONAL_TOOLS } from "../binaries/install.js";
import { describeTool, isMissing, locate } from "../binaries/locate.js";
import { tryOutput } from "../binaries/run-tool.js";
import { versions } from "../binaries/versions.js";
import { locateCalicoctl } from "../calico/calicoctl/install.js";
import { probeDocker } from "../providers/containers/docker-probe.js";
import { presentEtcdImage } from "../providers/containers/images.js";
import { probeKind } from "../providers/kind/kind-usable.js";

export interface DoctorLine {
  item: string;
  ok: boolean;
  detail: string;
}

export interface DoctorReport {
  lines: DoctorLine[];
  /** The embedded default (local etcd + local control plane) can run without installing anything. */
  localReady: boolean;
}

export async function runDoctor(): Promise<DoctorReport> {
  const lines: DoctorLine[] = [];
  lines.push({ item: "node", ok: true, detail: process.version });
  const go = await tryOutput("go", ["version"]);
  lines.push({
    item: "go",
    ok: go !== undefined,
    detail: go ?? "not found (needed to build etcd 3.6 and kube-apiserver)",
  });
  const openssl = await tryOutput("openssl", ["version"]);
  lines.push({
    item: "openssl",
    ok: openssl !== undefined,
    detail: openssl ?? "not found (needed for the control plane's TLS)",
  });
  let localReady = openssl !== undefined;
  for (const tool of ALL_TOOLS) {
    const found = await locate(tool);
    if (isMissing(found)) {
      // etcdutl only restores users' snapshots, and etcd 3.4's etcdctl stands in for it
      const optional = tool === "etcdutl";
      if (!optional) localReady = false;
      lines.push({
        item: tool,
        ok: optional,
        detail: optional
          ? `${found.reason} (optional: snapshots are restored with etcdctl 3.4 instead)`
          : found.reason,
      });
    } else {
      lines.push({ item: tool, ok: true, detail: `${found.version} at ${found.path} (${found.source})` });
    }
  }
  for (const tool of OPTIONAL_TOOLS) {
    const found = await locate(tool);
    lines.push({
      item: tool,
      ok: true,
      detail: isMissing(found)
        ? `${found.reason} (optional: only the lifecycle upgrade scenarios need it; they are not run without it)`
        : `${found.version} at ${found.path} (${found.source})`,
    });
  }
  const calicoctl = await locateCalicoctl();
  lines.push({
    item: "calicoctl",
    ok: !("missing" in calicoctl),
    detail:
      "missing" in calicoctl
        ? `${calicoctl.reason} (only the @real-calicoctl runs need it)`
        : `${calicoctl.version} at ${calicoctl.path} (${calicoctl.source})`,
  });
  const docker = await probeDocker();
  lines.push({ item: "docker", ok: docker.available, detail: docker.detail });
  if (docker.available) {
    const present = await Promise.all((["3.6", "3.4"] as const).map((line) => presentEtcdImage(line)));
    lines.push({
      item: "etcd images",
      ok: true,
      detail: (["3.6", "3.4"] as const)
        .map((line, i) => `${line}: ${present[i] ?? "none yet (pulled or built on first use)"}`)
        .join("; "),
    });
  }
  const kind = await probeKind();
  const kindVersion = kind.executable ? await tryOutput(kind.executable, ["version"]) : undefined;
  lines.push({
    item: "kind",
    ok: kind.usable,
    detail: kind.executable
      ? `${kindVersion ?? "unknown version"} at ${kind.executable}; ${kind.reason}`
      : kind.reason,
  });
  lines.push({
    item: "cache",
    ok: true,
    detail: `${cacheRoot()} (wanted: etcd ${versions.etcd}, kube-apiserver ${versions.kube})`,
  });
  return { lines, localReady };
}

export function formatDoctor(report: DoctorReport): string {
  const width = Math.max(...report.lines.map((l) => l.item.length));
  const rows = report.lines.map((l) => `${l.ok ? "ok  " : "no  "} ${l.item.padEnd(width)}  ${l.detail}`);
  const verdict = report.localReady
    ? "local backend ready: local etcd + local control plane"
    : "local backend not ready: run `storeshift install`";
  return `${rows.join("\n")}\n\n${verdict}\n`;
}

export { describeTool };
