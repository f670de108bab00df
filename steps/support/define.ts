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

/** A step may answer "skipped": the scenario is then not run, with the reason it put in the record. */
type StepFn = (
  this: StoreshiftWorld,
  ...args: never[]
) => Promise<undefined | "skipped"> | undefined | "skipped" | Promise<void> | void;

export function step(
  keyword: StepDoc["keyword"],
  phrase: string,
  meta: { example: string; doc: string; area: string },
  fn: StepFn,
): void {
  stepDocs.push({ keyword, phrase, ...meta });
  if (docsOnly()) return;
  const register = keyword === "Given" ? Given : keyword === "When" ? When : Then;
  register(phrase, fn as (this: StoreshiftWorld, ...args: unknown[]) => Promise<undefined | "skipped">);
}
