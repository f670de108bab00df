import { readFile, writeFile } from "node:fs/promises";
import { stepDocs } from "../steps/index.js";
import { renderStepsDoc } from "../steps/support/steps-doc.js";

// `--check` exits 1 when docs/steps.md differs from what the step definitions say.
const target = new URL("../docs/steps.md", import.meta.url);
const text = renderStepsDoc(stepDocs);
if (process.argv.includes("--check")) {
  const current = await readFile(target, "utf8").catch(() => "");
  if (current !== text) {
    process.stderr.write("docs/steps.md is stale: run `npm run docs:steps`\n");
    process.exit(1);
  }
} else {
  await writeFile(target, text);
}
