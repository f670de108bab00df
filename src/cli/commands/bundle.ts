import { createBundle } from "../../bundle/index.js";
import { InputError } from "../../common/errors.js";
import { type Command, parseFlags } from "../command.js";

export const bundleCommand: Command = {
  name: "bundle",
  usage: `storeshift bundle <run-dir> -o FILE.tgz [--anonymize [--key KEY]]

Packs a run into one file another engineer can replay (\`storeshift replay FILE.tgz\`): the saved
features and fixtures, the data the features seeded from (snapshot, data dir, v2 dump, export), the
reports, the versions it ran with and the command that started it.

  --anonymize   rewrite the data with \`storeshift anonymize\` (same --key, same rewrite) and leave out
                the reports and artifacts, which name the original; only verdicts travel
  --key KEY     the anonymisation key (or STORESHIFT_ANON_KEY); required with --anonymize

Exit codes: 0 written, 2 bad input (nothing written).`,
  async run(argv) {
    const { values, positionals } = parseFlags(
      "bundle",
      argv,
      { output: { type: "string", short: "o" }, anonymize: { type: "boolean" }, key: { type: "string" } },
      true,
    );
    const [runDir] = positionals;
    if (!runDir || positionals.length > 1) throw new InputError("bundle: expected exactly one <run-dir>");
    if (typeof values.output !== "string") throw new InputError("bundle: -o FILE.tgz is required");
    const key = (values.key as string | undefined) ?? process.env.STORESHIFT_ANON_KEY;
    if (values.anonymize && !key)
      throw new InputError(
        "bundle --anonymize: give --key (or STORESHIFT_ANON_KEY), so the rewrite can be repeated",
      );
    const manifest = await createBundle({
      runDir,
      out: values.output,
      anonymizeKey: values.anonymize ? key : undefined,
    });
    process.stdout.write(
      `${values.output}: run ${manifest.runId}, ${manifest.data.length} data source(s)${manifest.anonymized ? " (anonymised)" : ""}; replay with: ${manifest.replay}\n`,
    );
    return 0;
  },
};
