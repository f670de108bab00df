/** One line of the benchmark table. Ratios are measured in the same run as both of their sides. */
export interface BenchRow {
  bench: string;
  metric: string;
  /** Undefined when it could not be measured here: printed `n/a` (never 0), with the reason in `note`. */
  value: number | undefined;
  unit: string;
  /** The target from the issue, e.g. "<= 3 s"; printed beside the value, never asserted. */
  target?: string;
  note?: string;
}

export interface Bench {
  name: string;
  /** What it measures, printed above its rows. */
  description: string;
  run(): Promise<BenchRow[]>;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

/** A ratio of two measurements, undefined when either side was not measured. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}
