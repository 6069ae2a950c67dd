import * as fc from 'fast-check';
import type { GuardLimits } from '../sim/guard-limits.js';
import type { ClientFactory } from './driver.js';
import type { ProtocolDefinition } from './protocol.js';
import type { Finding } from './requirement.js';
import { runScenario, type RunResult } from './runner.js';
import type { ResolvedScenario } from './scenario.js';

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
  /** Called after each generated (not shrinking) run. */
  onRun?: (result: RunResult, index: number) => void;
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
  /** fast-check's replay key. */
  fastCheck: {
    /** The seed of the property runs. */
    seed: number;
    /** The run index and shrink steps, as fast-check prints them. */
    path: string;
  };
  /** Shrink steps fast-check took. */
  shrinks: number;
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

/**
 * What makes a run a counterexample against the client: a MUST client requirement failed
 * (a server requirement is the server's, never the client's), a guard stopped the client,
 * the client could not run, or a snapshot broke the protocol's snapshot schema.
 */
export function runFailed(protocol: ProtocolDefinition, r: RunResult): string[] {
  const failedMust = r.findings
    .filter((f) => {
      const q = protocol.requirements.find((x) => x.id === f.requirement);
      return f.verdict === 'fail' && q?.level === 'MUST' && q.subject !== 'server';
    })
    .map((f) => f.requirement);
  if (r.stopped) failedMust.push(`guard:${r.stopped.reason}`);
  if (r.error) failedMust.push('client-error');
  if (r.invalidSnapshot !== undefined) failedMust.push('invalid-snapshot');
  return failedMust;
}

/**
 * Draws scenarios (user actions, fault plan, seed) with fast-check from the protocol's
 * model, runs each against the client, and on the first failure shrinks the scenario to
 * a minimal one (fewer faults, fewer actions) that still fails.
 */
export async function checkProperty(o: PropertyOptions): Promise<PropertyOutcome> {
  const { protocol } = o;
  const model = protocol.property;
  const scenarioArb = fc.limitShrink(
    fc.record({
      seed: fc.integer({ min: 0, max: 0x7fffffff }),
      actions: model.actions(fc),
      faults: model.faults(fc),
    }),
    maxShrinks,
  );
  const all: Finding[][] = [];
  let generated = 0;
  let shrinking = false;
  let firstFailureAt = -1;
  let last: RunResult | undefined;
  const shard = o.shard ?? { index: 0, count: 1 };
  let index = -1;

  const property = fc.asyncProperty(scenarioArb, async (drawn) => {
    if (!shrinking) {
      index++;
      if (index % shard.count !== shard.index) return true;
    }
    const scenario: ResolvedScenario = {
      protocol: protocol.name,
      name: shrinking ? `shrinking property run ${firstFailureAt}` : `property run ${index}`,
      description: 'drawn by fast-check',
      seed: drawn.seed,
      duration: model.duration,
      heal: model.heal,
      clients: model.clients,
      network: model.network ?? {},
      server: { variant: o.server ?? 'reference', options: {} },
      faults: drawn.faults,
      actions: drawn.actions,
      requirements: protocol.requirements.map((r) => r.id),
      expect: {},
      ...(o.guards && Object.keys(o.guards).length ? { guards: o.guards } : {}),
    };
    const r = await runScenario({ protocol, scenario, client: o.client, clientName: o.clientName, globals: o.globals });
    const failed = runFailed(protocol, r);
    if (!shrinking) {
      generated++;
      all.push(r.findings);
      o.onRun?.(r, index);
    }
    if (failed.length > 0) {
      if (!shrinking) firstFailureAt = index;
      shrinking = true;
      last = r;
      return false;
    }
    return true;
  });

  const details = await fc.check(property, { seed: o.seed, numRuns: o.runs, endOnFailure: false, verbose: 0 });
  if (!details.failed || !details.counterexample) return { runs: generated, findings: all };
  // Re-run the shrunk case to hold its exact result (the last failing evaluation may not be the final counterexample).
  const drawn = details.counterexample[0];
  const scenario: ResolvedScenario = {
    protocol: protocol.name,
    name: `counterexample (property run ${firstFailureAt}, seed ${o.seed})`,
    description: 'shrunk by fast-check',
    seed: drawn.seed,
    duration: model.duration,
    heal: model.heal,
    clients: model.clients,
    network: model.network ?? {},
    server: { variant: o.server ?? 'reference', options: {} },
    faults: drawn.faults,
    actions: drawn.actions,
    requirements: protocol.requirements.map((r) => r.id),
    expect: {},
    ...(o.guards && Object.keys(o.guards).length ? { guards: o.guards } : {}),
  };
  const r = await runScenario({ protocol, scenario, client: o.client, clientName: o.clientName, globals: o.globals });
  last = r;
  return {
    runs: generated,
    findings: all,
    counterexample: {
      scenario,
      findings: r.findings,
      failed: runFailed(protocol, r),
      hash: r.hash,
      stopped: r.stopped?.message,
      error: r.error,
      ...(r.invalidSnapshot !== undefined ? { invalidSnapshot: r.invalidSnapshot } : {}),
      fastCheck: { seed: details.seed, path: details.counterexamplePath ?? '' },
      shrinks: details.numShrinks,
      foundAt: firstFailureAt,
    },
  };
}
