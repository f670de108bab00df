import type { UpstreamCaseVerdict } from "../report/result.js";

/**
 * What a judged case means for one tool. The upstream tool's rows record what it does and never fail
 * a scenario: a release that fixes a bug is news, not a regression of storeshift. storeshift's own
 * rows fail when the bug shows (`failed` is true).
 */
export function caseVerdict(input: {
  caseId: string;
  tool: "storeshift" | "calicoctl" | string;
  toolVersion?: string;
  shown: boolean;
  /** Where the upstream tool fixed it; absent while upstream still has it. */
  fixedUpstreamIn?: string;
  symptoms: string[];
  notes: string[];
}): { verdict: UpstreamCaseVerdict; failed: boolean } {
  const said = (lines: string[]) =>
    lines.slice(0, 4).join("; ") + (lines.length > 4 ? `; … ${lines.length - 4} more` : "");
  const isStoreshift = input.tool === "storeshift";
  let outcome: UpstreamCaseVerdict["outcome"];
  let detail: string;
  if (input.shown) {
    outcome = "reproduced";
    detail = said(input.symptoms);
  } else if (isStoreshift && input.fixedUpstreamIn === undefined) {
    outcome = "fixed-by-storeshift";
    detail = said(input.notes) || "behaves correctly where upstream does not";
  } else {
    outcome = "not-reproduced";
    detail = [
      said(input.notes) || "behaves correctly",
      ...(input.fixedUpstreamIn ? [`fixed upstream in ${input.fixedUpstreamIn}`] : []),
    ].join("; ");
  }
  return {
    verdict: {
      caseId: input.caseId,
      tool: input.tool,
      ...(input.toolVersion ? { toolVersion: input.toolVersion } : {}),
      outcome,
      detail,
    },
    failed: isStoreshift && input.shown,
  };
}
