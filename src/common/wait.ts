export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` every `intervalMs` until it returns true or `timeoutMs` passes.
 * The timeout error says what was awaited, for how long, and the last failure seen.
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<void> {
  const started = Date.now();
  const interval = options.intervalMs ?? 100;
  let lastError = "";
  while (Date.now() - started < options.timeoutMs) {
    const aborted = options.abort?.();
    if (aborted) throw new Error(`${what}: ${aborted}`);
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(interval);
  }
  const suffix = lastError ? ` (last error: ${lastError})` : "";
  throw new Error(`${what}: not ready after ${options.timeoutMs} ms${suffix}`);
}
