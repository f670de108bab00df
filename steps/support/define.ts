import { Given, Then, When } from "@cucumber/cucumber";
import type { StoreshiftWorld } from "./world.js";

/**
 * Every step is registered through `step()`, which also records its phrase, an example and a
 * sentence of documentation. docs/steps.md is generated from these records, so it cannot drift.
 */
export interface StepDoc {
  keyword: "Given" | "When" | "Then";
  phrase: string;
  example: string;
  doc: string;
  area: string;
}

export const stepDocs: StepDoc[] = [];

/**
 * Cucumber refuses registrations outside a run. The docs generator and its test set this to
 * collect the phrases without registering anything.
 */
export const docsOnly = (): boolean => process.env.STORESHIFT_STEPS_DOCS_ONLY === "1";

/**
 * The timeout of storeshift's own steps and hooks: a control plane start, a rolling 3-member
 * migration or a 10k import takes far longer than cucumber's 5 s. Set per step where a step needs
 * more; `STORESHIFT_STEP_TIMEOUT_MS` changes the default. Registered on each step rather than with
 * `setDefaultTimeout`, so importing the library leaves a project's own steps on its own timeout.
 */
export function libraryTimeoutMs(): number {
  const configured = Number(process.env.STORESHIFT_STEP_TIMEOUT_MS);
  return Number.isFinite(configured) && configured > 0 ? configured : 180_000;
}

/** A step may answer "skipped": the scenario is then not run, with the reason it put in the record. */
type StepFn = (
  this: StoreshiftWorld,
  ...args: never[]
) => Promise<undefined | "skipped"> | undefined | "skipped" | Promise<void> | void;

export function step(
  keyword: StepDoc["keyword"],
  phrase: string,
  meta: { example: string; doc: string; area: string; timeoutMs?: number },
  fn: StepFn,
): void {
  const { timeoutMs, ...doc } = meta;
  stepDocs.push({ keyword, phrase, ...doc });
  if (docsOnly()) return;
  const register = keyword === "Given" ? Given : keyword === "When" ? When : Then;
  // a step longer than the default (e.g. a recovery that heals, rolls back and migrates again)
  register(
    phrase,
    { timeout: timeoutMs ?? libraryTimeoutMs() },
    fn as (this: StoreshiftWorld, ...args: unknown[]) => Promise<undefined | "skipped">,
  );
}
