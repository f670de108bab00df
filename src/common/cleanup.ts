import { log } from "./log.js";

/**
 * Everything storeshift starts registers a stop function here, so SIGINT/SIGTERM (or a crash
 * of the CLI) still stops stores and removes temp dirs. Handles unregister themselves on stop().
 */
type Stopper = () => Promise<void>;
const live = new Map<number, { name: string; stop: Stopper }>();
let nextId = 1;
let installed = false;

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
    process.once(signal, () => {
      log.info(`${signal} received: stopping ${live.size} started store(s)`);
      void stopAll().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }
}
