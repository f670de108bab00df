import { InputError } from "../../common/errors.js";
import { formatSelftest, runSelftest, type Subset, selftestExitCode } from "../../selftest/selftest.js";
import { type Command, parseFlags } from "../command.js";

export const selftestCommand: Command = {
  name: "selftest",
  usage: `storeshift selftest [--subset fast|full] [--mutant NAME]... [--report-only] [--every-catch]
                         [--report-dir DIR]

Proves the bundled suite's power: runs it on the builtin migrators (the baseline), then once per
deliberately broken migrator ("mutant", src/selftest/mutants) through --migrator module=…, and prints
each mutant, the scenario(s) that caught it and the catch rate. A mutant counts as caught only by a
scenario that passes on the builtin, in a run where the mutant applied its break.
  --subset fast   the mutants @smoke scenarios catch, on those scenarios only (CI; default)
  --subset full   every mutant, each on its migration's bundled suite (not @real-calicoctl), narrowed
                  to the scenarios that call what it breaks; a run stops at its first catch unless
                  --every-catch (or the baseline has failures)
Exit codes: 0 every mutant caught (or --report-only), 1 a mutant survived, 2 the selftest could not
run (bad flag, unknown mutant, a baseline or mutant run that could not start).`,
  async run(argv) {
    const { values } = parseFlags("selftest", argv, {
      subset: { type: "string", default: "fast" },
      mutant: { type: "string", multiple: true },
      "report-only": { type: "boolean", default: false },
      "report-dir": { type: "string", default: "reports/selftest" },
      backend: { type: "string", default: "local" },
      "every-catch": { type: "boolean", default: false },
    });
    const subset = String(values.subset);
    if (subset !== "fast" && subset !== "full")
      throw new InputError(`selftest: --subset ${subset}: expected fast or full`);
    const report = await runSelftest({
      subset: subset as Subset,
      mutants: values.mutant as string[] | undefined,
      reportDir: String(values["report-dir"]),
      backend: String(values.backend),
      everyCatch: values["every-catch"] === true,
    });
    process.stdout.write(formatSelftest(report));
    return selftestExitCode(report, values["report-only"] === true);
  },
};
