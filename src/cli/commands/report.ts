import { dirname } from "node:path";
import { InputError } from "../../common/errors.js";
import { type ReportFormat, readRunResult, writeReports } from "../../report/write.js";
import { type Command, parseFlags } from "../command.js";

export const reportCommand: Command = {
  name: "report",
  usage: `storeshift report <result.json> [--html] [--junit] [--md] [--json] [-o <dir>] [--no-redact] [--redact <regex>]

  With no format flag, writes report.html, junit.xml and summary.md next to result.json (or into -o <dir>).
  --json rewrites result.json itself (redacted). Secret-looking values are redacted unless --no-redact.`,
  async run(argv) {
    const { values, positionals } = parseFlags(
      "report",
      argv,
      {
        html: { type: "boolean" },
        junit: { type: "boolean" },
        md: { type: "boolean" },
        json: { type: "boolean" },
        output: { type: "string", short: "o" },
        "no-redact": { type: "boolean" },
        redact: { type: "string", multiple: true },
      },
      true,
    );
    if (positionals.length !== 1) throw new InputError("report: expected exactly one <result.json>");
    const path = positionals[0] ?? "";
    const result = await readRunResult(path);
    const chosen = (["html", "junit", "md", "json"] as const).filter((f) => values[f] === true);
    const formats: ReportFormat[] = chosen.length > 0 ? [...chosen] : ["html", "junit", "md"];
    const patterns = (values.redact as string[] | undefined) ?? [];
    for (const pattern of patterns) {
      try {
        new RegExp(pattern);
      } catch {
        throw new InputError(`report: --redact "${pattern}" is not a regular expression`);
      }
    }
    const dir = typeof values.output === "string" ? values.output : dirname(path);
    const written = await writeReports(result, dir, {
      formats,
      redaction: { enabled: values["no-redact"] !== true, patterns },
    });
    for (const file of Object.values(written)) process.stdout.write(`${file}\n`);
    return 0;
  },
};
