import { hostname } from 'node:os';
import type { RequirementResult } from '../check.js';
import type { ClientReport, JsonReport } from './json.js';
import type { Reporter } from './types.js';
import { xmlAttr, xmlAttrs, xmlText } from './xml.js';

/** The JUnit `classname` of a client's testcases: `chat.reference`, `chat.zoo:chat/no-dedupe`, `chat.reference@server-variant`. */
export function junitClassname(c: Pick<ClientReport, 'protocol' | 'client' | 'server'>): string {
  return `${c.protocol}.${c.client}${c.server ? `@${c.server}` : ''}`;
}

/** The JUnit testcase name of a requirement: its id and sentence. */
export function junitTestName(q: Pick<RequirementResult, 'id' | 'text'>): string {
  return `${q.id} ${q.text}`;
}

/** Name of the extra testcase per client that fails (as an error) when a run broke rather than a requirement failed. */
export const runsTestName = 'RUNS every run completed (no guard stop, client error or invalid snapshot)';

const ms = (at: number | undefined): string => (at === undefined ? '' : ` at ${(at / 1000).toFixed(3)} s`);

function counts(q: RequirementResult): string {
  return `exercised by ${q.exercised} runs: ${q.passed} passed, ${q.failed} failed; ${q.notExercised} did not exercise it`;
}

const never = (q: RequirementResult): string => q.notExercisedBecause ?? 'no run reached the situation it is about';

function failureText(q: RequirementResult): string {
  const f = q.firstFailure!;
  return [
    `${q.id} (${q.level}) ${q.text}`,
    `source: ${q.source}`,
    `verdict: ${q.verdict} (${counts(q)})`,
    `first failure: ${f.run}${ms(f.at)}${f.seq !== undefined ? ` (trace step ${f.seq})` : ''}`,
    `evidence: ${f.evidence}`,
    ...(f.replay ? [`replay: ${f.replay}`] : []),
  ].join('\n');
}

function testcase(c: ClientReport, q: RequirementResult): string {
  // Requirements are judged inside the runs: their own time is nil, the runs' time is on the RUNS testcase.
  const head = `    <testcase${xmlAttrs({ classname: junitClassname(c), name: junitTestName(q), time: '0' })}>`;
  const out = (text: string) => `      <system-out>${xmlText(text)}</system-out>`;
  if (q.subject === 'server') {
    // The server's behaviour: shown, never a failure of the client's suite.
    const detail = q.firstFailure ? `\n${failureText(q)}` : ` (${counts(q)})`;
    return [head, out(`server requirement (not counted toward the client's verdict): ${q.verdict}${detail}`), '    </testcase>'].join('\n');
  }
  if (c.inconclusive.includes(q.id)) {
    const message = `${q.id} was never exercised, so the check is inconclusive: ${never(q)}`;
    const text = [`${q.id} (${q.level}) ${q.text}`, `source: ${q.source}`, `verdict: inconclusive (${counts(q)})`, `never exercised: ${never(q)}`].join('\n');
    return [head, `      <failure${xmlAttrs({ type: 'inconclusive', message })}>${xmlText(text)}</failure>`, '    </testcase>'].join('\n');
  }
  switch (q.verdict) {
    case 'fail':
      return [
        head,
        `      <failure${xmlAttrs({ type: q.level, message: `${q.id} failed in ${q.firstFailure!.run}: ${q.firstFailure!.evidence}` })}>${xmlText(failureText(q))}</failure>`,
        '    </testcase>',
      ].join('\n');
    case 'not-exercised':
      return [
        head,
        `      <skipped${xmlAttrs({ message: `not exercised${q.level === 'MUST' ? ' (allowed by --allow-not-exercised)' : ''}: ${never(q)} (${counts(q)})` })}/>`,
        '    </testcase>',
      ].join('\n');
    case 'non-strict':
      // A violated SHOULD does not gate (exit 0): a passing testcase that says so.
      return [head, out(`violated (SHOULD, non-strict)\n${failureText(q)}`), '    </testcase>'].join('\n');
    default:
      return [head, out(`pass (${counts(q)})`), '    </testcase>'].join('\n');
  }
}

/** Why a client's runs broke: guard stops, client errors, invalid snapshots, a counterexample no requirement explains. */
function brokenRuns(c: ClientReport): string[] {
  const out: string[] = [];
  for (const s of c.scenarios) {
    if (s.stopped) out.push(`scenario ${s.name}: stopped: ${s.stopped}`);
    if (s.error) out.push(`scenario ${s.name}: ${s.error}`);
    if (s.invalidSnapshot !== undefined) out.push(`scenario ${s.name}: invalid snapshot: ${s.invalidSnapshot}`);
    if (s.clientError !== undefined) out.push(`scenario ${s.name}: client error: ${s.clientError}`);
  }
  const cx = c.property?.counterexample;
  const clientFail = (id: string) => c.requirements.some((q) => q.id === id && q.verdict === 'fail' && q.subject !== 'server');
  const unexplained = cx?.failed.filter((f) => !clientFail(f)) ?? [];
  if (cx && (unexplained.length || !c.requirements.some((q) => clientFail(q.id)))) {
    out.push(
      `property run ${cx.foundAt} failed (${cx.failed.join(', ')}), shrunk to ${cx.faults} fault entries and ${cx.actions} actions${c.property?.replay ? `\nreplay: ${c.property.replay}` : ''}`,
    );
  }
  return out;
}

function runsTestcase(c: ClientReport, wallMs: number): { xml: string; error: boolean } {
  const head = `    <testcase${xmlAttrs({ classname: junitClassname(c), name: runsTestName, time: seconds(wallMs) })}>`;
  const broken = brokenRuns(c);
  // Scenarios whose server did not do what they say: a note about the scenario, not the client.
  const notes = c.scenarios.flatMap((s) => s.mismatches.map((m) => `note: scenario ${s.name}: ${m.requirement} (server) expected ${m.expected}, got ${m.got}`));
  const runs = [`${c.scenarios.length} scenarios, ${c.property?.runs ?? 0} property runs`, ...notes].join('\n');
  if (!broken.length) return { xml: [head, `      <system-out>${xmlText(runs)}</system-out>`, '    </testcase>'].join('\n'), error: false };
  const message = broken[0]!.split('\n')[0]! + (broken.length > 1 ? ` (and ${broken.length - 1} more)` : '');
  return {
    xml: [
      head,
      `      <error${xmlAttrs({ type: 'broken-run', message })}>${xmlText(`${runs}\n${broken.join('\n')}`)}</error>`,
      '    </testcase>',
    ].join('\n'),
    error: true,
  };
}

/** When and where a report's runs took place: what JUnit's `timestamp`, `hostname` and `time` say. */
export interface JunitTiming {
  /** When the check started. */
  startedAt: Date;
  /** The machine it ran on (`localhost` when unknown). */
  hostname: string;
  /** Wall milliseconds each client's check took, by {@link junitClassname} (absent: 0, e.g. after a merge). */
  wallMs?: ReadonlyMap<string, number>;
}

/** Seconds with millisecond precision, as JUnit's `time` (xs:decimal). */
const seconds = (ms: number): string => (Math.max(0, ms) / 1000).toFixed(3);

/** `2026-12-07T10:31:02`: UTC, without a zone or fraction (the Ant schema's ISO8601 pattern). */
export function junitTimestamp(d: Date): string {
  return d.toISOString().slice(0, 19);
}

/** Timing of a report written now on this machine. */
export function junitTimingNow(wallMs?: ReadonlyMap<string, number>): JunitTiming {
  let host = 'localhost';
  try {
    host = hostname() || host;
  } catch {
    // keep localhost: the Ant schema asks for it when the host name is unknown
  }
  return { startedAt: new Date(), hostname: host, ...(wallMs ? { wallMs } : {}) };
}

/**
 * JUnit XML of a report (docs/report-format.md): one `testsuite` per protocol, one
 * `testcase` per requirement per client (classname `<protocol>.<client>`, name
 * `<id> <sentence>`), plus one testcase per client for broken runs. A failed MUST is a
 * `failure` carrying the evidence and the replay command; a MUST client requirement no
 * run exercised is a `failure` of type `inconclusive` (unless allowed); other
 * unexercised requirements are `skipped`; server requirements always pass, with their
 * verdict in `system-out`. So `failures + errors > 0` exactly when the check exits
 * non-zero. Levels and sources are `property` entries of the suite. Each suite has
 * `time` (its clients' wall time), `timestamp` (UTC) and `hostname`; each testcase a
 * `time`: the runs' wall time on the RUNS testcase, 0 on requirement testcases (they are
 * judged inside the runs). Only these differ between two identical runs.
 */
export function buildJunitXml(report: JsonReport, timing: JunitTiming = junitTimingNow()): string {
  const protocols = [...new Set(report.clients.map((c) => c.protocol))];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let totalMs = 0;
  const suites = protocols.map((protocol) => {
    const clients = report.clients.filter((c) => c.protocol === protocol);
    let t = 0;
    let f = 0;
    let e = 0;
    let skipped = 0;
    let ms = 0;
    const cases: string[] = [];
    for (const c of clients) {
      const wall = timing.wallMs?.get(junitClassname(c)) ?? 0;
      ms += wall;
      for (const q of c.requirements) {
        t++;
        if (q.subject !== 'server') {
          if (q.verdict === 'fail' || c.inconclusive.includes(q.id)) f++;
          else if (q.verdict === 'not-exercised') skipped++;
        }
        cases.push(testcase(c, q));
      }
      const r = runsTestcase(c, wall);
      t++;
      if (r.error) e++;
      cases.push(r.xml);
    }
    tests += t;
    failures += f;
    errors += e;
    totalMs += ms;
    const props: [string, string][] = [
      ['lockstep.version', report.tool.version],
      ['runs', String(report.options.runs)],
      ['seed', String(report.options.seed)],
      ['globals', String(report.options.globals)],
    ];
    if (report.options.shard) props.push(['shard', `${report.options.shard.index + 1}/${report.options.shard.count}`]);
    if (report.merged) props.push(['merged.shards', String(report.merged.shards)]);
    if (report.options.allowNotExercised) props.push(['allowNotExercised', report.options.allowNotExercised.join(',')]);
    for (const [name, n] of Object.entries(report.options.guards ?? {})) props.push([`guard.${name}`, String(n)]);
    const seen = new Set<string>();
    for (const c of clients) {
      for (const q of c.requirements) {
        if (seen.has(q.id)) continue;
        seen.add(q.id);
        props.push([`${q.id}.level`, q.level], [`${q.id}.source`, q.source]);
        if (q.subject === 'server') props.push([`${q.id}.subject`, 'server']);
      }
    }
    return [
      `  <testsuite${xmlAttrs({ name: protocol, tests: t, failures: f, errors: e, skipped, time: seconds(ms), timestamp: junitTimestamp(timing.startedAt), hostname: timing.hostname })}>`,
      '    <properties>',
      ...props.map(([k, v]) => `      <property name="${xmlAttr(k)}" value="${xmlAttr(v)}"/>`),
      '    </properties>',
      ...cases,
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${xmlAttrs({ name: 'lockstep', tests, failures, errors, time: seconds(totalMs) })}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

/** The `junit` reporter: `junit.xml`. */
export function junitReporter(): Reporter {
  return {
    name: 'junit',
    file: 'junit.xml',
    render: ({ report, results, startedAt }) => {
      const timing = junitTimingNow(results && new Map(results.map((r) => [junitClassname(r), r.wallMs])));
      return buildJunitXml(report, startedAt ? { ...timing, startedAt } : timing);
    },
  };
}
