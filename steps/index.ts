/**
 * The storeshift step library. Import this module from cucumber's `import` setting to get every
 * step, the World and the hooks (store pool, reset between scenarios, reports, keep-on-failure).
 */
import "./support/store-views.js";
import "./stores.steps.js";
import "./diff.steps.js";
import "./calico.steps.js";
import "./calico-oracles.steps.js";
import "./etcd-v2v3.steps.js";
import "./etcd-oracles.steps.js";
import "./etcd-lifecycle.steps.js";
import "./calico-readiness.steps.js";
import "./faults.steps.js";
import "./fault-migrations.steps.js";
import "./sources.steps.js";
import "./live-writers.steps.js";
import "./upstream-etcd.steps.js";
import "./upstream-calico.steps.js";
import "./matrix.steps.js";
import { setWorldConstructor } from "@cucumber/cucumber";
import { docsOnly } from "./support/define.js";
import { registerHooks } from "./support/hooks.js";
import { StoreshiftWorld } from "./support/world.js";

if (!docsOnly()) {
  registerHooks();
  setWorldConstructor(StoreshiftWorld);
}

export { type StepDoc, stepDocs } from "./support/define.js";
export { Produced, ProducedByName } from "./support/produced.js";
export { type StoreshiftParameters, StoreshiftWorld } from "./support/world.js";
