import { FaultSession } from "../../src/faults/session.js";
import type { FaultStores } from "../../src/faults/targets.js";
import type { StoreshiftWorld } from "./world.js";

/** The scenario's fault session, created (and left to be healed and stopped) on first use. */
export function faultSession(world: StoreshiftWorld): FaultSession {
  const existing = world.faults.session;
  if (existing) return existing;
  const session = new FaultSession();
  world.faults.session = session;
  // before the pool resets the stores: every fault healed, every proxy closed; or, when the
  // scenario is kept, every fault left applied and nothing scheduled to change that
  world.leave({
    what: "the scenario's faults (healed) and fault proxies (stopped)",
    release: () => session.stop(),
    freeze: () => session.freeze(),
    reach: () => session.describeKept(),
  });
  return session;
}

/** The scenario's stores as fault targets are resolved against them. */
export function faultStores(world: StoreshiftWorld): FaultStores {
  return {
    // world.kube() names the missing Given step when the scenario has no Kubernetes at all
    get plane() {
      return world.kube().local;
    },
    backend: world.params.backend,
    etcd: (name) => world.etcd(name),
  };
}
