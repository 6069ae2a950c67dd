import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkProperty, runFailed, type Counterexample } from './property.js';
import type { ProtocolDefinition } from './protocol.js';
import type { Finding, Level, RunVerdict, Verdict } from './requirement.js';
import { runScenario, type RunResult } from './runner.js';
import { loadScenarioFile, type ResolvedScenario } from './scenario.js';
import type { ResolvedClient } from './registry.js';
import { clientSlug, type FailureRecord } from './failure-record.js';
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
  /** pass, fail (a MUST failed), non-strict (a SHOULD failed) or not-exercised. */
  verdict: Verdict;
  /** Runs that passed it. */
  passed: number;
  /** Runs that failed it. */
  failed: number;
  /** Runs that never reached the situation it is about. */
  notExercised: number;
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
  /** Findings that differ from the scenario's `expect` (reference client only). */
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
  /** 0 every MUST passed (or was not exercised), 1 otherwise. */
  exitCode: 0 | 1;
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
}

/** The letter of a run verdict in {@link RunRecord.verdicts}. */
export const verdictLetters: Readonly<Record<RunVerdict, string>> = { pass: 'P', fail: 'F', 'not-exercised': 'N' };

/** The requirement metadata aggregation needs. */
export type RequirementInfo = Pick<RequirementResult, 'id' | 'level' | 'text' | 'source'>;

/**
 * Aggregates runs into a verdict per requirement: counts of pass / fail / not-exercised
 * over all runs, and the first failure (in the order given, except that the shrunk
 * counterexample, being the one to replay, wins). A failed MUST is `fail`, a failed
 * SHOULD `non-strict`; otherwise `pass` if any run passed, else `not-exercised`.
 */
export function aggregateRuns(requirements: readonly RequirementInfo[], runs: readonly RunRecord[]): RequirementResult[] {
  return requirements.map((req, i): RequirementResult => {
    const res: RequirementResult = { id: req.id, level: req.level, text: req.text, source: req.source, verdict: 'not-exercised', passed: 0, failed: 0, notExercised: 0 };
    for (const run of runs) {
      const v = run.verdicts[i];
      if (v === 'P') res.passed++;
      else if (v === 'N') res.notExercised++;
      else if (v === 'F') {
        res.failed++;
        // Prefer the shrunk counterexample as the evidence to show.
        if (!res.firstFailure || run.kind === 'counterexample') {
          const f = run.failures?.find((x) => x.requirement === req.id);
          res.firstFailure = { run: run.name, at: f?.at, seq: f?.seq, evidence: f?.evidence ?? '(evidence not recorded)', replay: run.replay };
        }
      }
    }
    res.verdict = res.failed > 0 ? (req.level === 'MUST' ? 'fail' : 'non-strict') : res.passed > 0 ? 'pass' : 'not-exercised';
    return res;
  });
}

/** 1 when a MUST failed, a scenario broke (mismatch, guard stop, client error) or property runs found a counterexample. */
export function exitCodeOf(requirements: readonly RequirementResult[], scenarios: readonly Pick<ScenarioOutcome, 'mismatches' | 'stopped' | 'error'>[], counterexample: boolean): 0 | 1 {
  const broken = scenarios.some((s) => s.mismatches.length || s.stopped || s.error) || counterexample;
  return requirements.some((r) => r.verdict === 'fail') || broken ? 1 : 0;
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
  /** Install the simulated world as globals. */
  globals?: boolean;
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
  /** Called after each run (scenario or property run) with the runs done, the total and the failing runs so far. */
  onProgress?: (done: number, total: number, failures: number) => void;
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
  const { protocol } = o.client;
  const files = o.scenarioFiles ?? scenarioFilesOf(protocol.name);
  const shard = o.shard;
  const scenarios = files
    .map((f, index) => ({ index, sc: loadScenarioFile(f, protocols) }))
    .filter(({ index }) => inShard(index, shard))
    .map(({ index, sc }) => ({ index, sc: o.server ? { ...sc, server: { variant: o.server, options: sc.server.options } } : sc }));
  // Scenario expectations describe the reference client against the scenario's own server.
  const isReference = o.client.name === 'reference' && o.server === undefined;
  const total = scenarios.length + shardSize(o.runs, shard);
  let done = 0;
  let failures = 0;
  const outcomes: ScenarioOutcome[] = [];
  const runs: RunRecord[] = [];
  const failedBefore = new Set<string>();
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
    runs.push(run);
  };

  for (const { index, sc } of scenarios) {
    const r = await runScenario({ protocol, scenario: sc, client: o.client.factory, clientName: o.client.name, globals: o.globals });
    const outcome = summarize(index, sc, r, isReference);
    outcomes.push(outcome);
    if (outcome.mismatches.length || r.stopped || r.error || (!isReference && runFailed(protocol, r).length)) failures++;
    record('scenario', index, `scenario ${sc.name}`, isReference ? withoutExpectedFailures(r.findings, sc) : r.findings, runCommand(sc.file ?? sc.name, o));
    o.onProgress?.(++done, total, failures);
  }

  let property: ClientCheckResult['property'];
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
      onRun: (r, i) => {
        if (runFailed(protocol, r).length) failures++;
        record('property', i, `property run ${i}`, r.findings);
        o.onProgress?.(++done, total, failures);
      },
    });
    property = { runs: outcome.runs, seed: o.seed };
    if (outcome.counterexample) {
      const cx = outcome.counterexample;
      const file = join(o.failureDir, `${protocol.name}--${clientSlug(o.client.name)}${o.server ? `--server-${clientSlug(o.server)}` : ''}.json`);
      const failureRecord: FailureRecord = {
        format: 'lockstep-failure',
        version: 1,
        protocol: protocol.name,
        client: o.client.name,
        globals: !!o.globals,
        scenario: cx.scenario,
        hash: cx.hash,
        failed: cx.failed,
        findings: cx.findings,
        fastCheck: cx.fastCheck,
      };
      mkdirSync(o.failureDir, { recursive: true });
      writeFileSync(file, `${JSON.stringify(failureRecord, null, 2)}\n`);
      property.counterexample = cx;
      property.failureFile = file;
      property.replay = lockstepCommand(['replay', userPath(file)]);
      record('counterexample', cx.foundAt, `counterexample (${cx.scenario.faults.length} fault entries)`, cx.findings, property.replay);
    }
  }

  const requirements = aggregateRuns(protocol.requirements, runs);
  const exitCode = exitCodeOf(requirements, outcomes, !!property?.counterexample);
  return { protocol: protocol.name, client: o.client.name, server: o.server, scenarios: outcomes, property, requirements, runs, exitCode, wallMs: performance.now() - started };
}

function summarize(index: number, sc: ResolvedScenario, r: RunResult, isReference: boolean): ScenarioOutcome {
  const mismatches = isReference
    ? r.findings.filter((f) => (sc.expect[f.requirement] ?? 'pass') !== f.verdict && !(sc.expect[f.requirement] === 'pass' && f.verdict === 'not-exercised')).map((f) => ({ requirement: f.requirement, expected: sc.expect[f.requirement] ?? 'pass', got: f.verdict }))
    : [];
  return { index, name: sc.name, file: sc.file, hash: r.hash, findings: r.findings, mismatches, stopped: r.stopped?.message, error: r.error, wallMs: r.wallMs };
}

/** For the reference, a failure a scenario expects (a faulty server breaking a requirement) counts as a pass. */
function withoutExpectedFailures(findings: Finding[], sc: ResolvedScenario): Finding[] {
  return findings.map((f) => (f.verdict === 'fail' && sc.expect[f.requirement] === 'fail' ? { ...f, verdict: 'pass' as const, evidence: `failed as the scenario expects: ${f.evidence}` } : f));
}

/** The command that re-runs one scenario of a check with every flag that shaped it. */
function runCommand(file: string, o: CheckOptions): string {
  return lockstepCommand(['run', userPath(scenarioRef(file)), '--client', o.client.name, ...(o.server ? ['--server', o.server] : []), ...(o.globals ? ['--globals'] : [])]);
}
