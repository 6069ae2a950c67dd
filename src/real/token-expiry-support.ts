import type { ProtocolDefinition } from '../conformance/protocol.js';
import { serverName, type ResolvedScenario } from '../conformance/scenario.js';
import { FaultPlanError } from '../sim/faults/validate.js';
import { Simulation } from '../sim/simulation.js';

/**
 * A `token-expiry` entry needs a server application with the `expireCredentials` hook (the
 * kernel's rule, docs/fault-plan.md); a plan given with `--fault-plan` has not been checked
 * against the scenario's server yet. Builds that server once, in a simulation that never
 * runs, only when the plan has such an entry. One line per problem.
 */
export function tokenExpiryProblems(protocol: ProtocolDefinition, sc: ResolvedScenario, source: string): string[] {
  if (!sc.faults.some((e) => e.kind === 'token-expiry')) return [];
  try {
    new Simulation({
      seed: 0,
      server: protocol.server(sc.server.variant, sc.server.options),
      faults: sc.faults,
      faultsSource: `${source}: faults`,
      serverName: serverName(protocol.name, sc.server.variant),
    });
  } catch (e) {
    if (!(e instanceof FaultPlanError)) throw e;
    return e.problems.map((p) => `${e.source}: entry ${p.entry} (token-expiry): expected ${p.expected}`);
  }
  return [];
}
