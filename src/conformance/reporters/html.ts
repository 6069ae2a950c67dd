import { outcomeWord, type ClientCheckResult, type RequirementResult } from '../check.js';
import { readFailureRecord } from '../failure-record.js';
import { protocols, resolveClient } from '../registry.js';
import type { EvidenceMark } from '../requirement.js';
import { runScenario } from '../runner.js';
import { loadScenarioFile, type ResolvedScenario } from '../scenario.js';
import type { TraceEvent } from '../../sim/trace.js';
import { reportCss, reportJs } from './html-assets.js';
import { changeLine, snapshotChanges } from './html-diff.js';
import { renderMatrix } from './html-matrix.js';
import { recordedOnly, recordedTrace } from './html-recorded.js';
import { count, esc, secs, wall } from './html-text.js';
import { timelineWindow, type TimelineWindow } from './html-timeline.js';
import { renderTimeline } from './html-timeline-view.js';
import { clientName, failureId, requirementCounts, verdictLabel, type RequirementCounts } from './html-words.js';
import type { ClientReport, JsonReport } from './json.js';
import { readablePath, type ReportContext, type Reporter } from './types.js';

/** One failure shown in the HTML report: a requirement's first failure and the run that draws its timeline. */
export interface HtmlFailure {
  /** Index of the client in the report. */
  client: number;
  /** The requirement result with its first failure. */
  requirement: RequirementResult;
  /** The fault plan of the failing run (shrunk, for a counterexample). */
  faults?: unknown[];
  /** Whether {@link HtmlFailure.faults} is a shrunk counterexample's plan. */
  shrunk: boolean;
  /** The timeline around the violating step, when the run could be re-run or its trace was recorded. */
  timeline?: TimelineWindow;
  /** Where the timeline comes from: a deterministic re-run in the simulator, or the run's recorded trace (real sockets, `judge`). */
  source?: 'simulated' | 'recorded';
  /** Why there is no timeline. */
  noTimeline?: string;
  /** Real milliseconds the failing run took, when known (a scenario of an in-memory check). */
  wallMs?: number;
}

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

/** The client lanes a recorded trace names (`sim.start.clients`). */
function clientsOf(events: readonly TraceEvent[]): string[] {
  const c = events.find((e) => e.ev === 'sim.start')?.clients;
  return Array.isArray(c) && c.every((x) => typeof x === 'string') ? (c as string[]) : ['c1'];
}

/** The fault plan a recorded trace ran under, as its `fault.start` steps tell. */
function recordedFaults(events: readonly TraceEvent[]): unknown[] {
  return events
    .filter((e) => e.ev === 'fault.start')
    .map((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !['seq', 'ev', 'entry'].includes(k))));
}

/**
 * Finds each requirement's first failure and a window of its trace around the violating
 * step: from the recorded trace when the run was judged from one (a real-socket run, a
 * `lockstep judge` report — never re-run in the simulator), else by re-running it
 * deterministically. Runs shared by several requirements are read or run once.
 */
export async function collectFailures(ctx: Pick<ReportContext, 'report' | 'results' | 'staged'>): Promise<HtmlFailure[]> {
  const out: HtmlFailure[] = [];
  for (const [ci, c] of ctx.report.clients.entries()) {
    const result = ctx.results?.find((r) => r.protocol === c.protocol && r.client === c.client && r.server === c.server);
    const cache = new Map<string, Promise<{ events: readonly TraceEvent[]; clients: readonly string[]; marks: Map<string, EvidenceMark[]> }>>();
    for (const q of c.requirements) {
      const ff = q.firstFailure;
      if (!ff) continue;
      const f: HtmlFailure = { client: ci, requirement: q, shrunk: false };
      const scenarioName = ff.run.startsWith('scenario ') ? ff.run.slice('scenario '.length) : undefined;
      const wallMs = result?.scenarios.find((s) => s.name === scenarioName)?.wallMs;
      if (wallMs !== undefined) f.wallMs = wallMs;
      out.push(f);
      const recorded = recordedTrace(ff.replay, ctx);
      if (typeof recorded === 'string') {
        f.noTimeline = recorded;
        continue;
      }
      if (recorded) {
        f.source = 'recorded';
        f.faults = recordedFaults(recorded);
        f.timeline = timelineWindow(recorded, clientsOf(recorded), ff.seq);
        continue;
      }
      if (recordedOnly(c.client)) {
        f.noTimeline = `${c.client} runs outside the simulator and its replay command names no recorded trace (lockstep check --real --report DIR keeps them)`;
        continue;
      }
      try {
        const found = failingScenario(c, q, result, ctx);
        if (typeof found === 'string') {
          f.noTimeline = found;
          continue;
        }
        f.faults = found.scenario.faults as unknown[];
        f.shrunk = found.shrunk;
        if (!cache.has(ff.run)) {
          cache.set(
            ff.run,
            (async () => {
              const client = await resolveClient(c.client, c.protocol);
              const r = await runScenario({
                protocol: client.protocol,
                scenario: found.scenario,
                client: client.factory,
                clientName: client.name,
                globals: found.globals ?? ctx.report.options.globals,
              });
              const marks = new Map(r.findings.filter((x) => x.marks?.length).map((x) => [x.requirement, x.marks!]));
              return { events: r.trace.events(), clients: found.scenario.clients, marks };
            })(),
          );
        }
        const r = await cache.get(ff.run)!;
        f.source = 'simulated';
        f.timeline = timelineWindow(r.events, r.clients, ff.seq, r.marks.get(q.id));
      } catch (e) {
        f.noTimeline = `re-running the failing run failed: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
  }
  return out;
}

function renderSnapshotDiff(s: NonNullable<TimelineWindow['snapshot']>): string {
  if (s.before === undefined)
    return `<h4>What the user saw (${esc(s.node)}, seq ${s.seq}, its first snapshot)</h4><pre class="snap-diff">${esc(JSON.stringify(s.after, null, 2))}</pre>`;
  const changes = snapshotChanges(s.before, s.after);
  const cls = { '+': 'add', '-': 'del', '~': 'chg' } as const;
  const lines = changes.map((c) => `<div class="${cls[c.op]}">${esc(changeLine(c, 200))}</div>`);
  return `<h4>What changed on screen (${esc(s.node)}, seq ${s.seq} at ${esc(secs(s.t))}, against the snapshot before it)</h4><div class="snap-diff">${lines.join('') || 'nothing changed'}</div>`;
}

function renderMarks(marks: readonly EvidenceMark[]): string {
  const li = marks.map((m) =>
    m.kind === 'deadline'
      ? `<li>deadline <b>${esc(m.label)}</b>${m.id ? ` (${esc(m.id)})` : ''}: counted from ${esc(secs(m.start))}, due by ${esc(m.end === undefined ? '—' : secs(m.end))}</li>`
      : `<li><b>${esc(m.label)}</b>: ${esc(secs(m.start))} – ${esc(m.end === undefined ? 'never ended' : secs(m.end))}</li>`,
  );
  return `<ul class="marks-list">${li.join('')}</ul>`;
}

function renderFailure(report: JsonReport, f: HtmlFailure, i: number): string {
  const c = report.clients[f.client]!;
  const q = f.requirement;
  const ff = q.firstFailure!;
  const plan =
    f.faults === undefined
      ? ''
      : `<h4>${f.shrunk ? 'Shrunk fault plan' : f.source === 'recorded' ? 'Faults the recorded run went through' : 'Fault plan'} (${count(f.faults.length, 'entry', 'entries')})</h4>${f.faults.length ? `<pre class="faults">${esc(JSON.stringify(f.faults, null, 2))}</pre>` : '<p class="faults-none">No fault entry: the failure needs no network fault at all.</p>'}`;
  const from = f.source === 'recorded' ? 'drawn from the recorded trace' : 'from a deterministic re-run';
  const timeline = f.timeline
    ? `<h4>Timeline around the violating step${ff.seq !== undefined ? ` (seq ${ff.seq})` : ''}, ${from}</h4>${renderTimeline(f.timeline)}`
    : `<p class="no-timeline">No timeline: ${esc(f.noTimeline)}</p>`;
  const search = `${q.id} ${q.text} ${c.protocol} ${clientName(c)} ${ff.run} ${ff.evidence}`.toLowerCase();
  return `<details class="failure" id="${failureId(i)}" data-protocol="${esc(c.protocol)}" data-requirement="${esc(q.id)}" data-verdict="${esc(q.verdict)}" data-source="${esc(f.source ?? 'none')}" data-search="${esc(search)}">
<summary><span class="badge v-${esc(q.verdict)}">${esc(verdictLabel[q.verdict])}</span> <b class="req-id">${esc(q.id)}</b> <span class="lvl">${esc(q.level)}</span> ${esc(q.text)} — ${esc(c.protocol)} / ${esc(clientName(c))} — ${esc(ff.run)}${ff.at !== undefined ? ` at ${esc(secs(ff.at))}` : ''}${f.wallMs !== undefined ? ` <span class="dur">(run took ${esc(wall(f.wallMs))})</span>` : ''}</summary>
<div class="failure-body">
<p class="evidence"><b>Evidence:</b> ${esc(ff.evidence)}</p>
${f.timeline?.marks?.length ? renderMarks(f.timeline.marks) : ''}
${ff.replay ? `<p><b>Replay:</b> <code class="replay">${esc(ff.replay)}</code></p>` : '<p class="replay-none">No replay command: this run was not recorded.</p>'}
${timeline}
${f.timeline?.snapshot ? renderSnapshotDiff(f.timeline.snapshot) : ''}
<p class="req-text">${esc(q.text)} <span class="source">(${esc(q.source)})</span></p>
${plan}
</div></details>`;
}

/** One chip: a count of requirements in one state; a click filters by that verdict. */
function chip(n: number, what: string, cls: string, verdict: string): string {
  return `<button type="button" class="chip c-${cls}${n === 0 ? ' zero' : ''}" data-verdict="${esc(verdict)}" data-count="${n}">${esc(count(n, 'requirement'))} ${esc(what)}</button>`;
}

function chips(k: RequirementCounts): string {
  return [
    chip(k.failed, 'failed', 'fail', 'fail'),
    chip(k.nonStrict, 'non-strict', 'non-strict', 'non-strict'),
    chip(k.inconclusive, 'inconclusive (MUST, never exercised)', 'inconclusive', 'not-exercised'),
    chip(k.passed, 'passed', 'pass', 'pass'),
    chip(k.notExercised, 'not exercised', 'ne', 'not-exercised'),
  ].join('');
}

const sum = (ks: RequirementCounts[]): RequirementCounts =>
  ks.reduce(
    (a, k) => ({
      failed: a.failed + k.failed,
      nonStrict: a.nonStrict + k.nonStrict,
      inconclusive: a.inconclusive + k.inconclusive,
      notExercised: a.notExercised + k.notExercised,
      passed: a.passed + k.passed,
    }),
    { failed: 0, nonStrict: 0, inconclusive: 0, notExercised: 0, passed: 0 },
  );

/** The headline: what failed, counted by requirement and by client, in the terminal's words. */
export function headline(report: JsonReport): { text: string; cls: string } {
  const per = report.clients.map(requirementCounts);
  const t = sum(per);
  const failingClients = report.clients.filter((c) => c.exitCode === 1).length;
  const inconclusiveClients = report.clients.filter((c) => c.exitCode === 3).length;
  const parts = [
    t.failed ? `${count(t.failed, 'requirement')} failed` : '',
    t.nonStrict ? `${count(t.nonStrict, 'requirement')} non-strict` : '',
    failingClients ? `${count(failingClients, 'client')} failing` : '',
    inconclusiveClients ? `${count(inconclusiveClients, 'client')} inconclusive` : '',
  ].filter(Boolean);
  const cls = failingClients ? 'overall-fail' : inconclusiveClients ? 'overall-inconclusive' : 'overall-pass';
  return { text: parts.join(' · ') || `${report.clients.length > 1 ? 'all ' : ''}${count(report.clients.length, 'client')} passing`, cls };
}

function renderClients(report: JsonReport, results: readonly ClientCheckResult[] | undefined): string {
  return report.clients
    .map((c) => {
      const r = results?.find((x) => x.protocol === c.protocol && x.client === c.client && x.server === c.server);
      const word = outcomeWord(c.exitCode);
      return `<div class="client-line" data-protocol="${esc(c.protocol)}"><span class="badge v-${word === 'PASS' ? 'pass' : word === 'FAIL' ? 'fail' : 'non-strict'}">${word}</span> <span class="who">${esc(c.protocol)} / ${esc(clientName(c))}</span><span class="dur">${esc(count(c.runs.length, 'run'))}${r ? ` in ${esc(wall(r.wallMs))}` : ''}</span><div class="chips">${chips(requirementCounts(c))}</div></div>`;
    })
    .join('\n');
}

function renderRuns(report: JsonReport, results: readonly ClientCheckResult[] | undefined): string {
  const rows = report.clients.flatMap((c) => {
    const r = results?.find((x) => x.protocol === c.protocol && x.client === c.client && x.server === c.server);
    return c.scenarios.map((s) => {
      const failed = s.findings.filter((f) => f.verdict === 'fail').map((f) => f.requirement);
      const ms = r?.scenarios.find((x) => x.name === s.name)?.wallMs;
      const search = `${s.name} ${s.file ?? ''} ${failed.join(' ')}`.toLowerCase();
      return `<tr data-scenario="${esc(s.name)}" data-protocol="${esc(c.protocol)}" data-search="${esc(search)}"><td>${esc(c.protocol)} / ${esc(clientName(c))}</td><td>${esc(s.name)}</td><td>${failed.length ? `<span class="badge v-fail">FAIL</span> ${esc(failed.join(', '))}` : '<span class="badge v-pass">PASS</span>'}</td><td class="dur">${ms === undefined ? '' : esc(wall(ms))}</td></tr>`;
    });
  });
  if (!rows.length) return '';
  return `<details class="runs"><summary><h2 style="display:inline">Scenario runs (${rows.length})</h2></summary><table class="runs-table"><thead><tr><th>client</th><th>scenario</th><th>result</th><th>duration</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
}

/** The self-contained HTML report: failures first, then the verdict matrix; inline CSS and script, no network, everything escaped. */
export function buildHtmlReport(report: JsonReport, found: HtmlFailure[], results?: readonly ClientCheckResult[]): string {
  // MUST failures before violated SHOULDs; otherwise in report order.
  const rank = (f: HtmlFailure): number => (f.requirement.verdict === 'fail' ? 0 : 1);
  const failures = [...found].sort((a, b) => rank(a) - rank(b));
  const protocolsSeen = [...new Set(report.clients.map((c) => c.protocol))];
  const reqIds = [...new Set(report.clients.flatMap((c) => c.requirements.map((r) => r.id)))];
  const opt = (v: string, label = v): string => `<option value="${esc(v)}">${esc(label)}</option>`;
  const o = report.options;
  const head = headline(report);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>lockstep conformance report</title><style>${reportCss}</style></head>
<body>
<h1>lockstep conformance report</h1>
<p class="headline ${head.cls}" id="headline">${esc(head.text)}</p>
<p class="meta">lockstep ${esc(report.tool.version)} · report format ${report.version} · ${esc(count(report.clients.length, 'client'))} · ${esc(count(o.runs, 'property run'))} per client, seed ${o.seed}${o.shard ? ` · shard ${o.shard.index + 1}/${o.shard.count}` : ''}${report.merged ? ` · merged from ${report.merged.shards} shards` : ''}</p>
${renderClients(report, results)}
<div class="filters" role="search">
<input id="search" type="search" placeholder="Search requirements, scenarios, evidence…" aria-label="search">
<label>Protocol<select id="f-protocol">${opt('', 'all')}${protocolsSeen.map((p) => opt(p)).join('')}</select></label>
<label>Requirement<select id="f-requirement">${opt('', 'all')}${reqIds.map((r) => opt(r)).join('')}</select></label>
<label>Verdict<select id="f-verdict">${opt('', 'all')}${Object.entries(verdictLabel)
    .map(([v, l]) => opt(v, l))
    .join('')}</select></label>
</div>
<section id="failures"><h2>Failures (<span id="shown-count">${failures.length}</span>)</h2>
<p id="failures-empty" class="empty${failures.length ? ' hidden' : ''}">No failure matches.</p>
${failures.map((f, i) => renderFailure(report, f, i)).join('\n')}
</section>
<h2>Verdicts</h2>
${renderMatrix(report, failures)}
${renderRuns(report, results)}
<script>${reportJs}</script>
</body></html>
`;
}

/** The `html` reporter: `index.html`, one self-contained page, failures first, each with its time-scaled timeline. */
export function htmlReporter(): Reporter {
  return { name: 'html', file: 'index.html', render: async (ctx) => buildHtmlReport(ctx.report, await collectFailures(ctx), ctx.results) };
}
