import { mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkProperty, runFailed, type Counterexample } from './property.js';
import type { ProtocolDefinition } from './protocol.js';
import type { Finding, Level, RunVerdict, Verdict } from './requirement.js';
import { runScenario, type RunResult } from './runner.js';
import { loadScenarioFile, type ResolvedScenario } from './scenario.js';
import type { ResolvedClient } from './registry.js';
import { clientSlug, type FailureRecord } from './failure-record.js';

/** Per requirement, over every run of one client. */
export interface RequirementResult {
  id: string;
  level: Level;
  text: string;
  source: string;
  verdict: Verdict;
  passed: number;
  failed: number;
  notExercised: number;
  /** The first failure: where, and how to replay it. */
  firstFailure?: { run: string; at?: number; seq?: number; evidence: string; replay?: string };
}

/** One scenario's outcome. */
export interface ScenarioOutcome {
  name: string;
  file?: string;
  hash: string;
  findings: Finding[];
  /** Findings that differ from the scenario's `expect` (reference client only). */
  mismatches: { requirement: string; expected: RunVerdict; got: RunVerdict }[];
  stopped?: string;
  error?: string;
  wallMs: number;
}

/** Everything `lockstep check` learned about one client of one protocol. */
export interface ClientCheckResult {
  protocol: string;
  client: string;
  /** The server variant, when not the reference server. */
  server?: string;
  scenarios: ScenarioOutcome[];
  property?: { runs: number; seed: number; counterexample?: Counterexample; failureFile?: string; replay?: string };
  requirements: RequirementResult[];
  /** 0 every MUST passed (or was not exercised), 1 otherwise. */
  exitCode: 0 | 1;
  wallMs: number;
}

/** Options of a check. */
export interface CheckOptions {
  client: ResolvedClient;
  /** Property runs (0: scenarios only). */
  runs: number;
  seed: number;
  /** Scenario files to run (default: every file under scenarios/<protocol>/). */
  scenarioFiles?: string[];
  /** Where to write failure records (default: reports/failures). */
  failureDir: string;
  globals?: boolean;
  /** Run against this server variant instead of each scenario's own server. */
  server?: string;
  shard?: { index: number; count: number };
  onProgress?: (done: number, total: number, failures: number) => void;
}

/** Scenario files of a protocol, sorted. */
export function scenarioFilesOf(protocol: string, root = 'scenarios'): string[] {
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
  const shard = o.shard ?? { index: 0, count: 1 };
  const scenarios = files
    .map((f) => loadScenarioFile(f, protocols))
    .filter((_, i) => i % shard.count === shard.index)
    .map((sc) => (o.server ? { ...sc, server: { variant: o.server, options: sc.server.options } } : sc));
  // Scenario expectations describe the reference client against the scenario's own server.
  const isReference = o.client.name === 'reference' && o.server === undefined;
  const total = scenarios.length + o.runs;
  let done = 0;
  let failures = 0;
  const outcomes: ScenarioOutcome[] = [];
  const runs: { name: string; findings: Finding[]; replay?: string }[] = [];

  for (const sc of scenarios) {
    const r = await runScenario({ protocol, scenario: sc, client: o.client.factory, clientName: o.client.name, globals: o.globals });
    const outcome = summarize(sc, r, isReference);
    outcomes.push(outcome);
    if (outcome.mismatches.length || r.stopped || r.error || (!isReference && runFailed(protocol, r).length)) failures++;
    runs.push({ name: `scenario ${sc.name}`, findings: isReference ? withoutExpectedFailures(r.findings, sc) : r.findings, replay: `lockstep run ${sc.file ?? sc.name} --client ${o.client.name}` });
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
      shard: o.shard,
      globals: o.globals,
      server: o.server,
      onRun: (r, i) => {
        if (runFailed(protocol, r).length) failures++;
        runs.push({ name: `property run ${i}`, findings: r.findings });
        o.onProgress?.(++done, total, failures);
      },
    });
    property = { runs: outcome.runs, seed: o.seed };
    if (outcome.counterexample) {
      const cx = outcome.counterexample;
      const file = join(o.failureDir, `${protocol.name}--${clientSlug(o.client.name)}${o.server ? `--server-${clientSlug(o.server)}` : ''}.json`);
      const record: FailureRecord = {
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
      writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
      property.counterexample = cx;
      property.failureFile = file;
      property.replay = `lockstep replay ${file}`;
      runs.push({ name: `counterexample (${cx.scenario.faults.length} fault entries)`, findings: cx.findings, replay: property.replay });
    }
  }

  const requirements = protocol.requirements.map((req): RequirementResult => {
    const res: RequirementResult = { id: req.id, level: req.level, text: req.text, source: req.source, verdict: 'not-exercised', passed: 0, failed: 0, notExercised: 0 };
    for (const run of runs) {
      const f = run.findings.find((x) => x.requirement === req.id);
      if (!f) continue;
      if (f.verdict === 'pass') res.passed++;
      else if (f.verdict === 'not-exercised') res.notExercised++;
      else {
        res.failed++;
        // Prefer the shrunk counterexample as the evidence to show.
        if (!res.firstFailure || run.replay?.startsWith('lockstep replay')) res.firstFailure = { run: run.name, at: f.at, seq: f.seq, evidence: f.evidence, replay: run.replay };
      }
    }
    res.verdict = res.failed > 0 ? (req.level === 'MUST' ? 'fail' : 'non-strict') : res.passed > 0 ? 'pass' : 'not-exercised';
    return res;
  });
  const broken = outcomes.some((s) => s.mismatches.length || s.stopped || s.error) || !!property?.counterexample;
  const exitCode = requirements.some((r) => r.verdict === 'fail') || broken ? 1 : 0;
  return { protocol: protocol.name, client: o.client.name, server: o.server, scenarios: outcomes, property, requirements, exitCode, wallMs: performance.now() - started };
}

function summarize(sc: ResolvedScenario, r: RunResult, isReference: boolean): ScenarioOutcome {
  const mismatches = isReference
    ? r.findings.filter((f) => (sc.expect[f.requirement] ?? 'pass') !== f.verdict && !(sc.expect[f.requirement] === 'pass' && f.verdict === 'not-exercised')).map((f) => ({ requirement: f.requirement, expected: sc.expect[f.requirement] ?? 'pass', got: f.verdict }))
    : [];
  return { name: sc.name, file: sc.file, hash: r.hash, findings: r.findings, mismatches, stopped: r.stopped?.message, error: r.error, wallMs: r.wallMs };
}

/** For the reference, a failure a scenario expects (a faulty server breaking a requirement) counts as a pass. */
function withoutExpectedFailures(findings: Finding[], sc: ResolvedScenario): Finding[] {
  return findings.map((f) => (f.verdict === 'fail' && sc.expect[f.requirement] === 'fail' ? { ...f, verdict: 'pass' as const, evidence: `failed as the scenario expects: ${f.evidence}` } : f));
}
