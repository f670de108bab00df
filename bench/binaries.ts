import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DownloadRefused, installRelease } from "../src/binaries/download.js";
import { lastSourceBuild } from "../src/binaries/go-build.js";
import { etcdRelease, kubeApiserverRelease, type ReleaseAsset } from "../src/binaries/releases.js";
import { versions } from "../src/binaries/versions.js";
import type { Bench, BenchRow } from "./types.js";

/**
 * Time to a usable binary: the official release downloaded (upstream, or STORESHIFT_BINARY_MIRROR)
 * into a throwaway cache, against the last source build measured on this machine (written by
 * `storeshift install` beside its build directory; the bench never starts a build). Where the
 * download is refused, its row is n/a and the cost of finding that out is measured instead: that
 * is what a first run pays before it falls back to the build.
 */
async function one(asset: ReleaseAsset, buildTool: { tool: string; version: string }): Promise<BenchRow[]> {
  const root = await mkdtemp(join(tmpdir(), "storeshift-bench-dl-"));
  const label = `${asset.tool} ${asset.version}`;
  const mirror = process.env.STORESHIFT_BINARY_MIRROR || undefined;
  const started = process.hrtime.bigint();
  let downloadMs = Number.NaN;
  let refusedMs = Number.NaN;
  let note = mirror ? `mirror ${mirror}` : "upstream";
  try {
    await installRelease(asset, { mirror, root });
    downloadMs = Number(process.hrtime.bigint() - started) / 1e6;
  } catch (err) {
    if (!(err instanceof DownloadRefused)) throw err;
    refusedMs = Number(process.hrtime.bigint() - started) / 1e6;
    note = err.message;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const build = await lastSourceBuild(buildTool, asset.tool);
  const buildMs = build ? build.seconds * 1000 : Number.NaN;
  return [
    {
      bench: "binaries",
      metric: `${label}: official release to usable binary`,
      value: downloadMs,
      unit: "ms",
      target: "first run <= 5 min",
      note,
    },
    {
      bench: "binaries",
      metric: `${label}: download refused, fallback decided after`,
      value: refusedMs,
      unit: "ms",
      target: "seconds",
    },
    {
      bench: "binaries",
      metric: `${label}: last source build on this machine`,
      value: buildMs / 1000,
      unit: "s",
      note: build
        ? `${build.compiled} of ${build.packages} packages compiled, ${build.at}`
        : "no measured source build here yet",
    },
    {
      bench: "binaries",
      metric: `${label}: source build / download (ratio)`,
      value: buildMs / downloadMs,
      unit: "x",
    },
  ];
}

export const binariesBench: Bench = {
  name: "binaries",
  description:
    "time to a usable etcd and kube-apiserver: official release download vs the measured source build",
  async run() {
    const rows: BenchRow[] = [];
    const etcd = etcdRelease(versions.etcd);
    if (etcd) rows.push(...(await one(etcd, { tool: "etcd", version: versions.etcd })));
    const kube = kubeApiserverRelease(versions.kube);
    if (kube) rows.push(...(await one(kube, { tool: "kube-apiserver", version: versions.kube })));
    if (rows.length === 0)
      rows.push({
        bench: "binaries",
        metric: "not run",
        value: Number.NaN,
        unit: "",
        note: `no official release for ${process.platform}/${process.arch}`,
      });
    return rows;
  },
};
