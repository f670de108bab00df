import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../common/atomic-write.js";
import { InputError, wrapError } from "../common/errors.js";
import { renderHtml } from "./html.js";
import { renderJunit } from "./junit.js";
import { renderMarkdown } from "./markdown.js";
import { type RedactionOptions, redactRunResult } from "./redact.js";
import { RESULT_SCHEMA_VERSION, type RunResult } from "./result.js";

export type ReportFormat = "json" | "junit" | "html" | "md";
export const REPORT_FILES: Record<ReportFormat, string> = {
  json: "result.json",
  junit: "junit.xml",
  html: "report.html",
  md: "summary.md",
};

export interface WriteReportsOptions {
  /** Default: all four. */
  formats?: ReportFormat[];
  /** Redaction is on unless `{ enabled: false }`. */
  redaction?: RedactionOptions;
}

/**
 * Writes result.json, junit.xml, report.html and summary.md into `dir` (created if needed), all rendered
 * from the same redacted copy of the result. Returns the paths written, by format.
 */
export async function writeReports(
  result: RunResult,
  dir: string,
  options: WriteReportsOptions = {},
): Promise<Partial<Record<ReportFormat, string>>> {
  const formats = options.formats ?? ["json", "junit", "html", "md"];
  const redacted = redactRunResult(result, options.redaction);
  const render: Record<ReportFormat, (r: RunResult) => string> = {
    json: (r) => `${JSON.stringify(r, null, 2)}\n`,
    junit: renderJunit,
    html: renderHtml,
    md: renderMarkdown,
  };
  const written: Partial<Record<ReportFormat, string>> = {};
  try {
    await mkdir(dir, { recursive: true });
    for (const format of formats) {
      const path = join(dir, REPORT_FILES[format]);
      // whole or not at all: a reader never sees half a report
      await writeFileAtomic(path, render[format](redacted));
      written[format] = path;
    }
  } catch (err) {
    throw wrapError(`write reports to ${dir}`, err);
  }
  return written;
}

/** Reads and checks a result.json: the schema version and the fields every renderer needs. */
export async function readRunResult(path: string): Promise<RunResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(`result ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InputError(`result ${path}: not JSON (${(err as Error).message})`);
  }
  const r = parsed as RunResult;
  if (typeof r !== "object" || r === null) throw new InputError(`result ${path}: expected an object`);
  if (r.schemaVersion !== RESULT_SCHEMA_VERSION) {
    throw new InputError(
      `result ${path}: schemaVersion ${String(r.schemaVersion)}, this storeshift reads ${RESULT_SCHEMA_VERSION}`,
    );
  }
  for (const field of ["runId", "startedAt", "finishedAt"] as const) {
    if (typeof r[field] !== "string")
      throw new InputError(`result ${path}: "${field}" missing or not a string`);
  }
  if (!Array.isArray(r.scenarios)) throw new InputError(`result ${path}: "scenarios" missing or not a list`);
  r.scenarios.forEach((s, i) => {
    if (typeof s?.name !== "string" || !Array.isArray(s.phases) || !Array.isArray(s.checks)) {
      throw new InputError(`result ${path}: scenarios[${i}] needs name, phases and checks`);
    }
  });
  if (typeof r.totals !== "object" || typeof r.backend !== "object") {
    throw new InputError(`result ${path}: "totals" and "backend" are required`);
  }
  return r;
}
