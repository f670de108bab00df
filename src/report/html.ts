import { countDifferences } from "./format.js";
import type { Check, Difference, Phase, RunResult, ScenarioResult } from "./result.js";
import { timingsHtml } from "./timings.js";
import { toolLabel, upstreamRows } from "./upstream.js";

const MAX_ROWS_PER_CHECK = 5000;
const CLASSES = ["missing", "unexpected", "changed", "accounted"] as const;
const CLASS_HELP: Record<(typeof CLASSES)[number], string> = {
  missing: "expected in the target, not there",
  unexpected: "in the target, not expected",
  changed: "in both, a field differs",
  accounted: "a difference a named rule explains; not counted",
};

export function htmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function valueText(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2) ?? String(value);
}

/** Marks the part of two strings that differs (common prefix and suffix left plain). */
function highlightPair(expected: string, actual: string): [string, string] {
  let start = 0;
  while (start < expected.length && start < actual.length && expected[start] === actual[start]) start++;
  let endE = expected.length;
  let endA = actual.length;
  while (endE > start && endA > start && expected[endE - 1] === actual[endA - 1]) {
    endE--;
    endA--;
  }
  const mark = (s: string, from: number, to: number) =>
    `${htmlEscape(s.slice(0, from))}<mark>${htmlEscape(s.slice(from, to))}</mark>${htmlEscape(s.slice(to))}`;
  return [mark(expected, start, endE), mark(actual, start, endA)];
}

function valueCell(html: string, absent: boolean, side: "expected" | "actual"): string {
  if (absent) return `<td class="val ${side} absent"><span>absent</span></td>`;
  return `<td class="val ${side}"><pre>${html}</pre></td>`;
}

function differenceRow(d: Difference): string {
  const hasE = d.expected !== undefined;
  const hasA = d.actual !== undefined;
  let eHtml = htmlEscape(valueText(d.expected));
  let aHtml = htmlEscape(valueText(d.actual));
  if (typeof d.expected === "string" && typeof d.actual === "string")
    [eHtml, aHtml] = highlightPair(d.expected, d.actual);
  const search = `${d.id} ${d.path} ${d.rule ?? ""}`.toLowerCase();
  const why = [
    d.class === "missing" ? `<span class="chg">expected, not in the target</span>` : "",
    d.class === "unexpected" ? `<span class="chg">in the target, not expected</span>` : "",
    d.rule ? `<span class="rule" title="rule">${htmlEscape(d.rule)}</span>` : "",
    d.change && d.class !== "missing" && d.class !== "unexpected"
      ? `<span class="chg">${d.change}</span>`
      : "",
    d.note ? `<div class="note">${htmlEscape(d.note)}</div>` : "",
  ].join(" ");
  return (
    `<tr class="diff" data-class="${d.class}" data-kind="${htmlEscape(d.kind)}" data-search="${htmlEscape(search)}">` +
    `<td><span class="cls ${d.class}">${d.class}</span></td>` +
    `<td class="kind">${htmlEscape(d.kind)}</td>` +
    `<td class="where"><div class="id">${htmlEscape(d.id)}</div>${d.path ? `<div class="path">${htmlEscape(d.path)}</div>` : ""}</td>` +
    valueCell(eHtml, !hasE, "expected") +
    valueCell(aHtml, !hasA, "actual") +
    `<td class="why">${why}</td></tr>`
  );
}

function phasesTable(phases: Phase[]): string {
  if (phases.length === 0) return "";
  const max = Math.max(1, ...phases.map((p) => p.durationMs));
  const rows = phases
    .map(
      (p) =>
        `<tr class="phase ${p.status}"><td>${htmlEscape(p.name)}</td><td><span class="st ${p.status}">${p.status}</span></td>` +
        `<td class="num">${formatMs(p.durationMs)}</td>` +
        `<td class="bar"><span style="width:${Math.max(1, Math.round((p.durationMs / max) * 100))}%"></span></td>` +
        `<td class="msg">${htmlEscape(p.message ?? "")}</td></tr>`,
    )
    .join("");
  return `<table class="phases"><thead><tr><th>phase</th><th>status</th><th>time</th><th></th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

function checkBlock(check: Check): string {
  const differences = check.differences ?? [];
  const counts = check.counts ?? { ...countDifferences(differences), changedPaths: undefined };
  const countText = CLASSES.map((c) => `<span class="cls ${c}">${counts[c]} ${c}</span>`).join(" ");
  const rows = differences.slice(0, MAX_ROWS_PER_CHECK).map(differenceRow).join("");
  const cut =
    differences.length > MAX_ROWS_PER_CHECK || check.truncated
      ? `<p class="cut">Showing ${Math.min(differences.length, MAX_ROWS_PER_CHECK)} differences; the rest are counted above and listed in result.json.</p>`
      : "";
  const table =
    differences.length === 0
      ? ""
      : `<table class="diffs"><thead><tr><th>class</th><th>kind</th><th>record / path</th><th>expected</th><th>actual (target)</th><th>why</th></tr></thead><tbody>${rows}</tbody></table><p class="none-shown" hidden>No differences match the filters.</p>${cut}`;
  return (
    `<div class="check ${check.status}"><h4><span class="st ${check.status}">${check.status}</span> ${htmlEscape(check.name)}` +
    `${check.mapping ? ` <span class="mapping">mapping: ${htmlEscape(check.mapping)}</span>` : ""}</h4>` +
    `${check.message ? `<p class="msg">${htmlEscape(check.message)}</p>` : ""}` +
    `${check.differences || check.counts ? `<p class="counts">${countText}${check.counts ? ` <span class="ident">${check.counts.identical} identical</span>` : ""}</p>` : ""}` +
    `${table}</div>`
  );
}

function scenarioBlock(s: ScenarioResult): string {
  const tags = s.tags.map((t) => `<span class="tag">${htmlEscape(t)}</span>`).join(" ");
  const seeds = s.seeds
    ? Object.entries(s.seeds)
        .map(([k, v]) => `${htmlEscape(k)}=${v}`)
        .join(", ")
    : "";
  const artifacts = (s.artifacts ?? [])
    .map((a) => `<a href="${htmlEscape(a)}">${htmlEscape(a)}</a>`)
    .join(" ");
  return (
    `<section class="scenario ${s.status}" data-status="${s.status}" id="scenario-${htmlEscape(s.id)}">` +
    `<h3><span class="st ${s.status}">${s.status}</span> ${htmlEscape(s.name)} <span class="dur">${formatMs(s.durationMs)}</span></h3>` +
    `<p class="meta">${htmlEscape(s.feature)} ${tags}${seeds ? ` · seeds ${seeds}` : ""}${artifacts ? ` · ${artifacts}` : ""}</p>` +
    `${s.reason ? `<p class="reason">${htmlEscape(s.reason)}</p>` : ""}` +
    phasesTable(s.phases) +
    s.checks.map(checkBlock).join("") +
    `</section>`
  );
}

/** Which upstream case each tool (at which version) shows, fixes or could not be tried on. */
function upstreamTable(result: RunResult): string {
  const rows = upstreamRows(result);
  if (rows.length === 0) return "";
  const body = rows
    .map(
      (r) =>
        `<tr class="upstream ${r.outcome}"><td class="mono">${htmlEscape(r.caseId)}</td><td>${htmlEscape(toolLabel(r))}</td>` +
        `<td><span class="oc ${r.outcome}">${r.outcome}</span></td><td>${htmlEscape(r.detail)}</td>` +
        `<td><a href="#scenario-${htmlEscape(r.scenarioId)}">${htmlEscape(r.scenario)}</a></td></tr>`,
    )
    .join("");
  return `<section id="upstream"><h2>Upstream cases</h2><p class="help">Per upstream case and tool version: reproduced (the tool shows the bug), not-reproduced, fixed-by-storeshift, not-applicable, or not-run (with what is missing).</p><table><thead><tr><th>case</th><th>tool</th><th>outcome</th><th>detail</th><th>scenario</th></tr></thead><tbody>${body}</tbody></table></section>`;
}

function rulesTable(result: RunResult): string {
  const uses = new Map<string, number>();
  for (const s of result.scenarios) {
    for (const c of s.checks)
      for (const d of c.differences ?? []) if (d.rule) uses.set(d.rule, (uses.get(d.rule) ?? 0) + 1);
  }
  const rules = [...(result.rules ?? [])];
  for (const name of uses.keys())
    if (!rules.some((r) => r.name === name)) rules.push({ name, description: "" });
  if (rules.length === 0) return "";
  const rows = rules
    .map(
      (r) =>
        `<tr id="rule-${htmlEscape(r.name)}"><td class="rule">${htmlEscape(r.name)}</td><td class="num">${uses.get(r.name) ?? 0}</td>` +
        `<td>${htmlEscape(r.description)}</td><td>${htmlEscape(r.source ?? "")}</td>` +
        `<td class="mono">${htmlEscape([...(r.kinds ?? []).map((k) => `kind ${k}`), ...(r.ids ?? []).map((i) => `id ${i}`), ...(r.paths ?? [])].join(", "))}</td></tr>`,
    )
    .join("");
  return `<section id="rules"><h2>Ignore and mapping rules</h2><p class="help">Every accounted difference names the rule that explains it.</p><table><thead><tr><th>rule</th><th>accounted</th><th>why</th><th>from</th><th>applies to</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

const STYLE = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#dde1e8;--bg:#f6f7f9;--miss:#b42318;--unexp:#8a4b00;--chg:#1f4fbf;--acc:#5b6475;--ok:#137333;--bad:#b42318}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1d2330;color:#fff;padding:16px 24px}header h1{margin:0 0 6px;font-size:20px}header dl{display:flex;flex-wrap:wrap;gap:4px 18px;margin:0;color:#c9cfdb;font-size:13px}header dt{display:inline;color:#8f98aa}header dd{display:inline;margin:0 0 0 4px}
main{padding:16px 24px}.cards{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:14px}.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:110px}.card b{display:block;font-size:22px}.card small{color:var(--muted)}
.card.failed b,.card.missing b{color:var(--miss)}.card.passed b{color:var(--ok)}.card.unexpected b{color:var(--unexp)}.card.changed b{color:var(--chg)}.card.accounted b{color:var(--acc)}
#filters{position:sticky;top:0;z-index:2;background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 12px;display:flex;flex-wrap:wrap;gap:10px 18px;align-items:center;margin-bottom:14px}
#filters label{cursor:pointer}#filters input[type=search]{min-width:260px;padding:4px 8px}#shown{margin-left:auto;color:var(--muted)}
.scenario{background:#fff;border:1px solid var(--line);border-left:5px solid var(--line);border-radius:8px;padding:10px 16px;margin-bottom:14px}.scenario.failed{border-left-color:var(--bad)}.scenario.passed{border-left-color:var(--ok)}
.scenario h3{margin:4px 0}.dur{color:var(--muted);font-weight:normal;font-size:13px}.meta{color:var(--muted);margin:2px 0 8px}.tag{background:#eef0f4;border-radius:4px;padding:0 5px;font-size:12px}.reason{background:#fff7e0;border:1px solid #f0d999;padding:6px 10px;border-radius:6px}
.st{display:inline-block;font-size:11px;font-weight:600;text-transform:uppercase;border-radius:4px;padding:1px 6px;background:#eef0f4;color:var(--muted)}.st.passed{background:#e6f4ea;color:var(--ok)}.st.failed{background:#fce8e6;color:var(--bad)}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}th{font-size:12px;color:var(--muted);font-weight:600}
.phases{width:auto;min-width:50%}.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}.bar{width:160px}.bar span{display:block;height:8px;background:#9db4e8;border-radius:4px}.phase.failed .bar span{background:#e8a29d}
.check h4{margin:10px 0 4px}.counts .cls{margin-right:4px}.ident{color:var(--muted)}.mapping{font-weight:normal;color:var(--muted);font-size:12px}
.cls{display:inline-block;font-size:12px;font-weight:600;border-radius:10px;padding:0 8px;color:#fff;white-space:nowrap}.cls.missing{background:var(--miss)}.cls.unexpected{background:var(--unexp)}.cls.changed{background:var(--chg)}.cls.accounted{background:var(--acc)}
.diffs td.where{max-width:360px;word-break:break-all}.id{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}.path{font-family:ui-monospace,monospace;font-size:12px;color:var(--chg);font-weight:600}
td.val{width:28%;max-width:420px}td.val pre{margin:0;max-height:220px;overflow:auto;white-space:pre-wrap;word-break:break-all;font:12px/1.35 ui-monospace,Menlo,monospace;padding:4px 6px;border-radius:4px}
td.expected pre{background:#fdf0ef}td.actual pre{background:#eef8f0}td.absent span{color:var(--muted);font-style:italic}mark{background:#ffd24d;color:#000;border-radius:2px}
.why .rule{font-family:ui-monospace,monospace;font-size:12px;background:#eef0f4;border-radius:4px;padding:0 4px}.why .chg{font-size:11px;color:var(--muted)}.note{font-size:12px;color:var(--muted)}
.mono{font-family:ui-monospace,monospace;font-size:12px}.help{color:var(--muted)}#upstream{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 16px;margin-bottom:14px}
.oc{font-size:12px;font-weight:600;border-radius:4px;padding:0 6px;background:#eef0f4;color:var(--muted);white-space:nowrap}.oc.reproduced{background:#fce8e6;color:var(--bad)}.oc.fixed-by-storeshift,.oc.not-reproduced{background:#e6f4ea;color:var(--ok)}#rules{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 16px}.cut{color:var(--unexp)}
tr.diff[hidden]{display:none}
`;

const SCRIPT = `
(function(){
  var boxes=[].slice.call(document.querySelectorAll('#filters input[name=class]'));
  var kind=document.getElementById('f-kind'),q=document.getElementById('f-q'),shown=document.getElementById('shown-count');
  var rows=[].slice.call(document.querySelectorAll('tr.diff'));
  function readHash(){
    var h=new URLSearchParams(location.hash.slice(1));
    if(h.has('class')){var c=h.get('class').split(',');boxes.forEach(function(b){b.checked=c.indexOf(b.value)>=0;});}
    if(h.has('kind'))kind.value=h.get('kind');
    if(h.has('q'))q.value=h.get('q');
  }
  function apply(){
    var on=boxes.filter(function(b){return b.checked;}).map(function(b){return b.value;});
    var k=kind.value,text=q.value.toLowerCase(),n=0;
    rows.forEach(function(r){
      var vis=on.indexOf(r.dataset.class)>=0&&(!k||r.dataset.kind===k)&&(!text||r.dataset.search.indexOf(text)>=0);
      r.hidden=!vis;if(vis)n++;
    });
    [].slice.call(document.querySelectorAll('table.diffs')).forEach(function(t){
      var any=t.querySelector('tr.diff:not([hidden])');var p=t.nextElementSibling;if(p&&p.classList.contains('none-shown'))p.hidden=!!any;
    });
    shown.textContent=String(n);
    var h=new URLSearchParams();if(on.length!==boxes.length)h.set('class',on.join(','));if(k)h.set('kind',k);if(text)h.set('q',text);
    var s=h.toString();if(('#'+s)!==location.hash&&!(s===''&&location.hash===''))history.replaceState(null,'',s?'#'+s:location.pathname);
  }
  readHash();apply();
  boxes.forEach(function(b){b.addEventListener('change',apply);});kind.addEventListener('change',apply);q.addEventListener('input',apply);
  window.addEventListener('hashchange',function(){readHash();apply();});
})();
`;

/**
 * One self-contained HTML file (no network: inline CSS and script, a CSP that forbids loads): run summary,
 * per-scenario phases and timings, every difference with both values side by side, filters by kind and
 * class (kept in the URL hash, so a filtered view can be linked), and the rules behind accounted ones.
 */
export function renderHtml(result: RunResult): string {
  const t = result.totals;
  const all = result.scenarios.flatMap((s) => s.checks.flatMap((c) => c.differences ?? []));
  const counts = countDifferences(all);
  const kinds = [...new Set(all.map((d) => d.kind))].sort();
  const status = t.failed > 0 ? "failed" : "passed";
  const meta: Array<[string, string]> = [
    ["started", result.startedAt],
    ["finished", result.finishedAt],
    ["backend", `${result.backend.name} (${result.backend.reason})`],
    ...Object.entries(result.versions).map(([k, v]): [string, string] => [k, v]),
    ...Object.entries(result.seeds ?? {}).map(([k, v]): [string, string] => [`seed ${k}`, String(v)]),
    ["redaction", result.redaction?.enabled === false ? "OFF" : "on (secret-looking values hidden)"],
    ["schema", `v${result.schemaVersion}`],
  ];
  const card = (cls: string, n: number, label: string, title = "") =>
    `<div class="card ${cls}" id="count-${cls}" data-count="${n}" title="${htmlEscape(title)}"><b>${n}</b><small>${label}</small></div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>storeshift ${htmlEscape(result.runId)}: ${status}</title><style>${STYLE}</style></head>
<body>
<header><h1>storeshift run ${htmlEscape(result.runId)} <span class="st ${status}">${status}</span></h1>
<dl>${meta.map(([k, v]) => `<div><dt>${htmlEscape(k)}</dt><dd>${htmlEscape(v)}</dd></div>`).join("")}</dl></header>
<main>
<div class="cards">${card("passed", t.passed, "passed")}${card("failed", t.failed, "failed")}${card("skipped", t.skipped, "skipped")}${card("not-run", t.notRun, "not run")}
${CLASSES.map((c) => card(c, counts[c], c, CLASS_HELP[c])).join("")}</div>
<nav id="filters"><strong>Filter</strong>
${CLASSES.map((c) => `<label title="${CLASS_HELP[c]}"><input type="checkbox" name="class" value="${c}" checked> <span class="cls ${c}">${c}</span> ${counts[c]}</label>`).join("\n")}
<label>kind <select id="f-kind"><option value="">all kinds</option>${kinds.map((k) => `<option>${htmlEscape(k)}</option>`).join("")}</select></label>
<input id="f-q" type="search" placeholder="id, path or rule contains…">
<span id="shown"><b id="shown-count">${all.length}</b> of <b id="total-count">${all.length}</b> differences shown</span></nav>
${upstreamTable(result)}
${result.scenarios.map(scenarioBlock).join("\n")}
${rulesTable(result)}
${timingsHtml(result, htmlEscape)}
</main>
<script>${SCRIPT}</script>
</body></html>
`;
}
