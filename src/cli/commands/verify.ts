import { InputError } from "../../common/errors.js";
import { parseBackend } from "../../providers/backend.js";
import { consoleSummary } from "../../runner/console-summary.js";
import type { SourcePurpose } from "../../sources/index.js";
import { verifyFrom } from "../../verify/index.js";
import { type Command, parseFlags } from "../command.js";
import { parseKeep } from "./run.js";

const USAGE = `storeshift verify <calico|etcd-v2v3> --from SOURCE [--report-dir DIR] [--keep never|on-failure|always]

Runs a migration's whole guide on private copies of your own data and writes the usual reports
(result.json, junit.xml, report.html, summary.md). The source is only ever read.

  verify calico --from <snapshot|data-dir|export|etcd-url>
      lock, export, import into a local control plane, verify, unlock; then migrate and roll back,
      and verify etcd is as it was
  verify etcd-v2v3 --from <data-dir|v2-dump|etcd-url>
      offline with the real \`etcdctl migrate\` and online with storeshift's migrator, each verified
      and rolled back

  SOURCE is told apart by content: an \`etcdctl snapshot save\` file, a stopped member's --data-dir,
  a \`GET /v2/keys/?recursive=true\` body, a \`calicoctl datastore migrate export\` file, or http(s)://.

Exit codes: 0 everything verified, 1 something did not (or could not run: see the report),
2 bad input (nothing is written, not even the report dir).`;

export const verifyCommand: Command = {
  name: "verify",
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== "calico" && sub !== "etcd-v2v3")
      throw new InputError(
        `verify: ${sub === undefined ? "no migration given" : `unknown migration "${sub}"`}; expected calico or etcd-v2v3`,
      );
    const { values } = parseFlags(`verify ${sub}`, rest, {
      from: { type: "string" },
      "report-dir": { type: "string", default: "reports" },
      keep: { type: "string", default: "never" },
      backend: { type: "string", default: "local" },
    });
    if (typeof values.from !== "string" || values.from === "")
      throw new InputError(`verify ${sub}: --from SOURCE is required`);
    const outcome = await verifyFrom({
      purpose: sub as SourcePurpose,
      from: values.from,
      reportDir: String(values["report-dir"]),
      keep: parseKeep(String(values.keep)),
      backend: parseBackend(String(values.backend)),
    });
    process.stdout.write(consoleSummary(outcome.result, outcome.runDir));
    const { totals, scenarios } = outcome.result;
    // a guide step that could not run proves nothing: only all-passed is verified
    const verified = outcome.exitCode === 0 && scenarios.length > 0 && totals.passed === scenarios.length;
    process.stdout.write(
      `${verified ? "verified" : "NOT verified"}: ${sub} migration of ${outcome.spec.location} (${outcome.spec.kind})\n`,
    );
    return verified ? 0 : 1;
  },
};
