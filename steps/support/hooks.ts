import { writeFile } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { After, AfterAll, Before, type ITestCaseHookParameter, Status } from "@cucumber/cucumber";
import { locateCalicoctl } from "../../src/calico/calicoctl/install.js";
import { log } from "../../src/common/log.js";
import { probeKind } from "../../src/providers/kind/kind-usable.js";
import { SCENARIO_MEDIA_TYPE } from "../../src/report/from-messages.js";
import type { ScenarioResult } from "../../src/report/result.js";
import {
  connectionHints,
  describeControlPlane,
  describeEtcd,
  type SessionRecord,
  writeNewSession,
} from "../../src/session/up-session.js";
import { docsOnly, libraryTimeoutMs } from "./define.js";
import { resetKube } from "./kube-reset.js";
import { pool } from "./store-pool.js";
import type { StoreshiftWorld } from "./world.js";

const started = new WeakMap<StoreshiftWorld, number>();
let keptSomething = false;

export function scenarioSlug(p: ITestCaseHookParameter): string {
  const feature = basename(p.pickle.uri).replace(/\.feature$/, "");
  const line = lineOf(p);
  const name = p.pickle.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 60);
  return `${feature}--${name}--l${line}`;
}

function lineOf(p: ITestCaseHookParameter): number {
  // the last AST node id is the example row for outlines, the scenario otherwise
  const ids = p.pickle.astNodeIds;
  const wanted = ids[ids.length - 1];
  let found = 0;
  const visit = (node: unknown): void => {
    if (found || node === null || typeof node !== "object") return;
    const n = node as { id?: string; location?: { line: number } };
    if (n.id === wanted && n.location) {
      found = n.location.line;
      return;
    }
    for (const v of Object.values(node)) visit(v);
  };
  visit(p.gherkinDocument.feature);
  return found;
}

function statusOf(p: ITestCaseHookParameter, world: StoreshiftWorld): ScenarioResult["status"] {
  const s = p.result?.status;
  if (s === Status.PASSED) return "passed";
  if (s === Status.SKIPPED) return world.record.reason ? "not-run" : "skipped";
  return "failed";
}

/**
 * Leaves this scenario exactly as it ended: stores running (or paused, or killed, as a fault left
 * them), faults unhealed, proxies open, backups on disk. Prints how to reach every kept thing.
 */
async function keepScenario(world: StoreshiftWorld): Promise<void> {
  const etcds = [...new Set(world.etcds.values())];
  const kube = world.usedKube;
  if (etcds.length === 0 && !kube && world.leftovers.length === 0) return;
  keptSomething = true;
  // first, so no self-healing timer or armed trigger changes the state while the rest is recorded
  for (const l of world.leftovers) await l.freeze?.();
  for (const e of etcds) {
    await pool.forget(e);
    world.ownEtcds.delete(e);
  }
  if (kube) await pool.forgetKube(kube);
  const record: Omit<SessionRecord, "name"> = {
    ownerPid: process.pid,
    startedAt: new Date().toISOString(),
    stores: [...etcds.map(describeEtcd), ...(kube?.local ? [describeControlPlane(kube.local)] : [])],
    dirs: world.leftovers.flatMap((l) => l.dirs ?? []),
  };
  const name = await writeNewSession(`keep-${world.scenarioSlug}`, record);
  const lines = [connectionHints({ name, ...record }).trimEnd()];
  if (kube && !kube.local) {
    lines.push(`# Kubernetes (${kube.backend} backend) ${kube.name}, not stopped by storeshift down`);
    lines.push(`export KUBECONFIG=${kube.kubeconfigPath}`);
  }
  for (const l of world.leftovers) lines.push(...(l.reach?.() ?? [`# kept: ${l.what}`]));
  const unnamed = world.cleanups.length - world.leftovers.length;
  if (unnamed > 0) lines.push(`# ${unnamed} more cleanup step(s) of this scenario were not run`);
  const hints = `${lines.filter((l) => l !== "").join("\n")}\n`;
  await writeFile(join(world.artifactDir, "reconnect.sh"), hints);
  // printed even when quiet: the engineer asked to keep these and needs the way back in
  process.stderr.write(
    `storeshift: kept "${world.scenarioSlug}" as it ended (no fault healed, nothing stopped or deleted); stop it with \`storeshift down ${name}\`\n${hints}`,
  );
  // past this point nothing in this process may stop them, not even the exit-time cleanup
  for (const e of etcds) e.detach();
  kube?.local?.detach();
}

/** Registers the World's hooks with cucumber; called once by the step library's entry module. */
export function registerHooks(): void {
  if (docsOnly()) return;
  const timeout = libraryTimeoutMs();
  Before(function (this: StoreshiftWorld, p: ITestCaseHookParameter) {
    this.scenarioSlug = scenarioSlug(p);
    const worker = process.env.CUCUMBER_WORKER_ID;
    this.record.label = `${worker ? `[w${worker}] ` : ""}${p.pickle.name.slice(0, 50)} ›`;
    started.set(this, Date.now());
  });
  Before({ tags: "@real-calicoctl", timeout }, async function (this: StoreshiftWorld) {
    const chosen = this.params.migrator;
    if (chosen.startsWith("calicoctl=")) {
      this.calico.migrator = chosen;
      return undefined;
    }
    const located = await locateCalicoctl();
    if ("missing" in located) {
      this.record.reason = `needs a real calicoctl: ${located.reason}`;
      return "skipped";
    }
    this.calico.migrator = `calicoctl=${located.path}`;
    return undefined;
  });
  Before({ tags: "@needs-docker", timeout }, function (this: StoreshiftWorld) {
    if (this.params.backend !== "docker") {
      this.record.reason = `needs Docker (backend ${this.params.backend}: ${this.params.backendReason})`;
      return "skipped";
    }
    return undefined;
  });
  Before({ tags: "@needs-kind", timeout }, async function (this: StoreshiftWorld) {
    if (this.params.backend !== "docker") {
      this.record.reason = `needs kind (backend ${this.params.backend}: ${this.params.backendReason})`;
      return "skipped";
    }
    const kind = await probeKind();
    if (!kind.usable) {
      this.record.reason = `needs kind: ${kind.reason}`;
      return "skipped";
    }
    return undefined;
  });
  After({ timeout }, async function (this: StoreshiftWorld, p: ITestCaseHookParameter) {
    const status = statusOf(p, this);
    const failedMessage = p.result?.message?.split("\n")[0];
    this.record.settleUpstreamCases(this.record.reason ?? failedMessage);
    const result = this.record.toResult({
      id: this.scenarioSlug,
      name: p.pickle.name,
      feature: p.pickle.uri,
      tags: p.pickle.tags.map((t) => t.name),
      status,
      reason: this.record.reason ?? (status === "failed" ? failedMessage : undefined),
      durationMs: Date.now() - (started.get(this) ?? Date.now()),
    });
    // artifacts are named relative to the report dir, so the dir can be moved or archived whole
    result.artifacts = result.artifacts?.map((a) => relative(this.params.runDir, a));
    const keep = this.params.keep === "always" || (this.params.keep === "on-failure" && status === "failed");
    if (status === "failed" && !keep && this.leftovers.length > 0) {
      // a failure message may point at what is about to go ("backups kept in …"): say that it went
      result.reason = `${result.reason ?? "failed"} [after the failure storeshift released: ${this.leftovers
        .map((l) => l.what)
        .join("; ")}; --keep on-failure keeps them]`;
    }
    const dir = await this.ensureArtifactDir();
    await writeFile(join(dir, "scenario.json"), `${JSON.stringify(result, null, 2)}\n`);
    // the run's reports are built from cucumber's message stream; this record carries phases and checks
    this.attach(JSON.stringify(result), SCENARIO_MEDIA_TYPE);
    const counted = result.checks.flatMap((c) => c.differences ?? []).filter((d) => d.class !== "accounted");
    if (counted.length > 0) {
      // cucumber's own html/junit/message formatters show the diff too
      this.attach(JSON.stringify(counted.slice(0, 200), null, 2), {
        mediaType: "application/json",
        fileName: "diff.json",
      });
    }

    if (keep) {
      // nothing of the scenario's own cleanup runs: it would heal, stop or delete the failed state
      await keepScenario(this);
      return;
    }
    for (const cleanup of this.cleanups.reverse()) await cleanup();
    for (const etcd of new Set(this.etcds.values())) if (!this.ownEtcds.has(etcd)) await pool.resetEtcd(etcd);
    const kube = this.usedKube;
    if (kube)
      await resetKube(kube.kubeConfig(), { disposable: kube.disposable, createdNodes: this.createdNodes });
  });
  AfterAll({ timeout }, async () => {
    await pool.stopAll();
    if (keptSomething) log.info("some stores were kept: `storeshift status` lists them");
  });
}
