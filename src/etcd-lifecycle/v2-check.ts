import { execa } from "execa";
import type { Binary } from "../binaries/locate.js";
import { StoreshiftError } from "../common/errors.js";
import type { StartedLocalEtcd } from "../providers/etcd/local-etcd.js";
import { parseCheckV2Store } from "./v2-verdict.js";

export interface V2StoreCheck {
  member: string;
  verdict: "clean" | "custom-content" | "unknown";
  /** etcdutl's own words (stdout and stderr, trimmed). */
  output: string;
}

/**
 * The 3.6 upgrade guide's pre-check, `etcdutl check v2store --data-dir D --wal-dir W`, on each
 * member in turn: stopped for the check (etcdutl reads the WAL and snapshots etcd holds open), then
 * started again with what it ran. The WAL dir is always passed: without it a member with a dedicated
 * WAL dir fails the check on a missing `member/wal` (upstream case E-13).
 */
export async function checkV2StoreEveryMember(
  cluster: StartedLocalEtcd,
  etcdutl: Binary,
): Promise<V2StoreCheck[]> {
  const out: V2StoreCheck[] = [];
  for (const member of cluster.members) {
    await member.stop();
    let output: string;
    try {
      const result = await execa(
        etcdutl.path,
        ["check", "v2store", `--data-dir=${member.info.dataDir}`, `--wal-dir=${member.info.walDir}`],
        { reject: false, all: true, stdin: "ignore", timeout: 60_000 },
      );
      output = (result.all ?? "").trim();
    } finally {
      await member.start();
    }
    const verdict = parseCheckV2Store(output);
    if (verdict === "unknown" && /unknown command|unknown flag/i.test(output))
      throw new StoreshiftError(
        `etcdutl ${etcdutl.version} check v2store on member ${member.name} of etcd ${cluster.name}: this etcdutl has no such check: ${output.split("\n")[0]}`,
      );
    out.push({
      member: member.name,
      verdict,
      output: output.split("\n").slice(-3).join(" | ").slice(0, 400),
    });
  }
  return out;
}
