import { outcomeWord, type ClientCheckResult, type RequirementResult } from '../check.js';
import { readFailureRecord } from '../failure-record.js';
import { protocols, resolveClient } from '../registry.js';
import { runScenario } from '../runner.js';
import { loadScenarioFile, type ResolvedScenario } from '../scenario.js';
import { timelineWindow, type TimelineWindow } from './html-timeline.js';
import type { ClientReport, JsonReport } from './json.js';
import { readablePath, type ReportContext, type Reporter } from './types.js';

/** One failure shown in the HTML report: a requirement's first failure and the re-run that draws its timeline. */
export interface HtmlFailure {
  /** Index of the client in the report. */
  client: number;
  /** The requirement result with its first failure. */
  requirement: RequirementResult;
  /** The fault plan of the failing run (shrunk, for a counterexample). */
  faults?: unknown[];
  /** Whether {@link HtmlFailure.faults} is a shrunk counterexample's plan. */
  shrunk: boolean;
  /** The timeline around the violating step, when the run could be re-run. */
  timeline?: TimelineWindow;
  /** Why there is no timeline. */
  noTimeline?: string;
}

const esc = (s: unknown): string =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const secs = (ms: number | undefined): string => (ms === undefined ? '' : `${(ms / 1000).toFixed(3)} s`);

/** The scenario a first failure comes from, re-buildable from the report alone (or the in-memory results). */
function failingScenario(
  c: ClientReport,
  q: RequirementResult,
  result: ClientCheckResult | undefined,
  ctx: Pick<ReportContext, 'staged'>,
): { scenario: ResolvedScenario; globals?: boolean; shrunk: boolean } | string {
  const run = q.firstFailure!.run;
  if (run.startsWith('counterexample')) {
    const cx = result?.property?.counterexample;
    if (cx) return { scenario: cx.scenario, shrunk: true };
    const file = c.property?.failureFile;
    if (!file) return 'the failure record of the counterexample is not named in the report';
    const record = readFailureRecord(readablePath(ctx, file), protocols);
    return { scenario: record.scenario, globals: record.globals, shrunk: true };
  }
  if (run.startsWith('scenario ')) {
    const name = run.slice('scenario '.length);
    const s = c.scenarios.find((x) => x.name === name);
    if (!s?.file) return `the file of scenario ${name} is not in the report`;
    const sc = loadScenarioFile(s.file, protocols);
    return { scenario: c.server ? { ...sc, server: { variant: c.server, options: sc.server.options } } : sc, shrunk: false };
  }
  return `${run} was not shrunk into a failure record (only the counterexample is); its evidence is above`;
}

/**
 * Re-runs each requirement's first failure deterministically and keeps a window of its
 * trace around the violating step. Runs shared by several requirements run once.
 */
export async function collectFailures(ctx: Pick<ReportContext, 'report' | 'results' | 'staged'>): Promise<HtmlFailure[]> {
  const out: HtmlFailure[] = [];
  for (const [ci, c] of ctx.report.clients.entries()) {
    const result = ctx.results?.find((r) => r.protocol === c.protocol && r.client === c.client && r.server === c.server);
    const cache = new Map<string, Promise<Awaited<ReturnType<typeof runScenario>>>>();
    for (const q of c.requirements) {
      if (!q.firstFailure) continue;
      const f: HtmlFailure = { client: ci, requirement: q, shrunk: false };
      out.push(f);
      try {
        const found = failingScenario(c, q, result, ctx);
        if (typeof found === 'string') {
          f.noTimeline = found;
          continue;
        }
        f.faults = found.scenario.faults as unknown[];
        f.shrunk = found.shrunk;
        const key = q.firstFailure.run;
        if (!cache.has(key)) {
          const client = await resolveClient(c.client, c.protocol);
          cache.set(
            key,
            runScenario({
              protocol: client.protocol,
              scenario: found.scenario,
              client: client.factory,
              clientName: client.name,
              globals: found.globals ?? ctx.report.options.globals,
            }),
          );
        }
        const r = await cache.get(key)!;
        f.timeline = timelineWindow(r.trace.events(), found.scenario.clients, q.firstFailure.seq);
      } catch (e) {
        f.noTimeline = `re-running the failing run failed: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
  }
  return out;
}

const verdictLabel: Record<string, string> = { pass: 'PASS', fail: 'FAIL', 'non-strict': 'NON-STRICT', 'not-exercised': 'NOT EXERCISED' };
const clientName = (c: ClientReport): string => `${c.client}${c.server ? ` vs server ${c.server}` : ''}`;
const failureId = (i: number): string => `failure-${i}`;

function renderTimeline(w: TimelineWindow): string {
  const lane = new Map(w.lanes.map((l, i) => [l, i]));
  const cols = `grid-template-columns: 5.5em 3.5em repeat(${w.lanes.length}, minmax(9em, 1fr))`;
  const head = `<div class="tl-row tl-head" style="${cols}"><div>time</div><div>seq</div>${w.lanes
    .map(
      (l, i) =>
        `<div class="tl-lane-name" style="grid-column:${i + 3}">${esc(l === 'network' ? 'network' : l === 'server' ? 'server' : `client ${l}`)}</div>`,
    )
    .join('')}</div>`;
  const last = w.lanes.length - 1;
  // A step on one lane: its label starts at the lane's line (ends there, on the last lane);
  // the violating step's label runs across the remaining lanes.
  const dot = (a: number, hl: boolean, kind: string, label: string): string => {
    const end = a === last;
    const start = end ? a + 2 : a + 3;
    const span = end ? 2 : hl ? last - a + 1 : 2;
    const pad = `${end ? 'padding-right' : 'padding-left'}:calc(50% / ${span})`;
    return `<div class="tl-dot${end ? ' end' : ''} k-${kind}" style="grid-column:${start} / span ${span};${pad}"><span class="tl-label">${esc(label)}</span></div>`;
  };
  const rows = w.steps.map((s) => {
    const a = lane.get(s.from) ?? 0;
    const b = s.to === undefined ? a : (lane.get(s.to) ?? a);
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const hl = s.seq === w.highlight;
    const lanesBg = w.lanes.map((_, i) => `<div class="tl-lane" style="grid-column:${i + 3}"></div>`).join('');
    const mark =
      s.to !== undefined && a !== b
        ? `<div class="tl-arrow ${a < b ? 'right' : 'left'} k-${s.kind}" style="grid-column:${lo + 3} / ${hi + 4}"><span class="tl-label">${esc(s.label)}</span></div>`
        : dot(a, hl, s.kind, s.label);
    return `<div class="tl-row${hl ? ' violation' : ''}" data-seq="${s.seq}" data-ev="${esc(s.ev)}" style="${cols}" title="${esc(`${s.ev} seq ${s.seq} at ${secs(s.t)}: ${s.label}`)}"><div class="tl-t">${esc(secs(s.t))}</div><div class="tl-seq">${s.seq}</div>${lanesBg}${mark}${hl ? '<div class="tl-flag">violation</div>' : ''}</div>`;
  });
  const before = w.omittedBefore ? `<div class="tl-omitted">… ${w.omittedBefore} earlier steps not shown</div>` : '';
  const after = w.omittedAfter ? `<div class="tl-omitted">… ${w.omittedAfter} later steps not shown</div>` : '';
  return `<div class="timeline" role="figure" aria-label="sequence diagram">${head}${before}${rows.join('')}${after}</div>`;
}

function renderFailure(report: JsonReport, f: HtmlFailure, i: number): string {
  const c = report.clients[f.client]!;
  const q = f.requirement;
  const ff = q.firstFailure!;
  const plan =
    f.faults === undefined
      ? ''
      : `<h4>${f.shrunk ? 'Shrunk fault plan' : 'Fault plan'} (${f.faults.length} ${f.faults.length === 1 ? 'entry' : 'entries'})</h4>${f.faults.length ? `<pre class="faults">${esc(JSON.stringify(f.faults, null, 2))}</pre>` : '<p class="faults-none">No fault entry: the failure needs no network fault at all.</p>'}`;
  const timeline = f.timeline
    ? `<h4>Timeline around the violating step${ff.seq !== undefined ? ` (seq ${ff.seq})` : ''}</h4>${renderTimeline(f.timeline)}`
    : `<p class="no-timeline">No timeline: ${esc(f.noTimeline)}</p>`;
  return `<details class="failure" id="${failureId(i)}" data-protocol="${esc(c.protocol)}" data-requirement="${esc(q.id)}" data-verdict="${esc(q.verdict)}">
<summary><span class="badge v-${esc(q.verdict)}">${esc(verdictLabel[q.verdict])}</span> <b class="req-id">${esc(q.id)}</b> <span class="lvl">${esc(q.level)}</span> — ${esc(c.protocol)} / ${esc(clientName(c))} — ${esc(ff.run)}${ff.at !== undefined ? ` at ${esc(secs(ff.at))}` : ''}</summary>
<div class="failure-body">
<p class="req-text">${esc(q.text)} <span class="source">(${esc(q.source)})</span></p>
<p class="evidence"><b>Evidence:</b> ${esc(ff.evidence)}</p>
${ff.replay ? `<p><b>Replay:</b> <code class="replay">${esc(ff.replay)}</code></p>` : '<p class="replay-none">No replay command: this run was not recorded.</p>'}
${plan}
${timeline}
</div></details>`;
}

function renderMatrix(report: JsonReport, failures: HtmlFailure[]): string {
  const byProtocol = new Map<string, number[]>();
  report.clients.forEach((c, i) => byProtocol.set(c.protocol, [...(byProtocol.get(c.protocol) ?? []), i]));
  const failureIndex = new Map(failures.map((f, i) => [`${f.client} ${f.requirement.id}`, i]));
  return [...byProtocol]
    .map(([protocol, idx]) => {
      const clients = idx.map((i) => report.clients[i]!);
      // Client requirements first; server requirements apart, under their own heading.
      const all = clients[0]!.requirements;
      const reqs = [...all.filter((q) => q.subject !== 'server'), ...all.filter((q) => q.subject === 'server')];
      const firstServer = reqs.findIndex((q) => q.subject === 'server');
      const rows = reqs.map((r, ri) => {
        const verdicts = clients.map((c) => c.requirements.find((x) => x.id === r.id)?.verdict ?? 'not-exercised');
        const cells = idx.map((ci, k) => {
          const q = report.clients[ci]!.requirements.find((x) => x.id === r.id);
          if (!q) return '<td>—</td>';
          const fi = failureIndex.get(`${ci} ${r.id}`);
          const inconclusive = report.clients[ci]!.inconclusive.includes(r.id);
          const badge = `<span class="badge v-${esc(q.verdict)}${inconclusive ? ' inconclusive' : ''}">${esc(verdictLabel[q.verdict])}</span>`;
          const link = fi === undefined ? badge : `<a class="to-failure" href="#${failureId(fi)}">${badge} details</a>`;
          const never = q.exercised === 0 && q.notExercisedBecause !== undefined ? `<div class="never">${inconclusive ? 'inconclusive: ' : ''}${esc(q.notExercisedBecause)}</div>` : '';
          return `<td class="cell" data-verdict="${esc(verdicts[k])}">${link}<div class="counts">exercised ${q.exercised} · ${q.passed} pass · ${q.failed} fail · ${q.notExercised} n-e</div>${never}</td>`;
        });
        const server = r.subject === 'server';
        const heading =
          ri === firstServer
            ? `<tr class="server-heading"><th colspan="${clients.length + 1}">Server requirements — the server's behaviour, shown for information; never counted toward a client's verdict</th></tr>`
            : '';
        return `${heading}<tr data-protocol="${esc(protocol)}" data-requirement="${esc(r.id)}" data-verdicts="${esc(verdicts.join(' '))}"${server ? ' data-subject="server"' : ''}><th scope="row"><span class="req-id">${esc(r.id)}</span> <span class="lvl">${esc(r.level)}</span>${server ? ' <span class="subject-server">server</span>' : ''}<div class="req-text">${esc(r.text)}</div><div class="source">${esc(r.source)}</div></th>${cells.join('')}</tr>`;
      });
      const problems = clients.flatMap((c) => [
        ...c.scenarios.flatMap((s) => [
          ...(s.stopped ? [`${clientName(c)}: scenario ${s.name} stopped: ${s.stopped}`] : []),
          ...(s.error ? [`${clientName(c)}: scenario ${s.name}: ${s.error}`] : []),
          ...(s.invalidSnapshot !== undefined ? [`${clientName(c)}: scenario ${s.name}: invalid snapshot: ${s.invalidSnapshot}`] : []),
          ...(s.clientError !== undefined ? [`${clientName(c)}: scenario ${s.name}: client error: ${s.clientError}`] : []),
          ...(s.clientWarning !== undefined ? [`${clientName(c)}: scenario ${s.name}: client error (warning only): ${s.clientWarning}`] : []),
        ]),
        ...c.inconclusive.map((id) => {
          const q = c.requirements.find((x) => x.id === id);
          return `${clientName(c)}: inconclusive: ${id} was never exercised: ${q?.notExercisedBecause ?? 'no run reached the situation it is about'}`;
        }),
      ]);
      const notes = clients.flatMap((c) =>
        c.scenarios.flatMap((s) => s.mismatches.map((m) => `${clientName(c)}: scenario ${s.name}: ${m.requirement} (server) expected ${m.expected}, got ${m.got}`)),
      );
      const head = clients
        .map(
          (c) =>
            `<th scope="col">${esc(clientName(c))}<div class="sub outcome-${esc(outcomeWord(c.exitCode).toLowerCase())}">${esc(outcomeWord(c.exitCode))} · exit ${c.exitCode} · ${c.property ? `${c.property.runs} property runs · ` : ''}${c.scenarios.length} scenarios</div></th>`,
        )
        .join('');
      return `<section class="protocol" data-protocol="${esc(protocol)}"><h2>${esc(protocol)}</h2>
<table class="matrix"><thead><tr><th scope="col">requirement</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>
${problems.length ? `<ul class="problems">${problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : ''}${notes.length ? `<ul class="notes">${notes.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>` : ''}</section>`;
    })
    .join('\n');
}

const css = `
:root{--fg:#1b1f24;--muted:#5b6470;--line:#d0d7de;--bg:#fff;--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--ne:#6e7781}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1400px;padding:16px 24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:24px 0 8px}h4{margin:14px 0 6px}
.meta{color:var(--muted)}.filters{position:sticky;top:0;background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:8px 12px;display:flex;gap:16px;flex-wrap:wrap;align-items:center;z-index:2}
.filters label{font-weight:600}.filters select{margin-left:6px}
table.matrix{border-collapse:collapse;width:100%}table.matrix th,table.matrix td{border:1px solid var(--line);padding:6px 8px;vertical-align:top;text-align:left}
table.matrix thead th{background:#f6f8fa}.sub,.counts,.source{color:var(--muted);font-size:12px;font-weight:normal}.req-text{font-weight:normal}
.req-id{font-family:ui-monospace,monospace;font-weight:700}.lvl{font-size:11px;border:1px solid var(--line);border-radius:3px;padding:0 4px}
.badge{display:inline-block;font-size:12px;font-weight:700;border-radius:10px;padding:1px 8px;color:#fff}
.v-pass{background:var(--pass)}.v-fail{background:var(--fail)}.v-non-strict{background:var(--warn)}.v-not-exercised{background:var(--ne)}
a.to-failure{text-decoration:none;color:inherit}a.to-failure:hover{text-decoration:underline}
.problems{color:var(--fail)}.notes{color:var(--muted)}.never{font-size:12px;color:var(--warn)}
.badge.inconclusive{background:var(--warn)}.subject-server{font-size:11px;border:1px solid var(--line);border-radius:3px;padding:0 4px;background:#eef}.server-heading th{background:#f6f8fa;font-weight:600;text-align:left}
details.failure{border:1px solid var(--line);border-radius:6px;margin:10px 0;background:#fff;scroll-margin-top:64px}details.failure>summary{cursor:pointer;padding:8px 12px;background:#f6f8fa}
details.failure.selected{outline:3px solid #0969da}.failure-body{padding:4px 14px 14px}
.evidence{background:#fff8f8;border-left:4px solid var(--fail);padding:6px 10px}
code.replay{background:#f6f8fa;border:1px solid var(--line);padding:2px 6px;border-radius:4px;user-select:all}
pre.faults{background:#f6f8fa;border:1px solid var(--line);padding:8px;max-height:16em;overflow:auto;font-size:12px}
.timeline{border:1px solid var(--line);border-radius:6px;overflow-x:auto;font-size:12px}
.tl-row{display:grid;position:relative;min-height:24px;align-items:center;border-bottom:1px solid #f0f2f4;min-width:760px}
.tl-row>*{grid-row:1}.tl-head{position:sticky;top:0;background:#f6f8fa;font-weight:700;border-bottom:1px solid var(--line)}
.tl-lane-name{text-align:center}.tl-t,.tl-seq{color:var(--muted);font-family:ui-monospace,monospace;padding-left:6px}
.tl-lane{align-self:stretch;background:linear-gradient(#c4cbd3,#c4cbd3) center/2px 100% no-repeat}
.tl-arrow{position:relative;height:22px;border-bottom:2px solid currentColor}
.tl-arrow::after{content:"";position:absolute;bottom:-6px;border:5px solid transparent}
.tl-arrow.right::after{right:-2px;border-left:9px solid currentColor}.tl-arrow.left::after{left:-2px;border-right:9px solid currentColor}
.tl-label{position:relative;display:block;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding:0 6px;color:var(--fg)}
.tl-arrow .tl-label{text-align:center}
.tl-dot .tl-label{border-left:6px solid currentColor;background:#fff;border-radius:2px}
.tl-dot.end .tl-label{border-left:0;border-right:6px solid currentColor;text-align:right}
.k-request{color:#0969da}.k-response{color:#1a7f37}.k-frame{color:#8250df}.k-drop{color:#cf222e}.k-fault{color:#bc4c00}.k-state{color:#0550ae}.k-action{color:#116329}.k-error{color:#cf222e}.k-info{color:#6e7781}
.k-drop .tl-label,.k-fault .tl-label{font-weight:600}
.tl-row.violation .tl-dot:not(.end) .tl-label{margin-right:6em}.tl-row.violation{background:#ffebe9;outline:2px solid var(--fail);z-index:1}.tl-row.violation .tl-label{font-weight:700;white-space:normal;word-break:break-all;background:#ffebe9}
.tl-flag{grid-column:-2/-1;justify-self:end;background:var(--fail);color:#fff;font-weight:700;padding:0 6px;border-radius:3px;margin-right:4px;position:relative}
.tl-omitted{color:var(--muted);font-style:italic;padding:2px 8px}
.hidden{display:none!important}.empty{color:var(--muted);font-style:italic}
`;

// Arrows start and end in the middle of their lanes: the arrow spans whole columns, so it is
// inset by half a column on each side at load time.
const js = `
(function(){
  var $=function(s,r){return Array.prototype.slice.call((r||document).querySelectorAll(s));};
  function inset(){ $('.tl-arrow').forEach(function(a){ var row=a.parentElement; var lane=row.querySelector('.tl-lane'); if(!lane) return; var w=lane.getBoundingClientRect().width/2; a.style.marginLeft=w+'px'; a.style.marginRight=w+'px'; }); }
  function apply(){
    var p=document.getElementById('f-protocol').value, q=document.getElementById('f-requirement').value, v=document.getElementById('f-verdict').value;
    $('tr[data-requirement]').forEach(function(tr){
      var ok=(!p||tr.dataset.protocol===p)&&(!q||tr.dataset.requirement===q)&&(!v||tr.dataset.verdicts.split(' ').indexOf(v)>=0);
      tr.classList.toggle('hidden',!ok);
    });
    $('section.protocol').forEach(function(s){ s.classList.toggle('hidden', (p&&s.dataset.protocol!==p) || s.querySelectorAll('tr[data-requirement]:not(.hidden)').length===0); });
    var shown=0;
    $('details.failure').forEach(function(d){
      var ok=(!p||d.dataset.protocol===p)&&(!q||d.dataset.requirement===q)&&(!v||d.dataset.verdict===v);
      d.classList.toggle('hidden',!ok); if(ok) shown++;
    });
    document.getElementById('failures-empty').classList.toggle('hidden', shown>0);
    document.getElementById('shown-count').textContent=String(shown);
  }
  function open(hash){
    var d=hash&&document.getElementById(hash.slice(1)); if(!d||!d.classList.contains('failure')) return;
    $('details.failure.selected').forEach(function(x){x.classList.remove('selected');});
    d.open=true; d.classList.add('selected'); inset();
    d.scrollIntoView({block:'start'});
  }
  ['f-protocol','f-requirement','f-verdict'].forEach(function(id){ document.getElementById(id).addEventListener('change',apply); });
  $('a.to-failure').forEach(function(a){ a.addEventListener('click',function(e){ e.preventDefault(); history.replaceState(null,'',a.getAttribute('href')); open(a.getAttribute('href')); }); });
  $('details.failure').forEach(function(d){ d.addEventListener('toggle',inset); });
  window.addEventListener('resize',inset);
  apply(); inset(); open(location.hash);
})();
`;

/** The self-contained HTML report: inline CSS and script, no network, everything escaped. */
export function buildHtmlReport(report: JsonReport, failures: HtmlFailure[]): string {
  const protocolsSeen = [...new Set(report.clients.map((c) => c.protocol))];
  const reqIds = [...new Set(report.clients.flatMap((c) => c.requirements.map((r) => r.id)))];
  const failing = report.clients.filter((c) => c.exitCode === 1).length;
  const inconclusive = report.clients.filter((c) => c.exitCode === 3).length;
  const overall = [failing ? `${failing} failing` : '', inconclusive ? `${inconclusive} inconclusive` : ''].filter(Boolean).join(', ') || 'all passing';
  const opt = (v: string, label = v): string => `<option value="${esc(v)}">${esc(label)}</option>`;
  const o = report.options;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>lockstep conformance report</title><style>${css}</style></head>
<body>
<h1>lockstep conformance report</h1>
<p class="meta">lockstep ${esc(report.tool.version)} · report format ${report.version} · ${report.clients.length} ${report.clients.length === 1 ? 'client' : 'clients'} · ${o.runs} property runs per client, seed ${o.seed}${o.shard ? ` · shard ${o.shard.index + 1}/${o.shard.count}` : ''}${report.merged ? ` · merged from ${report.merged.shards} shards` : ''} · <b class="${failing ? 'overall-fail' : inconclusive ? 'overall-inconclusive' : 'overall-pass'}">${overall}</b></p>
<div class="filters" role="search">
<label>Protocol<select id="f-protocol">${opt('', 'all')}${protocolsSeen.map((p) => opt(p)).join('')}</select></label>
<label>Requirement<select id="f-requirement">${opt('', 'all')}${reqIds.map((r) => opt(r)).join('')}</select></label>
<label>Verdict<select id="f-verdict">${opt('', 'all')}${Object.entries(verdictLabel)
    .map(([v, l]) => opt(v, l.toLowerCase()))
    .join('')}</select></label>
</div>
<h2>Verdicts</h2>
${renderMatrix(report, failures)}
<h2>Failures (<span id="shown-count">${failures.length}</span>)</h2>
<p id="failures-empty" class="empty${failures.length ? ' hidden' : ''}">No failure matches.</p>
${failures.map((f, i) => renderFailure(report, f, i)).join('\n')}
<script>${js}</script>
</body></html>
`;
}

/** The `html` reporter: `index.html`, one self-contained page with the verdict matrix and a timeline per failure. */
export function htmlReporter(): Reporter {
  return { name: 'html', file: 'index.html', render: async (ctx) => buildHtmlReport(ctx.report, await collectFailures(ctx)) };
}
