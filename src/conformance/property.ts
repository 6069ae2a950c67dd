import * as fc from 'fast-check';
import type { GuardLimits } from '../sim/guard-limits.js';
import type { ClientFactory } from './driver.js';
import type { ProtocolDefinition } from './protocol.js';
import type { Finding } from './requirement.js';
import type { FaultEntry } from '../sim/faults/plan.js';
import { inProcessExecutor, type RunExecutor } from './isolation/executor.js';
import type { RunSummary } from './isolation/messages.js';
import type { ResolvedScenario, ScenarioAction } from './scenario.js';
import type { WorldConditions } from './world-arbitraries.js';

/** How to run property-based checks of one client. */
export interface PropertyOptions {
  /** The protocol. */
  protocol: ProtocolDefinition;
  /** Creates the client under test. */
  client: ClientFactory;
  /** How the client is named in reports. */
  clientName: string;
  /** Number of generated scenarios (not counting shrinking). */
  runs: number;
  /** fast-check seed: the same seed draws the same scenarios. */
  seed: number;
  /**
   * Only the runs whose index `i` satisfies `i % count === index` (0-based). fast-check
   * draws run `i` from the seed and `i` alone, so a shard draws the same scenarios as an
   * unsharded check at its indices. Like an unsharded check, a shard stops at its own
   * first failure; `lockstep merge` cuts the other shards at the lowest one.
   */
  shard?: {
    /** This shard, 0-based. */
    index: number;
    /** How many shards. */
    count: number;
  };
  /** Install the simulated world as globals. */
  globals?: boolean;
  /** A server variant of the protocol to run against (default: the reference server). */
  server?: string;
  /** Guard limits of every run (`--guard`); recorded in the counterexample's scenario so that it replays the same. */
  guards?: GuardLimits;
  /** Called after each generated (not shrinking) run, in run order. */
  onRun?: (result: RunSummary, index: number) => void;
  /** Where runs execute (default: in this thread, with `client`). */
  executor?: RunExecutor;
  /** Whether exceptions of client code fail a run (default) or are only reported. */
  clientErrors?: 'fail' | 'warn';
}

/** The smallest failing scenario found, with everything needed to replay it. */
export interface Counterexample {
  /** The complete scenario: seed, actions and the shrunk fault plan. */
  scenario: ResolvedScenario;
  /** Every requirement's finding on it. */
  findings: Finding[];
  /** What made it fail: MUST client requirement ids, `guard:<reason>`, `client-error`, `invalid-snapshot`. */
  failed: string[];
  /** sha256 of its trace. */
  hash: string;
  /** Why a guard stopped it. */
  stopped?: string;
  /** Why the client could not run. */
  error?: string;
  /** The first snapshot that broke the protocol's snapshot schema. */
  invalidSnapshot?: string;
  /** The first exception client code threw, with where and when. */
  clientError?: string;
  /** fast-check's replay key. */
  fastCheck: {
    /** The seed of the property runs. */
    seed: number;
    /** The run index and shrink steps, as fast-check prints them. */
    path: string;
  };
  /** Shrink steps fast-check took. */
  shrinks: number;
  /** false when the failing run was kept as drawn (the client took it down: every shrink step would cost a watchdog timeout). */
  shrunk: boolean;
  /** The run index at which the first failure was found. */
  foundAt: number;
}

/** Outcome of a property check: every generated run's findings, and a shrunk counterexample if one failed. */
export interface PropertyOutcome {
  /** Generated runs executed (this shard's; the runs stop at the first failure). */
  runs: number;
  /** Every executed run's findings, in run order. */
  findings: Finding[][];
  /** The shrunk first failure, if a run failed. */
  counterexample?: Counterexample;
}

/** Most shrink steps spent on one counterexample: shrinking is bounded, never endless. */
const maxShrinks = 400;

/** How a check treats exceptions thrown by client code: failures (default) or warnings. */
export interface FailurePolicy {
  /** `warn`: client errors are reported but do not fail a run. */
  clientErrors?: 'fail' | 'warn';
}

/** What {@link runFailed} reads of a run. */
export type RunVerdictInput = Pick<RunSummary, 'findings' | 'error' | 'invalidSnapshot' | 'clientError'> & {
  /** Set when a guard stopped the run. */
  stopped?: {
    /** The guard's name. */
    reason: string;
  };
};

/**
 * What makes a run a counterexample against the client: a MUST client requirement failed
 * (a server requirement is the server's, never the client's), a guard stopped the client,
 * the client could not run or took its run down, a snapshot broke the protocol's snapshot
 * schema, or client code threw (unless client errors are only warned about).
 */
export function runFailed(protocol: ProtocolDefinition, r: RunVerdictInput, policy: FailurePolicy = {}): string[] {
  const failedMust = r.findings
    .filter((f) => {
      const q = protocol.requirements.find((x) => x.id === f.requirement);
      return f.verdict === 'fail' && q?.level === 'MUST' && q.subject !== 'server';
    })
    .map((f) => f.requirement);
  if (r.stopped) failedMust.push(`guard:${r.stopped.reason}`);
  if (r.error || (r.clientError !== undefined && policy.clientErrors !== 'warn')) failedMust.push('client-error');
  if (r.invalidSnapshot !== undefined) failedMust.push('invalid-snapshot');
  return failedMust;
}

/** How many drawn scenarios are generated at once (fast-check draws run i from the seed and i alone). */
const drawChunk = 256;

/**
 * Draws scenarios (user actions, fault plan, seed) with fast-check from the protocol's
 * model, runs them against the client — several at once when the executor runs workers —
 * and on the first failure (the lowest failing run index, as a run-by-run check finds it)
 * shrinks the scenario to a minimal one (fewer faults, fewer actions) that still fails.
 *
 * The outcome does not depend on how many runs execute at once: run i is drawn from the
 * seed and i alone (`fc.sample` with a path gives exactly the values `fc.check` draws),
 * results are handed to `onRun` in index order up to the first failure, and shrinking
 * replays fast-check from that index (`path`), one candidate at a time.
 */
export async function checkProperty(o: PropertyOptions): Promise<PropertyOutcome> {
  const { protocol } = o;
  const model = protocol.property;
  const exec = o.executor ?? inProcessExecutor(protocol, o.client, o.clientName, !!o.globals);
  const policy: FailurePolicy = { clientErrors: o.clientErrors };
  // The optional draws are only part of the record when the model has them, so that the
  // draws of a model without them stay what they were.
  const scenarioArb = fc.limitShrink(
    fc.record({
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
      actions: model.actions(fc),
      faults: model.faults(fc),
      ...(model.world ? { world: model.world(fc) } : {}),
      ...(model.serverOptions ? { serverOptions: model.serverOptions(fc) } : {}),
    }) as fc.Arbitrary<Drawn>,
    maxShrinks,
  );
  type Drawn = {
    seed: number;
    actions: ScenarioAction[];
    faults: FaultEntry[];
    world?: WorldConditions;
    serverOptions?: Record<string, unknown>;
  };
  const scenarioOf = (drawn: Drawn, name: string, description: string): ResolvedScenario => ({
    protocol: protocol.name,
    name,
    description,
    seed: drawn.seed,
    duration: model.duration,
    heal: model.heal,
    clients: model.clients,
    network: model.network ?? {},
    server: { variant: o.server ?? 'reference', options: drawn.serverOptions ?? {} },
    ...(drawn.world?.start !== undefined ? { start: drawn.world.start } : {}),
    ...(drawn.world?.clock !== undefined ? { clock: drawn.world.clock } : {}),
    faults: drawn.faults,
    actions: drawn.actions,
    requirements: protocol.requirements.map((r) => r.id),
    expect: {},
    ...(o.guards && Object.keys(o.guards).length ? { guards: o.guards } : {}),
  });
  const shard = o.shard ?? { index: 0, count: 1 };
  const indices: number[] = [];
  for (let i = shard.index; i < o.runs; i += shard.count) indices.push(i);

  // Draws come in chunks, so that a large --runs never holds every scenario at once.
  const drawnChunks = new Map<number, Drawn[]>();
  const drawnAt = (i: number): Drawn => {
    const base = i - (i % drawChunk);
    let chunk = drawnChunks.get(base);
    if (!chunk) {
      chunk = fc.sample(scenarioArb, { seed: o.seed, numRuns: Math.min(drawChunk, o.runs - base), path: String(base) }) as Drawn[];
      drawnChunks.clear();
      drawnChunks.set(base, chunk);
    }
    return chunk[i - base]!;
  };

  const all: Finding[][] = [];
  let generated = 0;
  let firstFailure = Number.POSITIVE_INFINITY;
  let failing: RunSummary | undefined;
  await new Promise<void>((resolve, reject) => {
    const results = new Map<number, RunSummary>();
    let next = 0;
    let emitted = 0;
    let inFlight = 0;
    const pump = (): void => {
      // Hand results on in index order, up to and including the first failure.
      while (emitted < indices.length && indices[emitted]! <= firstFailure && results.has(indices[emitted]!)) {
        const i = indices[emitted++]!;
        const r = results.get(i)!;
        results.delete(i);
        generated++;
        all.push(r.findings);
        o.onRun?.(r, i);
      }
      while (inFlight < exec.parallelism && next < indices.length && indices[next]! < firstFailure) {
        const i = indices[next++]!;
        inFlight++;
        exec.run(scenarioOf(drawnAt(i), `property run ${i}`, 'drawn by fast-check')).then((r) => {
          inFlight--;
          if (runFailed(protocol, r, policy).length && i < firstFailure) {
            firstFailure = i;
            failing = r;
          }
          results.set(i, r);
          pump();
        }, reject);
      }
      if (inFlight === 0 && !(next < indices.length && indices[next]! < firstFailure)) resolve();
    };
    pump();
  });
  if (!failing) return { runs: generated, findings: all };

  const k = firstFailure;
  const name = `counterexample (property run ${k}, seed ${o.seed})`;
  // A client that took its run down (a hang, out of memory) is not shrunk: every shrink
  // step would cost a watchdog timeout. The drawn scenario is the counterexample.
  if (failing.fatal) {
    const scenario = scenarioOf(drawnAt(k), name, 'drawn by fast-check (not shrunk: the client took the run down)');
    return { runs: generated, findings: all, counterexample: counterexampleOf(scenario, failing, { seed: o.seed, path: String(k) }, 0, k, false) };
  }
  let first = true;
  const property = fc.asyncProperty(scenarioArb, async (drawn) => {
    // fast-check replays from run k: its first draw is the failing run itself.
    if (first) {
      first = false;
      return false;
    }
    const r = await exec.run(scenarioOf(drawn as Drawn, `shrinking property run ${k}`, 'drawn by fast-check'));
    return runFailed(protocol, r, policy).length === 0;
  });
  const details = await fc.check(property, { seed: o.seed, numRuns: o.runs, path: String(k), endOnFailure: false, verbose: 0 });
  // Re-run the shrunk case to hold its exact result (the last failing evaluation may not be the final counterexample).
  const scenario = scenarioOf((details.counterexample?.[0] ?? drawnAt(k)) as Drawn, name, 'shrunk by fast-check');
  const r = await exec.run(scenario);
  return { runs: generated, findings: all, counterexample: counterexampleOf(scenario, r, { seed: details.seed, path: details.counterexamplePath ?? String(k) }, details.numShrinks, k, true) };

  function counterexampleOf(sc: ResolvedScenario, r: RunSummary, fastCheck: Counterexample['fastCheck'], shrinks: number, foundAt: number, shrunk: boolean): Counterexample {
    return {
      scenario: sc,
      findings: r.findings,
      failed: runFailed(protocol, r, policy),
      hash: r.hash,
      stopped: r.stopped?.message,
      error: r.error,
      ...(r.invalidSnapshot !== undefined ? { invalidSnapshot: r.invalidSnapshot } : {}),
      ...(r.clientError !== undefined ? { clientError: r.clientError } : {}),
      fastCheck,
      shrinks,
      shrunk,
      foundAt,
    };
  }
}
