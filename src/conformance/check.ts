import { mkdirSync, readdirSync, existsSync } from 'node:fs';
import { writeFileAtomic } from './atomic-write.js';
import { join } from 'node:path';
import type { GuardLimits } from '../sim/guard-limits.js';
import { checkProperty, runFailed, type Counterexample, type FailurePolicy } from './property.js';
import type { ProtocolDefinition } from './protocol.js';
import type { Finding, Level, RunVerdict, Verdict } from './requirement.js';
import { inProcessExecutor, workerExecutor, type RunExecutor } from './isolation/executor.js';
import type { IsolationLimits } from './isolation/limits.js';
import type { RunSummary } from './isolation/messages.js';
import { loadScenarioFile, ScenarioError, type ResolvedScenario } from './scenario.js';
import type { ResolvedClient } from './registry.js';
import { failureRecordName, type FailureRecord } from './failure-record.js';
import { loadServerModule } from './server-module.js';
import { lockstepCommand, userPath } from './command-line.js';
import { scenarioRef } from './scenario-ref.js';
import { shippedScenarioRoot } from './package-root.js';

export { shippedScenarioRoot };

/** Per requirement, over every run of one client. */
export interface RequirementResult {
  /** The requirement id. */
  id: string;
  /** MUST or SHOULD. */
  level: Level;
  /** The requirement, in one sentence. */
  text: string;
  /** The source document section it comes from. */
  source: string;
  /**
   * Whose behaviour it judges. `server` requirements are shown apart and never count
   * toward the client's verdict, exit code or the inconclusive rule.
   */
  subject: 'client' | 'server';
  /** pass, fail (a MUST failed), non-strict (a SHOULD failed) or not-exercised. */
  verdict: Verdict;
  /** Runs that exercised it (judged it pass or fail). A MUST client requirement with 0 makes the check inconclusive. */
  exercised: number;
  /** Runs that passed it. */
  passed: number;
  /** Runs that failed it. */
  failed: number;
  /** Runs that never reached the situation it is about. */
  notExercised: number;
  /**
   * Property runs (drawn by fast-check, not scenarios, not the shrunk counterexample) that
   * exercised it: how well the generators reach it. `lockstep check` and `merge` always set it.
   */
  exercisedInPropertyRuns?: number;
  /** Property runs aggregated (the denominator of {@link RequirementResult.exercisedInPropertyRuns}). */
  propertyRuns?: number;
  /**
   * When no run exercised it: what the client never did, in the checker's words (the
   * not-exercised evidence most runs gave; the earliest of equally frequent ones).
   */
  notExercisedBecause?: string;
  /** The first failure: where, and how to replay it. */
  firstFailure?: {
    /** The run (`scenario tc3-...`, `property run 17`, `counterexample (2 fault entries)`). */
    run: string;
    /** Virtual time of the violating step, ms. */
    at?: number;
    /** Trace sequence number of the violating step. */
    seq?: number;
    /** What was seen. */
    evidence: string;
    /** The command that re-runs it. */
    replay?: string;
  };
}

/** One scenario's outcome. */
export interface ScenarioOutcome {
  /** Position of the scenario's file among all the files of the check (before sharding). */
  index: number;
  /** The scenario's name. */
  name: string;
  /** The scenario file. */
  file?: string;
  /** sha256 of the trace. */
  hash: string;
  /** Every requirement's finding on it, as the checker gave it. */
  findings: Finding[];
  /**
   * Server requirements whose finding differs from the scenario's `expect`: the scenario's
   * server did not behave as the scenario says. Reported, never charged to the client.
   */
  mismatches: {
    /** The requirement id. */
    requirement: string;
    /** The verdict the scenario expects. */
    expected: RunVerdict;
    /** The verdict the run got. */
    got: RunVerdict;
  }[];
  /** Why a guard stopped it. */
  stopped?: string;
  /** Why the client could not run. */
  error?: string;
  /** The first snapshot that broke the protocol's snapshot schema (node, virtual time, field, expected, found). */
  invalidSnapshot?: string;
  /** The first exception client code threw (node, virtual time, what was running, message, where): fails the check. */
  clientError?: string;
  /** The same, when the check only warns about client errors (`--client-errors warn`). */
  clientWarning?: string;
  /** Real milliseconds it took. */
  wallMs: number;
}

/** Everything `lockstep check` learned about one client of one protocol. */
export interface ClientCheckResult {
  /** The protocol's name. */
  protocol: string;
  /** `reference`, `zoo:<protocol>/<variant>` or the module path. */
  client: string;
  /** The server variant, when not the reference server. */
  server?: string;
  /** The scenarios run (this shard's), in file order. */
  scenarios: ScenarioOutcome[];
  /** The property runs, when any ran. */
  property?: {
    /** Property runs executed (they stop at the first failure). */
    runs: number;
    /** Their seed. */
    seed: number;
    /** The shrunk first failure. */
    counterexample?: Counterexample;
    /** Where its failure record was written. */
    failureFile?: string;
    /** `lockstep replay <failureFile>`. */
    replay?: string;
  };
  /** One verdict per requirement, in catalogue order. */
  requirements: RequirementResult[];
  /**
   * Every run the verdicts were aggregated from, in aggregation order: scenarios by
   * index, property runs by index, then the shrunk counterexample. `lockstep merge`
   * aggregates the runs of several shards the same way.
   */
  runs: RunRecord[];
  /**
   * The not-exercised evidence the runs gave, each text once, in the order first seen
   * ({@link RunRecord.unexercised} points into it). Absent: none recorded.
   */
  unexercisedEvidence?: string[];
  /**
   * MUST client requirements no run exercised (and not allowed to go unexercised): why the
   * check is inconclusive. Absent: the inconclusive rule was not applied (a real-socket check).
   */
  inconclusive?: string[];
  /**
   * 0 every MUST client requirement was exercised and none failed; 1 a MUST client
   * requirement failed or a run broke (guard stop, client error, invalid snapshot,
   * counterexample); 3 inconclusive: nothing failed, but a MUST client requirement was
   * never exercised. (2, bad input, never gets this far.)
   */
  exitCode: 0 | 1 | 3;
  /** Real milliseconds the check took. */
  wallMs: number;
}

/** What kind of run a {@link RunRecord} is; also the order in which runs are aggregated. */
export type RunKind = 'scenario' | 'property' | 'counterexample';

/** A failing finding kept in a {@link RunRecord}, to show as a requirement's first failure. */
export interface RunFailure {
  /** The requirement id. */
  requirement: string;
  /** Virtual time of the violating step, ms. */
  at?: number;
  /** Trace sequence number of the violating step. */
  seq?: number;
  /** What was seen. */
  evidence: string;
}

/**
 * One run, reduced to what aggregation needs: a verdict letter per requirement and the
 * evidence of the failures that may be shown as a requirement's first failure.
 */
export interface RunRecord {
  /** Scenario, property run, or the shrunk counterexample. */
  kind: RunKind;
  /**
   * `scenario`: the position of the scenario file among all files of the check (before
   * sharding); `property`: the fast-check run index (0-based, before sharding);
   * `counterexample`: the index of the property run the failure was found at.
   */
  index: number;
  /** `scenario tc1-normal-websocket-flow`, `property run 17`, `counterexample (2 fault entries)`. */
  name: string;
  /**
   * One letter per requirement of the protocol, in catalogue order: `P` pass, `F` fail,
   * `N` not exercised, `-` not judged (the scenario does not list it, or the client
   * could not run).
   */
  verdicts: string;
  /** The command that re-runs it. */
  replay?: string;
  /**
   * Failing findings of this run for requirements that no earlier run of the same check
   * failed (for the counterexample: all its failing findings). Later failures are only
   * counted.
   */
  failures?: RunFailure[];
  /**
   * The checker's evidence for each requirement this run did not exercise: one index into
   * the client's {@link ClientCheckResult.unexercisedEvidence} per `N` of
   * {@link RunRecord.verdicts}, in the same order, space-separated (`"0 3 1"`).
   */
  unexercised?: string;
}

/** The letter of a run verdict in {@link RunRecord.verdicts}. */
export const verdictLetters: Readonly<Record<RunVerdict, string>> = { pass: 'P', fail: 'F', 'not-exercised': 'N' };

/** The requirement metadata aggregation needs. */
export type RequirementInfo = Pick<RequirementResult, 'id' | 'level' | 'text' | 'source'> & {
  /** Whose behaviour it judges (default `client`). */
  subject?: 'client' | 'server';
};

/**
 * Aggregates runs into a verdict per requirement: counts of pass / fail / not-exercised
 * over all runs, and the first failure (in the order given, except that the shrunk
 * counterexample, being the one to replay, wins). A failed MUST is `fail`, a failed
 * SHOULD `non-strict`; otherwise `pass` if any run passed, else `not-exercised` — with,
 * given the runs' evidence texts, what the client never did (the evidence most runs gave).
 */
export function aggregateRuns(requirements: readonly RequirementInfo[], runs: readonly RunRecord[], evidence: readonly string[] = []): RequirementResult[] {
  const whys = runs.map(unexercisedByRequirement);
  return requirements.map((req, i): RequirementResult => {
    const res: RequirementResult = {
      id: req.id,
      level: req.level,
      text: req.text,
      source: req.source,
      subject: req.subject ?? 'client',
      verdict: 'not-exercised',
      exercised: 0,
      passed: 0,
      failed: 0,
      notExercised: 0,
      exercisedInPropertyRuns: 0,
      propertyRuns: 0,
    };
    // Map order is first-seen order, which breaks ties between equally frequent texts.
    const because = new Map<number, number>();
    for (const [r, run] of runs.entries()) {
      const v = run.verdicts[i];
      if (run.kind === 'property') {
        res.propertyRuns!++;
        if (v === 'P' || v === 'F') res.exercisedInPropertyRuns!++;
      }
      if (v === 'P') res.passed++;
      else if (v === 'N') {
        res.notExercised++;
        const k = whys[r]![i];
        if (k !== undefined) because.set(k, (because.get(k) ?? 0) + 1);
      } else if (v === 'F') {
        res.failed++;
        // Prefer the shrunk counterexample as the evidence to show.
        if (!res.firstFailure || run.kind === 'counterexample') {
          const f = run.failures?.find((x) => x.requirement === req.id);
          res.firstFailure = { run: run.name, at: f?.at, seq: f?.seq, evidence: f?.evidence ?? '(evidence not recorded)', replay: run.replay };
        }
      }
    }
    res.exercised = res.passed + res.failed;
    res.verdict = res.failed > 0 ? (req.level === 'MUST' ? 'fail' : 'non-strict') : res.passed > 0 ? 'pass' : 'not-exercised';
    if (res.exercised === 0 && because.size > 0) {
      let best = -1;
      let most = 0;
      for (const [k, n] of because) if (n > most) [best, most] = [k, n];
      const text = evidence[best];
      if (text !== undefined) res.notExercisedBecause = text;
    }
    return res;
  });
}

/** A run's {@link RunRecord.unexercised}, spread over its requirements: the evidence index of each `N`. */
export function unexercisedByRequirement(run: Pick<RunRecord, 'verdicts' | 'unexercised'>): (number | undefined)[] {
  const list = run.unexercised ? run.unexercised.split(' ').map(Number) : [];
  let next = 0;
  return [...run.verdicts].map((v) => (v === 'N' ? list[next++] : undefined));
}

/**
 * The MUST client requirements no run exercised, except those `allow` names (a feature
 * the client knowingly lacks): while any is left, a check without failures is
 * inconclusive, never a pass.
 */
export function inconclusiveOf(requirements: readonly RequirementResult[], allow: readonly string[] = []): string[] {
  return requirements.filter((q) => q.level === 'MUST' && q.subject !== 'server' && q.exercised === 0 && !allow.includes(q.id)).map((q) => q.id);
}

/**
 * The exit code of a client's check: 1 when a MUST client
 * requirement failed, a scenario broke (guard stop, client error, invalid snapshot) or
 * property runs found a counterexample; else 3 when `inconclusive` names requirements;
 * else 0. Server requirements never count: they judge the server, not the client.
 */
export function exitCodeOf(
  requirements: readonly RequirementResult[],
  scenarios: readonly Pick<ScenarioOutcome, 'stopped' | 'error' | 'invalidSnapshot' | 'clientError'>[],
  counterexample: boolean,
  inconclusive: readonly string[] = [],
): 0 | 1 | 3 {
  const broken = scenarios.some((s) => s.stopped || s.error || s.invalidSnapshot !== undefined || s.clientError !== undefined) || counterexample;
  if (requirements.some((r) => r.verdict === 'fail' && r.subject !== 'server') || broken) return 1;
  return inconclusive.length ? 3 : 0;
}

/** The worst of several exit codes, by precedence: 2 bad input, 1 fail, 3 inconclusive, 0. */
export function worstExitCode(codes: readonly number[]): number {
  const rank = (c: number): number => (c === 2 ? 3 : c === 1 ? 2 : c === 3 ? 1 : c === 0 ? 0 : 4);
  return codes.reduce((worst, c) => (rank(c) > rank(worst) ? c : worst), 0);
}

/** The word for an exit code in tables and summaries: PASS, FAIL or INCONCLUSIVE. */
export function outcomeWord(exitCode: number): 'PASS' | 'FAIL' | 'INCONCLUSIVE' {
  return exitCode === 0 ? 'PASS' : exitCode === 3 ? 'INCONCLUSIVE' : 'FAIL';
}

/** Whether index `i` belongs to the shard (`i % count === index`, 0-based). Without a shard, every index does. */
export function inShard(i: number, shard: { index: number; count: number } | undefined): boolean {
  return !shard || i % shard.count === shard.index;
}

/** How many of the indices `0 … n-1` belong to the shard. */
export function shardSize(n: number, shard: { index: number; count: number } | undefined): number {
  return !shard ? n : n > shard.index ? Math.ceil((n - shard.index) / shard.count) : 0;
}

/** Options of a check. */
export interface CheckOptions {
  /** The client to check. */
  client: ResolvedClient;
  /** Property runs (0: scenarios only). */
  runs: number;
  /** Seed of the property runs. */
  seed: number;
  /** Scenario files to run (default: every file under scenarios/<protocol>/). */
  scenarioFiles?: string[];
  /** Where to write failure records (default: reports/failures). */
  failureDir: string;
  /**
   * Where the failure records will be once the command is done, when that differs from
   * `failureDir` (a report folder written beside its final place and swapped in at the
   * end): replay commands and reports name this path.
   */
  failureDirShownAs?: string;
  /** Install the simulated world as globals. */
  globals?: boolean;
  /**
   * A module whose `handlers` (or default) export is an array of msw handlers, put in front
   * of each run's server (`--server-module`; see `loadServerModule`). A path relative to the
   * working folder; workers load it themselves, and failure records and replay commands
   * carry it.
   */
  serverModule?: string;
  /** Run against this server variant instead of each scenario's own server. */
  server?: string;
  /**
   * Run only this shard (0-based `index` of `count`): scenario file `i` and property run
   * `i` belong to shard `i % count`. Every index lands in exactly one shard, the same
   * one on every machine; `lockstep merge` combines the shards' reports.
   */
  shard?: {
    /** This shard, 0-based. */
    index: number;
    /** How many shards. */
    count: number;
  };
  /**
   * MUST requirements the client knowingly does not exercise (a feature it lacks): their
   * being unexercised does not make the check inconclusive. Unknown ids throw.
   */
  allowNotExercised?: readonly string[];
  /** Guard limits for every run, by name; they override the scenarios' own `guards:`. */
  guards?: GuardLimits;
  /**
   * Worker threads to run the client in (isolated from lockstep: a client that hangs,
   * exhausts memory or calls process.exit is stopped and reported). Needs a client that a
   * worker can load by name ({@link ResolvedClient.spec}); without one, or with 0, runs
   * execute in this thread. Results are the same for any number of workers.
   */
  workers?: number;
  /** When to take control back from a client in a worker (`--step-timeout`, `--run-timeout`, `--max-heap`). */
  limits?: Partial<IsolationLimits>;
  /** Whether exceptions of client code fail the check (default) or are only reported. */
  clientErrors?: 'fail' | 'warn';
  /** Called after each run (scenario or property run) with the runs done, the total and the failing runs so far. */
  onProgress?: (done: number, total: number, failures: number) => void;
  /**
   * Called when a property run failed and fast-check starts shrinking it (`step` 0), then
   * after each shrink step: shrinking can take as long as the runs before it.
   */
  onShrink?: (step: number) => void;
  /**
   * Judge only these requirements (`--requirement`): the others are neither run nor
   * reported, and only these can fail the check or leave it inconclusive. Unknown ids throw.
   */
  requirements?: readonly string[];
}

/** What a check will run: its scenario files (all, before sharding) and how many scenarios and property runs fall to this shard. */
export interface CheckPlan {
  /** Every scenario file of the check, before sharding. */
  files: string[];
  /** Scenario files this shard runs. */
  scenarios: number;
  /** Property runs this shard runs. */
  propertyRuns: number;
}

/**
 * What a check will run, worked out before anything runs. A check that would run nothing
 * (no scenario file and `runs: 0`, or a shard that gets no index) would pass vacuously:
 * it throws a {@link ScenarioError} saying so instead.
 */
export function planCheck(o: Pick<CheckOptions, 'client' | 'runs' | 'scenarioFiles' | 'shard'>): CheckPlan {
  const files = o.scenarioFiles ?? scenarioFilesOf(o.client.protocol.name);
  const plan = { files, scenarios: shardSize(files.length, o.shard), propertyRuns: shardSize(o.runs, o.shard) };
  if (plan.scenarios + plan.propertyRuns > 0) return plan;
  const what = `${o.client.protocol.name} / ${o.client.name}`;
  const source = o.scenarioFiles ? 'the scenario files given' : `the ${o.client.protocol.name} scenarios`;
  const found = o.shard
    ? `shard ${o.shard.index + 1}/${o.shard.count} gets none of the ${files.length} scenario files and none of the ${o.runs} property runs`
    : `${o.runs} property runs and no scenario file in ${source}`;
  const expected = o.shard
    ? `at least one scenario or property run for this shard (use at most ${Math.max(files.length, o.runs)} shards, or more runs)`
    : 'at least one scenario or property run (a check that runs nothing proves nothing)';
  throw new ScenarioError(`lockstep check ${what}`, [{ field: o.shard ? 'shard' : 'runs', expected, found }]);
}

/** Throws when `ids` names a requirement the protocol does not have; the message lists the valid ones. */
export function checkRequirementIds(protocol: ProtocolDefinition, ids: readonly string[], what: string): void {
  const known = protocol.requirements.map((q) => q.id);
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length) throw new Error(`${what}: unknown requirement ${unknown.map((u) => `"${u}"`).join(', ')} of ${protocol.name} (expected some of ${known.join(', ')})`);
}

/**
 * Scenario files of a protocol, sorted: by default the ones shipped with lockstep, found
 * from the package itself wherever the command runs.
 */
export function scenarioFilesOf(protocol: string, root = shippedScenarioRoot): string[] {
  const dir = join(root, protocol);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Runs a client through the protocol's scenarios and property runs, aggregates the
 * findings per requirement, and writes a replayable record of the shrunk
 * counterexample, if any.
 */
export async function checkClient(o: CheckOptions, protocols: ReadonlyMap<string, ProtocolDefinition>): Promise<ClientCheckResult> {
  const started = performance.now();
  const protocol = narrowedProtocol(o.client.protocol, o.requirements);
  const allow = (o.allowNotExercised ?? []).filter((id) => !o.requirements || o.requirements.includes(id));
  checkRequirementIds(o.client.protocol, o.allowNotExercised ?? [], 'allowNotExercised');
  const plan = planCheck(o);
  const shard = o.shard;
  const guards = o.guards && Object.keys(o.guards).length ? o.guards : undefined;
  const scenarios = plan.files
    .map((f, index) => ({ index, sc: loadScenarioFile(f, protocols) }))
    .filter(({ index }) => inShard(index, shard))
    .map(({ index, sc }) => ({ index, sc: o.server ? { ...sc, server: { variant: o.server, options: sc.server.options } } : sc }))
    .map(({ index, sc }) => ({ index, sc: guards ? { ...sc, guards: { ...sc.guards, ...guards } } : sc }));
  const total = plan.scenarios + plan.propertyRuns;
  let done = 0;
  let failures = 0;
  const outcomes: ScenarioOutcome[] = [];
  const runs: RunRecord[] = [];
  const failedBefore = new Set<string>();
  const evidence: string[] = [];
  const evidenceIndex = new Map<string, number>();
  const record = (kind: RunKind, index: number, name: string, findings: Finding[], replay?: string): void => {
    const verdicts = protocol.requirements.map((req) => {
      const f = findings.find((x) => x.requirement === req.id);
      return f ? verdictLetters[f.verdict] : '-';
    });
    const failing = findings.filter((f) => f.verdict === 'fail' && (kind === 'counterexample' || !failedBefore.has(f.requirement)));
    for (const f of failing) failedBefore.add(f.requirement);
    const run: RunRecord = { kind, index, name, verdicts: verdicts.join('') };
    if (replay !== undefined) run.replay = replay;
    if (failing.length) run.failures = failing.map((f) => ({ requirement: f.requirement, at: f.at, seq: f.seq, evidence: f.evidence }));
    const unexercised = unexercisedOf(protocol, findings, evidence, evidenceIndex);
    if (unexercised) run.unexercised = unexercised;
    runs.push(run);
  };

  const policy: FailurePolicy = { clientErrors: o.clientErrors };
  const exec = await executorFor(o, protocol);
  // The property runs' scenarios, kept by run name until the run is recorded: a run that
  // violates a SHOULD gets a failure record of its own (its scenario as drawn).
  const drawn = new Map<string, ResolvedScenario>();
  let shrinkSteps = -1;
  const watched: RunExecutor = {
    parallelism: exec.parallelism,
    isolated: exec.isolated,
    close: () => exec.close(),
    run: async (sc) => {
      if (sc.name.startsWith('property run ')) drawn.set(sc.name, sc);
      const r = await exec.run(sc);
      if (sc.name.startsWith('shrinking ')) o.onShrink?.(++shrinkSteps);
      return r;
    },
  };
  const shouldFailedBefore = new Set<string>();
  const writeRecord = (name: string, r: Pick<FailureRecord, 'scenario' | 'hash' | 'failed' | 'findings' | 'fastCheck'>): string => {
    mkdirSync(o.failureDir, { recursive: true });
    const record: FailureRecord = {
      format: 'lockstep-failure',
      version: 1,
      protocol: protocol.name,
      client: o.client.name,
      globals: !!o.globals,
      ...(o.serverModule !== undefined ? { serverModule: o.serverModule } : {}),
      ...r,
    };
    writeFileAtomic(join(o.failureDir, name), `${JSON.stringify(record, null, 2)}\n`);
    return join(o.failureDirShownAs ?? o.failureDir, name);
  };
  const recordKey = { protocol: protocol.name, client: o.client.name, server: o.server, seed: o.seed };
  let property: ClientCheckResult['property'];
  try {
  // Scenarios run in parallel on the executor; their results are recorded in file order.
  // A client that took down maxFatal runs (hangs, out of memory) has the rest skipped: each
  // further one would only cost a watchdog timeout.
  let fatal = 0;
  const results = await inParallel(scenarios, exec.parallelism, () => fatal < maxFatal, async ({ sc }) => {
    const r = await exec.run(sc);
    if (r.fatal) fatal++;
    if (r.fatal || runFailed(protocol, { ...r, findings: judgedFindings(protocol, sc, r.findings) }, policy).length) failures++;
    o.onProgress?.(++done, total, failures);
    return r;
  });
  for (const [k, { index, sc }] of scenarios.entries()) {
    const r = results[k];
    if (!r) continue; // skipped after the client took down too many runs
    outcomes.push(summarize(protocol, index, sc, r, policy));
    record('scenario', index, `scenario ${sc.name}`, judgedFindings(protocol, sc, r.findings), runCommand(sc.file ?? sc.name, o));
  }

  if (o.runs > 0) {
    const outcome = await checkProperty({
      protocol,
      client: o.client.factory,
      clientName: o.client.name,
      runs: o.runs,
      seed: o.seed,
      shard,
      globals: o.globals,
      server: o.server,
      guards,
      executor: watched,
      clientErrors: o.clientErrors,
      onRun: (r, i) => {
        const failed = runFailed(protocol, r, policy).length > 0;
        if (failed) failures++;
        const sc = drawn.get(`property run ${i}`);
        drawn.delete(`property run ${i}`);
        // A SHOULD violated here for the first time gets a replayable record; a run that
        // fails a MUST gets the shrunk counterexample's record instead.
        const should = r.findings.filter((f) => f.verdict === 'fail' && isLevel(protocol, f.requirement, 'SHOULD') && !shouldFailedBefore.has(f.requirement));
        let replay: string | undefined;
        if (should.length && !failed && sc) {
          for (const f of should) shouldFailedBefore.add(f.requirement);
          const shown = writeRecord(failureRecordName({ ...recordKey, run: i, shrunk: false }), {
            scenario: sc,
            hash: r.hash,
            failed: should.map((f) => f.requirement),
            findings: r.findings,
            fastCheck: { seed: o.seed, path: String(i) },
          });
          replay = replayCommand(shown, o);
        }
        record('property', i, `property run ${i}`, r.findings, replay);
        o.onProgress?.(++done, total, failures);
        if (failed) o.onShrink?.(++shrinkSteps);
      },
    });
    property = { runs: outcome.runs, seed: o.seed };
    if (outcome.counterexample) {
      const cx = outcome.counterexample;
      const shown = writeRecord(failureRecordName({ ...recordKey, run: cx.foundAt, shrunk: cx.shrunk }), {
        scenario: cx.scenario,
        hash: cx.hash,
        failed: cx.failed,
        findings: cx.findings,
        fastCheck: cx.fastCheck,
      });
      property.counterexample = cx;
      property.failureFile = shown;
      property.replay = replayCommand(shown, o);
      record('counterexample', cx.foundAt, `counterexample (${cx.scenario.faults.length} fault entries)`, cx.findings, property.replay);
    }
  }

  } finally {
    await exec.close();
  }
  const requirements = aggregateRuns(protocol.requirements, runs, evidence);
  const inconclusive = inconclusiveOf(requirements, allow);
  const exitCode = exitCodeOf(requirements, outcomes, !!property?.counterexample, inconclusive);
  return {
    protocol: protocol.name,
    client: o.client.name,
    server: o.server,
    scenarios: outcomes,
    property,
    requirements,
    runs,
    unexercisedEvidence: evidence,
    inconclusive,
    exitCode,
    wallMs: performance.now() - started,
  };
}

const isLevel = (protocol: ProtocolDefinition, id: string, level: Level): boolean => {
  const q = protocol.requirements.find((x) => x.id === id);
  return q?.level === level && q.subject !== 'server';
};

/** The protocol with only the requirements `ids` names (all of them without `ids`). */
function narrowedProtocol(protocol: ProtocolDefinition, ids: readonly string[] | undefined): ProtocolDefinition {
  if (!ids) return protocol;
  checkRequirementIds(protocol, ids, 'requirements');
  return { ...protocol, requirements: protocol.requirements.filter((q) => ids.includes(q.id)) };
}

const isServerRequirement = (protocol: ProtocolDefinition, id: string): boolean => protocol.requirements.find((q) => q.id === id)?.subject === 'server';

/**
 * The findings a scenario judges the client by, the same for every client: a client
 * requirement the scenario expects to `fail` is one its (faulty) server makes
 * unattainable, so the scenario does not judge it (`-`): neither a failure charged to the
 * client nor an exercise credited to it.
 */
export function judgedFindings(protocol: ProtocolDefinition, sc: ResolvedScenario, findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => !(sc.expect[f.requirement] === 'fail' && !isServerRequirement(protocol, f.requirement)));
}

function summarize(protocol: ProtocolDefinition, index: number, sc: ResolvedScenario, r: RunSummary, policy: FailurePolicy): ScenarioOutcome {
  // Only server requirements are held to `expect`: it describes the scenario's server, not the client.
  const expected = (id: string): RunVerdict => sc.expect[id] ?? 'pass';
  const mismatches = r.findings
    .filter((f) => isServerRequirement(protocol, f.requirement) && expected(f.requirement) !== f.verdict && !(expected(f.requirement) === 'pass' && f.verdict === 'not-exercised'))
    .map((f) => ({ requirement: f.requirement, expected: expected(f.requirement), got: f.verdict }));
  const outcome: ScenarioOutcome = { index, name: sc.name, file: sc.file, hash: r.hash, findings: r.findings, mismatches, stopped: r.stopped?.message, error: r.error, wallMs: r.wallMs };
  if (r.invalidSnapshot !== undefined) outcome.invalidSnapshot = r.invalidSnapshot;
  if (r.clientError !== undefined) outcome[policy.clientErrors === 'warn' ? 'clientWarning' : 'clientError'] = r.clientError;
  return outcome;
}

/** A run's {@link RunRecord.unexercised}: its not-exercised findings' evidence as indices into `evidence` (a text is added the first time it is seen). */
function unexercisedOf(protocol: ProtocolDefinition, findings: readonly Finding[], evidence: string[], index: Map<string, number>): string | undefined {
  const out: number[] = [];
  for (const req of protocol.requirements) {
    const f = findings.find((x) => x.requirement === req.id);
    if (!f || f.verdict !== 'not-exercised') continue;
    let k = index.get(f.evidence);
    if (k === undefined) {
      k = evidence.push(f.evidence) - 1;
      index.set(f.evidence, k);
    }
    out.push(k);
  }
  return out.length ? out.join(' ') : undefined;
}

/** The command that re-runs one scenario of a check with every flag that shaped it. */
function runCommand(file: string, o: CheckOptions): string {
  const guards = Object.entries(o.guards ?? {}).flatMap(([name, n]) => ['--guard', `${name}=${n}`]);
  return lockstepCommand(['run', userPath(scenarioRef(file)), '--client', o.client.name, ...(o.server ? ['--server', o.server] : []), ...(o.globals ? ['--globals'] : []), ...serverModuleFlag(o), ...guards]);
}

/** `lockstep replay <record>`, with the server module the record was made with. */
function replayCommand(record: string, o: CheckOptions): string {
  return lockstepCommand(['replay', userPath(record), ...serverModuleFlag(o)]);
}

function serverModuleFlag(o: Pick<CheckOptions, 'serverModule'>): string[] {
  return o.serverModule !== undefined ? ['--server-module', userPath(o.serverModule)] : [];
}

/** Runs a client that took down this many runs (hangs, out of memory, exits) has the rest of its scenarios skipped. */
const maxFatal = 3;

/** Worker threads when the client can be loaded by name and workers are asked for; else this thread. */
async function executorFor(o: CheckOptions, protocol: ProtocolDefinition): Promise<RunExecutor> {
  if (!o.workers || o.client.spec === undefined) {
    const wrapper = o.serverModule !== undefined ? await loadServerModule(o.serverModule) : undefined;
    return inProcessExecutor(protocol, o.client.factory, o.client.name, !!o.globals, wrapper);
  }
  return workerExecutor({ protocol: protocol.name, client: o.client.spec, label: o.client.name, workers: o.workers, globals: !!o.globals, serverModule: o.serverModule, limits: o.limits });
}

/**
 * Maps `items` through `run`, at most `parallelism` at a time, starting them in order while
 * `go()` allows; results come back in item order (`undefined` for items never started).
 */
async function inParallel<T, R>(items: readonly T[], parallelism: number, go: () => boolean, run: (item: T) => Promise<R>): Promise<(R | undefined)[]> {
  const out: (R | undefined)[] = new Array(items.length).fill(undefined);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && go()) {
      const k = next++;
      out[k] = await run(items[k]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallelism, items.length)) }, lane));
  return out;
}
