import type { Binary } from "../binaries/locate.js";
import { StoreshiftError } from "../common/errors.js";
import { waitUntil } from "../common/wait.js";
import type { Difference } from "../diff/types.js";
import type { V3Kv } from "../etcd-v2v3/v3.js";
import type { StartedLocalEtcd } from "../providers/etcd/local-etcd.js";
import { checkMemberConsistency, type MemberRef } from "./consistency.js";
import { flagsForVersion, minorVersion } from "./flags.js";

export function memberRefs(cluster: StartedLocalEtcd): MemberRef[] {
  return cluster.members.map((m) => ({ name: m.name, endpoint: m.clientUrl }));
}

/** One member restarted in a roll, and what every member held right after. */
export interface RollStep {
  member: string;
  version: string;
  durationMs: number;
  differences: Difference[];
}

export interface RollResult {
  steps: RollStep[];
  /** `/version`'s etcdcluster once the roll was done (e.g. "3.5.0"). */
  clusterVersion: string;
}

async function clusterVersion(endpoint: string): Promise<string> {
  const response = await fetch(`${endpoint}/version`, { signal: AbortSignal.timeout(2000) });
  const body = (await response.json()) as { etcdcluster?: string };
  return body.etcdcluster ?? "";
}

/**
 * Restarts every member in turn on its own data dir: with `binary` when given (an upgrade), else
 * with what it runs now (a plain rolling restart). After each member, per-member consistency of the
 * whole cluster against `reference` (what every member held before the roll). After an upgrade,
 * waits until the cluster version is the new minor: the next minor's members refuse to join a
 * cluster still at the old one. A member that will not start stops the roll with an error naming it.
 */
export async function rollMembers(
  cluster: StartedLocalEtcd,
  options: {
    binary?: Binary;
    enableV2: boolean;
    reference: { label: string; revision: number; kvs: V3Kv[] };
  },
): Promise<RollResult> {
  const steps: RollStep[] = [];
  for (let i = 0; i < cluster.members.length; i++) {
    const member = cluster.member(i);
    const binary = options.binary ?? {
      ...cluster.binary,
      path: member.command,
      version: member.version || cluster.binary.version,
    };
    const started = Date.now();
    // a --snapshot-count=1 left by forceV2Snapshot goes with the upgrade: back to etcd's default
    await cluster.restartMemberWith(i, binary, (args) =>
      flagsForVersion(
        options.binary ? args.filter((a) => a !== "--snapshot-count=1") : args,
        binary.version,
        { enableV2: options.enableV2 },
      ),
    );
    const durationMs = Date.now() - started;
    const report = await checkMemberConsistency(memberRefs(cluster), options.reference);
    steps.push({ member: member.name, version: binary.version, durationMs, differences: report.differences });
  }
  const endpoint = cluster.endpoints[0] ?? "";
  let version = await clusterVersion(endpoint);
  if (options.binary) {
    const want = minorVersion(options.binary.version);
    try {
      await waitUntil(
        `etcd ${cluster.name} cluster version ${want} after the roll`,
        async () => {
          version = await clusterVersion(endpoint);
          return version.startsWith(`${want}.`);
        },
        { timeoutMs: 30_000 },
      );
    } catch (err) {
      throw new StoreshiftError(
        `upgrade etcd ${cluster.name} to ${options.binary.version}: cluster version stays ${version}`,
        {
          cause: err,
        },
      );
    }
  }
  return { steps, clusterVersion: version };
}
