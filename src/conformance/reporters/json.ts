import { readFileSync } from 'node:fs';
import type { GuardLimits } from '../../sim/guard-limits.js';
import type { ClientCheckResult, RequirementResult, RunRecord, ScenarioOutcome } from '../check.js';
import type { Finding } from '../requirement.js';
import { ScenarioError } from '../scenario.js';
import type { Reporter } from './types.js';

/**
 * Version of the JSON report format (docs/report-format.md). 3 made an unexercised MUST
 * inconclusive (exit code 3; `inconclusive`, exercise counts and the not-exercised
 * evidence), set server requirements apart (`subject`) and added invalid snapshots and
 * guard limits. 2 added the run records (`clients[].runs`), the scenarios' `index` and
 * `merged`, which `lockstep merge` needs to aggregate shards exactly as one unsharded run.
 */
export const reportVersion = 3;

/** The options of a check that decide its verdicts. */
export interface ReportOptions {
  /** Property runs per client (before sharding). */
  runs: number;
  /** fast-check seed of the property runs. */
  seed: number;
  /** The shard this report covers; absent for a whole run (and a merged report). */
  shard?: {
    /** This shard, 0-based (`--shard 2/4` is index 1). */
    index: number;
    /** How many shards. */
    count: number;
  };
  /** Whether the run installed the simulated world as globals. */
  globals: boolean;
  /** `--allow-not-exercised`: MUST requirements allowed to go unexercised (absent: none). */
  allowNotExercised?: string[];
  /** `--guard`: guard limits set for every run (absent: the defaults and the scenarios' own). */
  guards?: GuardLimits;
  /** `--requirement`: the only requirements judged (absent: all); the clients' `requirements` hold only these. */
  requirements?: string[];
  /** `--scenario`: the only scenarios run, as given on the command line (absent: all of each protocol's). */
  scenarios?: string[];
}

/** One scenario run in a report. */
export interface ScenarioReport {
  /** Position of the scenario's file among all the files of the check (before sharding). */
  index: number;
  /** The scenario's name. */
  name: string;
  /** The scenario file. */
  file?: string;
  /** sha256 of the run's trace. */
  hash: string;
  /** Server requirements whose finding differs from the scenario's `expect` (never charged to the client). */
  mismatches: ScenarioOutcome['mismatches'];
  /** Why a guard stopped the run. */
  stopped?: string;
  /** Why the client could not run. */
  error?: string;
  /** The first snapshot that broke the protocol's snapshot schema. */
  invalidSnapshot?: string;
  /** The first exception client code threw (fails the check). */
  clientError?: string;
  /** The same, reported as a warning only (`--client-errors warn`). */
  clientWarning?: string;
  /** Every requirement's finding on this run, as the checker gave it. */
  findings: Finding[];
}

/** Summary of a shrunk counterexample. */
export interface CounterexampleReport {
  /** Fault plan entries left after shrinking. */
  faults: number;
  /** User actions left after shrinking. */
  actions: number;
  /** What made it fail: MUST client requirement ids, `guard:<reason>`, `client-error`, `invalid-snapshot`. */
  failed: string[];
  /** sha256 of its trace (what `lockstep replay` checks). */
  hash: string;
  /** Shrink steps fast-check took. */
  shrinks: number;
  /** Index of the property run the failure was first found at. */
  foundAt: number;
}

/** Property runs of one client in a report. */
export interface PropertyReport {
  /** Property runs executed (a check stops at the first failing run and shrinks it). */
  runs: number;
  /** fast-check seed of the property runs. */
  seed: number;
  /** The failure record of the counterexample. */
  failureFile?: string;
  /** `lockstep replay <failureFile>`. */
  replay?: string;
  /** The shrunk first failure, if a run failed. */
  counterexample?: CounterexampleReport;
}

/** Everything the report says about one client of one protocol. */
export interface ClientReport {
  /** The protocol's name. */
  protocol: string;
  /** `reference`, `zoo:<protocol>/<variant>` or the module path. */
  client: string;
  /** The server variant, when not the reference server. */
  server?: string;
  /**
   * 1 when a MUST client requirement failed or a run broke (guard stop, client error,
   * invalid snapshot, counterexample); else 3 when `inconclusive` is not empty; else 0.
   */
  exitCode: 0 | 1 | 3;
  /** MUST client requirements no run exercised and `--allow-not-exercised` did not name. */
  inconclusive: string[];
  /** One verdict per requirement of the protocol, in catalogue order. */
  requirements: RequirementResult[];
  /** The scenarios run, in file order. */
  scenarios: ScenarioReport[];
  /** The property runs, when any ran. */
  property?: PropertyReport;
  /** Every run the verdicts were aggregated from (see {@link RunRecord}). */
  runs: RunRecord[];
  /** The not-exercised evidence texts the runs' `unexercised` indices point to. */
  unexercisedEvidence: string[];
}

/** The machine-readable report of a `lockstep check` or `lockstep merge` (docs/report-format.md). */
export interface JsonReport {
  /** Always `lockstep-report`. */
  format: 'lockstep-report';
  /** The format version (see {@link reportVersion}). */
  version: typeof reportVersion;
  /** The tool that wrote it. */
  tool: {
    /** Always `lockstep`. */
    name: 'lockstep';
    /** lockstep's version. */
    version: string;
  };
  /** The command's options that decide the verdicts. */
  options: ReportOptions;
  /** Set by `lockstep merge`: how many shard reports were combined. */
  merged?: {
    /** The number of shard reports combined. */
    shards: number;
  };
  /** One entry per client checked, in the order they ran. */
  clients: ClientReport[];
}

/** Builds the JSON report (no wall-clock timings in it, so the same run gives the same report). */
export function buildJsonReport(results: readonly ClientCheckResult[], options: ReportOptions, toolVersion: string): JsonReport {
  return {
    format: 'lockstep-report',
    version: reportVersion,
    tool: { name: 'lockstep', version: toolVersion },
    options,
    clients: results.map((r) => ({
      protocol: r.protocol,
      client: r.client,
      server: r.server,
      exitCode: r.exitCode,
      inconclusive: r.inconclusive ?? [],
      requirements: r.requirements,
      scenarios: r.scenarios.map((s) => ({
        index: s.index,
        name: s.name,
        file: s.file,
        hash: s.hash,
        mismatches: s.mismatches,
        stopped: s.stopped,
        error: s.error,
        invalidSnapshot: s.invalidSnapshot,
        clientError: s.clientError,
        clientWarning: s.clientWarning,
        findings: s.findings,
      })),
      property: r.property && {
        runs: r.property.runs,
        seed: r.property.seed,
        failureFile: r.property.failureFile,
        replay: r.property.replay,
        counterexample: r.property.counterexample && {
          faults: r.property.counterexample.scenario.faults.length,
          actions: r.property.counterexample.scenario.actions.length,
          failed: r.property.counterexample.failed,
          hash: r.property.counterexample.hash,
          shrinks: r.property.counterexample.shrinks,
          foundAt: r.property.counterexample.foundAt,
        },
      },
      runs: r.runs,
      unexercisedEvidence: r.unexercisedEvidence ?? [],
    })),
  };
}

/** Serializes a report the way `report.json` holds it: two-space indented JSON and a final newline. */
export function serializeJsonReport(report: JsonReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** The `json` reporter: `report.json`. */
export function jsonReporter(): Reporter {
  return { name: 'json', file: 'report.json', render: ({ report }) => serializeJsonReport(report) };
}

/**
 * Reads a `report.json` and checks its shape; a problem is a {@link ScenarioError} that
 * names the file, the field, what was expected and what was found.
 */
export function readJsonReport(path: string): JsonReport {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScenarioError(path, [
      {
        field: '',
        expected: 'a report.json written by lockstep check',
        found: code ? `an error (${code})` : `unreadable JSON (${(e as Error).message})`,
      },
    ]);
  }
  const problems = reportProblems(v);
  if (problems.length) throw new ScenarioError(path, problems);
  return v as JsonReport;
}

/** One shape problem of a report: the field, what was expected, what was found. */
export interface ReportProblem {
  /** The field, as a path (`clients[0].runs[3]`); `""` for the whole file. */
  field: string;
  /** What it should hold. */
  expected: string;
  /** What it held. */
  found: string;
}

const found = (v: unknown): string => (v === undefined ? 'nothing' : (JSON.stringify(v)?.slice(0, 80) ?? String(v)));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;

/** Every shape problem of a parsed report (empty: it can be read and merged). */
export function reportProblems(v: unknown): ReportProblem[] {
  const problems: ReportProblem[] = [];
  const need = (ok: boolean, field: string, expected: string, value: unknown): boolean => {
    if (!ok) problems.push({ field, expected, found: found(value) });
    return ok;
  };
  if (!need(isObject(v), '', 'a JSON object (a lockstep report)', v)) return problems;
  const r = v as Record<string, unknown>;
  if (!need(r.format === 'lockstep-report', 'format', '"lockstep-report"', r.format)) return problems;
  if (!need(r.version === reportVersion, 'version', `${reportVersion} (re-run lockstep check with this version of lockstep)`, r.version))
    return problems;
  const o = r.options;
  if (need(isObject(o), 'options', 'an object', o)) {
    const opts = o as Record<string, unknown>;
    need(isCount(opts.runs), 'options.runs', 'a whole number ≥ 0', opts.runs);
    need(isCount(opts.seed), 'options.seed', 'a whole number ≥ 0', opts.seed);
    need(typeof opts.globals === 'boolean', 'options.globals', 'true or false', opts.globals);
    need(
      opts.allowNotExercised === undefined || (Array.isArray(opts.allowNotExercised) && opts.allowNotExercised.every((x) => typeof x === 'string')),
      'options.allowNotExercised',
      'a list of requirement ids',
      opts.allowNotExercised,
    );
    need(
      opts.guards === undefined || (isObject(opts.guards) && Object.values(opts.guards).every((n) => Number.isInteger(n) && (n as number) >= 1)),
      'options.guards',
      'a mapping of guard names to whole numbers ≥ 1',
      opts.guards,
    );
    for (const key of ['requirements', 'scenarios'] as const)
      need(
        opts[key] === undefined || (Array.isArray(opts[key]) && (opts[key] as unknown[]).every((x) => typeof x === 'string')),
        `options.${key}`,
        key === 'requirements' ? 'a list of requirement ids' : 'a list of scenario names or files',
        opts[key],
      );
    if (opts.shard !== undefined) {
      const s = opts.shard as Record<string, unknown>;
      need(
        isObject(s) && isCount(s.index) && isCount(s.count) && (s.index as number) < (s.count as number),
        'options.shard',
        '{ index, count } with 0 ≤ index < count',
        opts.shard,
      );
    }
  }
  if (!need(Array.isArray(r.clients), 'clients', 'an array', r.clients)) return problems;
  (r.clients as unknown[]).forEach((c, i) => {
    const at = `clients[${i}]`;
    if (!need(isObject(c), at, 'an object', c)) return;
    const cl = c as Record<string, unknown>;
    need(typeof cl.protocol === 'string', `${at}.protocol`, 'a protocol name', cl.protocol);
    need(typeof cl.client === 'string', `${at}.client`, 'a client name', cl.client);
    need(cl.server === undefined || typeof cl.server === 'string', `${at}.server`, 'a server variant name', cl.server);
    need(
      Array.isArray(cl.requirements) &&
        cl.requirements.every(
          (q) => isObject(q) && typeof q.id === 'string' && (q.level === 'MUST' || q.level === 'SHOULD') && (q.subject === 'client' || q.subject === 'server'),
        ),
      `${at}.requirements`,
      'an array of requirement results (id, level, subject)',
      cl.requirements,
    );
    need(cl.exitCode === 0 || cl.exitCode === 1 || cl.exitCode === 3, `${at}.exitCode`, '0, 1 or 3', cl.exitCode);
    need(Array.isArray(cl.inconclusive) && cl.inconclusive.every((x) => typeof x === 'string'), `${at}.inconclusive`, 'a list of requirement ids', cl.inconclusive);
    const evidence = cl.unexercisedEvidence;
    need(Array.isArray(evidence) && evidence.every((x) => typeof x === 'string'), `${at}.unexercisedEvidence`, 'a list of strings', evidence);
    const nEvidence = Array.isArray(evidence) ? evidence.length : 0;
    need(
      Array.isArray(cl.scenarios) && cl.scenarios.every((s) => isObject(s) && isCount(s.index) && typeof s.name === 'string'),
      `${at}.scenarios`,
      'an array of scenario results with an index',
      cl.scenarios,
    );
    const n = Array.isArray(cl.requirements) ? cl.requirements.length : 0;
    if (need(Array.isArray(cl.runs), `${at}.runs`, 'an array of run records', cl.runs)) {
      (cl.runs as unknown[]).forEach((run, j) => {
        const ok =
          isObject(run) &&
          ['scenario', 'property', 'counterexample'].includes(run.kind as string) &&
          isCount(run.index) &&
          typeof run.name === 'string' &&
          typeof run.verdicts === 'string' &&
          run.verdicts.length === n &&
          /^[PFN-]*$/.test(run.verdicts) &&
          (run.unexercised === undefined ||
            (typeof run.unexercised === 'string' &&
              /^\d+( \d+)*$/.test(run.unexercised) &&
              run.unexercised.split(' ').length === [...run.verdicts].filter((v) => v === 'N').length &&
              run.unexercised.split(' ').every((k) => Number(k) < nEvidence)));
        need(
          ok,
          `${at}.runs[${j}]`,
          `a run record (kind, index, name, verdicts: ${n} letters of P F N -, unexercised: an index into unexercisedEvidence per N)`,
          run,
        );
      });
    }
    if (cl.property !== undefined) {
      const p = cl.property as Record<string, unknown>;
      if (need(isObject(p) && isCount(p.runs), `${at}.property`, 'an object with runs', cl.property)) {
        if (p.counterexample !== undefined)
          need(
            isObject(p.counterexample) && isCount((p.counterexample as Record<string, unknown>).foundAt),
            `${at}.property.counterexample`,
            'an object with foundAt',
            p.counterexample,
          );
      }
    }
  });
  return problems;
}
