import fc from "fast-check";
import { envVar } from "../common/environment.js";
import { checkOutcome, type FuzzTarget } from "./targets.js";

export interface FuzzRunOptions {
  numRuns: number;
  /** Replays a failure: the seed fast-check printed (also read from STORESHIFT_FUZZ_SEED). */
  seed?: number;
  /** One input may take at most this long (a hang guard; the parsers are synchronous). */
  maxMsPerInput?: number;
}

export interface FuzzRunResult {
  target: string;
  seed: number;
  runs: number;
  ms: number;
}

/**
 * Throws every input of a target at it; a failure is shrunk by fast-check and reported with the
 * seed and path to replay it (`STORESHIFT_FUZZ_SEED=<seed>`), printed to stderr as well.
 */
export async function fuzz(target: FuzzTarget, options: FuzzRunOptions): Promise<FuzzRunResult> {
  const envSeed = envVar("STORESHIFT_FUZZ_SEED");
  const seed = options.seed ?? (envSeed ? Number(envSeed) : Math.floor(Math.random() * 2 ** 31));
  let runs = 0;
  const started = performance.now();
  const property = fc.asyncProperty(target.inputs, async (text) => {
    runs++;
    await checkOutcome(target, text, options.maxMsPerInput);
  });
  try {
    await fc.assert(property, {
      numRuns: options.numRuns,
      seed,
      endOnFailure: false,
      includeErrorInReport: true,
    });
  } catch (err) {
    process.stderr.write(
      `fuzz ${target.name}: FAILED with seed ${seed} (replay: STORESHIFT_FUZZ_SEED=${seed})\n`,
    );
    throw err;
  } finally {
    await target.dispose?.();
  }
  return { target: target.name, seed, runs, ms: performance.now() - started };
}
