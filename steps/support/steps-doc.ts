import type { StepDoc } from "./define.js";

/** Renders docs/steps.md from the step registry, grouped by area, in registration order. */
export function renderStepsDoc(docs: StepDoc[]): string {
  const areas = [...new Set(docs.map((d) => d.area))];
  const out = [
    "# Step library",
    "",
    "Generated from the step definitions by `npm run docs:steps`; a test fails when this file is stale.",
    "Import the library into your own cucumber project with `import: ['storeshift/steps']`",
    "(`@cucumber/cucumber` is a peer dependency).",
    "",
  ];
  for (const area of areas) {
    out.push(`## ${area}`, "");
    for (const d of docs.filter((x) => x.area === area)) {
      out.push(`### ${d.keyword} ${d.phrase}`, "", d.doc, "", "```gherkin", d.example, "```", "");
    }
  }
  return out.join("\n");
}
