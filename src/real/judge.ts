import { basename } from 'node:path';
import {
  aggregateRuns,
  exitCodeOf,
  inconclusiveOf,
  verdictLetters,
  type ClientCheckResult,
  type RunRecord,
  type ScenarioOutcome,
} from '../conformance/check.js';
import type { ProtocolDefinition } from '../conformance/protocol.js';
import { judge, notExercised, type Finding } from '../conformance/requirement.js';
import type { ResolvedScenario } from '../conformance/scenario.js';
import type { NetworkConfig } from '../sim/link.js';
import type { TraceEvent } from '../sim/trace.js';
import { faultWindows, tolerance } from '../conformance/trace-query.js';
import { collapseStackRetries } from './stack-retries.js';

/**
 * Requirements whose checker reads what the client's user saw (`client.snapshot`) and
 * cannot be judged from the server's side alone. A trace without any snapshot reports
 * them as not-exercised instead of failing them for want of evidence. (The requirement
 * catalogue has no field for this yet; see the report of issue 8.)
 */
export const snapshotRequirements: Record<string, readonly string[]> = {
  chat: ['CHAT-2', 'CHAT-3', 'CHAT-10', 'CHAT-12', 'CHAT-19'],
  'event-sync': ['SYNC-1', 'SYNC-2', 'SYNC-3', 'SYNC-5', 'SYNC-6', 'SYNC-10', 'SYNC-13'],
  'live-support': ['LIVE-3', 'LIVE-7', 'LIVE-9', 'LIVE-12'],
  'meal-log': ['MEAL-2', 'MEAL-4', 'MEAL-16'],
};

/**
 * Requirements that ask for an HTTP request within a bound (a poll, a page, a retry). Over
 * real sockets a dead server's or an offline device's API port refuses the connect, as the
 * network does, and a refused connect reaches nobody — lockstep included: a failure of
 * these inside such a window (or within `T` after it) cannot tell a client that never
 * tried from one whose attempts were refused, so it is reported not exercised.
 */
export const requestAttemptRequirements: Record<string, readonly string[]> = {
  chat: ['CHAT-5', 'CHAT-13', 'CHAT-18'],
  'event-sync': ['SYNC-4', 'SYNC-8'],
  'live-support': ['LIVE-8'],
  'meal-log': ['MEAL-8', 'MEAL-11'],
};

/**
 * Requirements about what a client does when the device comes back online. Over real
 * sockets lockstep cuts the client off from its side, but cannot make the device tell
 * the app that it is online again: a real trace cannot exercise them.
 */
export const deviceEventRequirements: Record<string, readonly string[]> = {
  chat: ['CHAT-16'],
  'meal-log': ['MEAL-14'],
};

/** Real-socket limits applied to a real trace's findings (see {@link requestAttemptRequirements}, {@link deviceEventRequirements}). */
function realModeFindings(findings: Finding[], events: readonly TraceEvent[], protocol: string, T: number): Finding[] {
  const refusing = faultWindows(events).filter((w) => w.kind === 'server-restart' || w.kind === 'client-offline');
  const attempts = new Set(requestAttemptRequirements[protocol] ?? []);
  const device = new Set(deviceEventRequirements[protocol] ?? []);
  const offline = refusing.some((w) => w.kind === 'client-offline');
  return findings.map((f): Finding => {
    if (device.has(f.requirement) && offline && f.verdict !== 'not-exercised')
      return {
        requirement: f.requirement,
        ...notExercised(
          `over real sockets lockstep takes the device offline from its side only: it cannot make the device tell the app that it is online again, which this requirement is about (the checker found: ${f.evidence})`,
        ),
      };
    if (f.verdict !== 'fail' || !attempts.has(f.requirement) || f.at === undefined) return f;
    const w = refusing.find((x) => f.at! >= x.start && f.at! <= x.end + T);
    if (!w) return f;
    const why = w.kind === 'server-restart' ? 'the server was down' : 'the device was offline';
    return {
      requirement: f.requirement,
      ...notExercised(
        `${why} from ${(w.start / 1000).toFixed(3)} s${Number.isFinite(w.end) ? ` to ${(w.end / 1000).toFixed(3)} s` : ''}: the client's API port refused connections, as the network does, and a refused connect leaves no trace — whether the client tried in time cannot be told (the checker found: ${f.evidence})`,
      ),
    };
  });
}

/** A problem with a trace given to `judge` (exit 2). */
export class TraceJudgeError extends Error {
  override readonly name = 'TraceJudgeError';
}

/** The outcome of judging one recorded trace. */
export interface TraceJudgement {
  scenario: ResolvedScenario;
  findings: Finding[];
  healAt: number;
  endAt: number;
  /** Remarks for the reader (no snapshots, actions never reported, …). */
  notes: string[];
}

/**
 * The scenario a trace was recorded under, as far as the trace tells: `sim.start` of a
 * real-socket trace carries the protocol, clients, network, duration and heal; anything
 * missing comes from the protocol's defaults.
 */
export function scenarioFromTrace(events: readonly TraceEvent[], protocol: ProtocolDefinition, source: string): ResolvedScenario {
  const start = events.find((e) => e.ev === 'sim.start');
  const clients =
    Array.isArray(start?.clients) && start.clients.every((c) => typeof c === 'string')
      ? (start.clients as string[])
      : protocol.defaults.clients;
  const network = (
    start?.network && typeof start.network === 'object' ? start.network : (protocol.defaults.network ?? {})
  ) as NetworkConfig;
  const heal = events.find((e) => e.ev === 'sim.heal')?.t;
  const last = events[events.length - 1]?.t ?? 0;
  const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
  const ids = protocol.requirements.map((r) => r.id);
  return {
    protocol: protocol.name,
    name: typeof start?.scenario === 'string' ? start.scenario : basename(source).replace(/\.jsonl?$/, ''),
    description: '',
    seed: num(start?.seed, 1),
    duration: num(start?.duration, heal ?? last),
    heal: num(start?.heal, 0),
    clients,
    network,
    server: { variant: 'reference', options: {} },
    faults: [],
    actions: [],
    requirements: ids,
    expect: Object.fromEntries(ids.map((id) => [id, 'pass' as const])),
    file: source,
  };
}

/**
 * Runs the protocol's checkers on a recorded trace — a real-socket one or a simulated one
 * — with the heal and end times the trace records. `scenario` (from `--scenario`) fixes
 * the requirements and the network tolerance; otherwise they come from the trace.
 */
export function judgeTrace(
  recorded: readonly TraceEvent[],
  protocol: ProtocolDefinition,
  source: string,
  scenario?: ResolvedScenario,
): TraceJudgement {
  const start = recorded.find((e) => e.ev === 'sim.start');
  if (!start)
    throw new TraceJudgeError(
      `${source}: expected a lockstep trace starting with a sim.start step, found ${recorded.length === 0 ? 'no steps' : `"${recorded[0]!.ev}" first`}`,
    );
  if (typeof start.protocol === 'string' && start.protocol !== protocol.name) {
    throw new TraceJudgeError(`${source}: the trace was recorded for protocol ${start.protocol}, but --protocol is ${protocol.name}`);
  }
  const real = start.mode === 'real';
  // Over real sockets, a library's one silent retry of a refused upgrade is the same attempt.
  const { events, notes: retryNotes } = real ? collapseStackRetries(recorded) : { events: recorded, notes: [] };
  const sc = scenario ?? scenarioFromTrace(events, protocol, source);
  const end = events.find((e) => e.ev === 'sim.end')?.t ?? events[events.length - 1]?.t ?? 0;
  const healAt = events.find((e) => e.ev === 'sim.heal')?.t ?? end;
  const ctx = { events, scenario: sc, healAt, endAt: end };
  const notes: string[] = [...retryNotes];
  const snapshots = events.some((e) => e.ev === 'client.snapshot');
  const actions = events.some((e) => e.ev === 'client.action');
  const needSnapshots = new Set(snapshotRequirements[protocol.name] ?? []);
  if (!snapshots)
    notes.push(
      'the trace has no client.snapshot steps: requirements that read what the user saw are not exercised (a client reports them with POST /__lockstep/snapshot)',
    );
  if (!actions)
    notes.push(
      'the trace has no client.action steps: requirements about user actions have nothing to judge (a client reports them with POST /__lockstep/action)',
    );
  if (!events.some((e) => e.ev === 'sim.heal'))
    notes.push('the trace has no sim.heal step: liveness requirements are judged at the end of the trace');
  const findings = protocol.requirements
    .filter((r) => sc.requirements.includes(r.id))
    .map((r): Finding => {
      if (!snapshots && needSnapshots.has(r.id)) {
        return {
          requirement: r.id,
          ...notExercised(
            'this requirement reads what the client showed its user, and the trace has no client.snapshot steps (POST /__lockstep/snapshot)',
          ),
        };
      }
      return judge(r, ctx);
    });
  return { scenario: sc, findings: real ? realModeFindings(findings, events, protocol.name, tolerance(sc)) : findings, healAt, endAt: end, notes };
}

/** One judged run, for {@link checkResultOf}. */
export interface JudgedRun {
  /** Position of the scenario among the runs. */
  index: number;
  name: string;
  file?: string;
  /** sha256 of the trace. */
  hash: string;
  findings: Finding[];
  /** Why the run could not be judged (the client never started, …). */
  error?: string;
  /** How to look at it again (`lockstep judge FILE --protocol P`). */
  replay?: string;
  wallMs: number;
}

/**
 * A check result (for the requirement table and the reports) from judged runs, aggregated
 * as `lockstep check` aggregates, with its inconclusive rule: exit 3 when nothing failed but
 * a MUST client requirement was never exercised (unless `allowNotExercised` names it).
 */
export function checkResultOf(
  protocol: ProtocolDefinition,
  client: string,
  judged: readonly JudgedRun[],
  wallMs: number,
  allowNotExercised: readonly string[] = [],
): ClientCheckResult {
  const runs: RunRecord[] = [];
  const failedBefore = new Set<string>();
  const outcomes: ScenarioOutcome[] = [];
  for (const j of judged) {
    const verdicts = protocol.requirements.map((req) => {
      const f = j.findings.find((x) => x.requirement === req.id);
      return f ? verdictLetters[f.verdict] : '-';
    });
    const failing = j.findings.filter((f) => f.verdict === 'fail' && !failedBefore.has(f.requirement));
    for (const f of failing) failedBefore.add(f.requirement);
    const run: RunRecord = { kind: 'scenario', index: j.index, name: `scenario ${j.name}`, verdicts: verdicts.join(''), replay: j.replay };
    if (failing.length) run.failures = failing.map((f) => ({ requirement: f.requirement, at: f.at, seq: f.seq, evidence: f.evidence }));
    runs.push(run);
    outcomes.push({
      index: j.index,
      name: j.name,
      file: j.file,
      hash: j.hash,
      findings: j.findings,
      mismatches: [],
      error: j.error,
      wallMs: j.wallMs,
    });
  }
  const requirements = aggregateRuns(protocol.requirements, runs);
  // The inconclusive rule of `lockstep check`: a client that never exercised a MUST
  // requirement has not shown it meets it — a do-nothing client must not pass.
  const inconclusive = inconclusiveOf(requirements, allowNotExercised);
  return {
    protocol: protocol.name,
    client,
    scenarios: outcomes,
    requirements,
    runs,
    inconclusive,
    exitCode: exitCodeOf(requirements, outcomes, false, inconclusive),
    wallMs,
  };
}
