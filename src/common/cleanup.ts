import { log } from "./log.js";

/**
 * Everything storeshift starts registers a stop function here, so SIGINT/SIGTERM (or a crash
 * of the CLI) still stops stores and removes temp dirs. Handles unregister themselves on stop().
 */
type Stopper = () => Promise<void>;
const live = new Map<number, { name: string; stop: Stopper }>();
let nextId = 1;
let installed = false;
let stopping = false;

/**
 * True once a signal has asked storeshift to stop. Nothing may start after that: a hook that runs
 * while the stores are being stopped (a scenario's reset restarting a member) would otherwise
 * bring a store back after it was stopped, and it would outlive the process.
 */
export function shuttingDown(): boolean {
  return stopping;
}

export function registerCleanup(name: string, stop: Stopper): () => void {
  installSignalHandlers();
  const id = nextId++;
  live.set(id, { name, stop });
  return () => {
    live.delete(id);
  };
}

export function liveHandles(): string[] {
  return [...live.values()].map((h) => h.name);
}

/** Stops everything still registered, newest first (a control plane before its etcd). */
export async function stopAll(): Promise<void> {
  const entries = [...live.entries()].reverse();
  for (const [id, handle] of entries) {
    live.delete(id);
    try {
      await handle.stop();
    } catch (err) {
      log.warn(`stopping ${handle.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    // `on`, not `once`: execa's signal-exit re-raises a signal it finds no other listener for,
    // which would kill this process by the signal before the stores are stopped. A second signal
    // while stopping is ignored for the same reason: stopping takes at most a few seconds.
    process.on(signal, () => {
      if (stopping) {
        log.info(`${signal} received again: still stopping ${live.size} store(s)`);
        return;
      }
      stopping = true;
      log.info(`${signal} received: stopping ${live.size} started store(s)`);
      void stopAll().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }
}
