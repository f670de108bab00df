import { existsSync } from "node:fs";
import { InputError } from "../../common/errors.js";
import { log } from "../../common/log.js";
import {
  type DiffConfig,
  emptyDiffConfig,
  loadDiffConfig,
  mergeDiffConfigs,
  resolveRules,
} from "../../diff/config.js";
import { diffSnapshots, hasDifferences } from "../../diff/engine.js";
import { parsePath } from "../../diff/match.js";
import { getMapping } from "../../mappings/index.js";
import { countsLine, differenceLine } from "../../report/format.js";
import { diffRunResult } from "../../report/from-diff.js";
import { makeRedactor, redactDifference } from "../../report/redact.js";
import { writeReports } from "../../report/write.js";
import { openStore } from "../../store-uri/store-uri.js";
import { type Command, parseFlags } from "../command.js";

/** `--ignore` takes a config file, or a field path glob that becomes a rule of its own. */
async function ignoreConfig(value: string): Promise<DiffConfig> {
  if (existsSync(value) || /\.(ya?ml|json)$/.test(value)) return loadDiffConfig(value);
  try {
    parsePath(value);
  } catch (err) {
    throw new InputError(`diff: --ignore ${(err as Error).message}`);
  }
  const config = emptyDiffConfig();
  config.rules.push({
    name: `cli:${value}`,
    description: "given with --ignore on the command line",
    paths: [value],
    source: "command line",
  });
  return config;
}

function mappingOptions(values: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const entry of values) {
    const eq = entry.indexOf("=");
    if (eq <= 0) throw new InputError(`diff: --mapping-option "${entry}" is not key=value`);
    const raw = entry.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // plain strings need no quotes
    }
    out[entry.slice(0, eq)] = value;
  }
  return out;
}

export const diffCommand: Command = {
  name: "diff",
  usage: `storeshift diff <source> <target> [flags]    exit 0 same, 1 different, 2 error

  <source> <target>         store URIs or file:snapshot.ndjson (see \`storeshift snapshot --help\`)
  --mapping <name>          how the source should look in the target (default identity)
  --mapping-option k=v      mapping setting; the value is JSON if it parses (repeatable)
  --ignore <file|path>      a config file with ignore rules, or a field path to ignore (repeatable)
  --no-default-ignores      compare server-managed fields and revisions too
  --show-accounted          also list differences that rules accounted for
  --report <dir>            write result.json, junit.xml, report.html, summary.md there
  --no-redact               show secret-looking values in the reports (off by default)
  --json                    print the diff result as JSON`,
  async run(argv) {
    const { values, positionals } = parseFlags(
      "diff",
      argv,
      {
        mapping: { type: "string" },
        "mapping-option": { type: "string", multiple: true },
        ignore: { type: "string", multiple: true },
        "no-default-ignores": { type: "boolean" },
        "show-accounted": { type: "boolean" },
        report: { type: "string" },
        "no-redact": { type: "boolean" },
        json: { type: "boolean" },
      },
      true,
    );
    if (positionals.length !== 2) throw new InputError("diff: expected <source> and <target>");
    const configs = await Promise.all(((values.ignore as string[] | undefined) ?? []).map(ignoreConfig));
    const config = mergeDiffConfigs(configs);
    const started = new Date();
    const [sourceUri = "", targetUri = ""] = positionals;
    const source = await openStore(sourceUri);
    const target = await openStore(targetUri);
    const mappingName = typeof values.mapping === "string" ? values.mapping : "identity";
    const mapping = getMapping(mappingName);
    const rules = resolveRules(config, mapping.ignoreRules ?? [], {
      defaults: values["no-default-ignores"] !== true,
    });
    const result = await diffSnapshots(source, target, {
      mapping,
      mappingOptions: mappingOptions((values["mapping-option"] as string[] | undefined) ?? []),
      rules,
    });
    const durationMs = Date.now() - started.getTime();
    const redactor = makeRedactor({ enabled: values["no-redact"] !== true, patterns: config.redactPatterns });
    const shown = result.differences
      .filter((d) => values["show-accounted"] || d.class !== "accounted")
      .map((d) => redactDifference(d, redactor));
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...result, differences: shown }, null, 2)}\n`);
    } else {
      for (const d of shown) process.stdout.write(`${differenceLine(d)}\n`);
      const byRule = new Map<string, number>();
      for (const d of result.differences) if (d.rule) byRule.set(d.rule, (byRule.get(d.rule) ?? 0) + 1);
      const ruleText = [...byRule].map(([rule, n]) => `${rule} ${n}`).join(", ");
      process.stdout.write(
        `${hasDifferences(result) ? "DIFFERENT" : "SAME"}: ${countsLine(result.counts)}\n`,
      );
      if (ruleText) process.stdout.write(`accounted by rule: ${ruleText}\n`);
    }
    if (typeof values.report === "string") {
      const runId = `diff-${started.toISOString().replace(/[:.]/g, "-")}`;
      const run = diffRunResult(result, { runId, startedAt: started, durationMs });
      await writeReports(run, values.report, {
        redaction: { enabled: values["no-redact"] !== true, patterns: config.redactPatterns },
      });
      log.info(`reports written to ${values.report}`);
    }
    return hasDifferences(result) ? 1 : 0;
  },
};
