import { readFileSync } from 'node:fs';
import type { Finding } from './requirement.js';
import { resolveScenario, ScenarioError, type ResolvedScenario } from './scenario.js';
import type { ProtocolDefinition } from './protocol.js';

/** A recorded counterexample: enough to re-run it and get the same trace hash. */
export interface FailureRecord {
  /** Always `lockstep-failure`. */
  format: 'lockstep-failure';
  /** Version of this format. */
  version: 1;
  /** The protocol's name. */
  protocol: string;
  /** `reference`, `zoo:chat/no-dedupe` or a module path. */
  client: string;
  /** Whether the run installed the simulated world as globals. */
  globals: boolean;
  /** The complete scenario, including seed, actions and the shrunk fault plan. */
  scenario: ResolvedScenario;
  /** sha256 of the failing run's trace. */
  hash: string;
  /** What made it fail: MUST requirement ids, `guard:<reason>`, `client-error`. */
  failed: string[];
  /** Every requirement's finding on the failing run. */
  findings: Finding[];
  /** fast-check's replay key for the property run that found it, when it came from one. */
  fastCheck?: {
    /** The seed of the property runs. */
    seed: number;
    /** The run index and shrink steps, as fast-check prints them. */
    path: string;
  };
}

/** Reads and validates a failure record; errors name the file and the field. */
export function readFailureRecord(path: string, protocols: ReadonlyMap<string, ProtocolDefinition>): FailureRecord {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ScenarioError(path, [{ field: '', expected: 'a failure record (JSON) written by lockstep check', found: `unreadable JSON (${(e as Error).message})` }]);
  }
  const problems: { field: string; expected: string; found: string }[] = [];
  if (v?.format !== 'lockstep-failure') problems.push({ field: 'format', expected: '"lockstep-failure"', found: JSON.stringify(v?.format) });
  if (v?.version !== 1) problems.push({ field: 'version', expected: '1', found: JSON.stringify(v?.version) });
  if (typeof v?.client !== 'string') problems.push({ field: 'client', expected: 'a client name', found: JSON.stringify(v?.client) });
  if (typeof v?.hash !== 'string') problems.push({ field: 'hash', expected: 'a sha256 hex string', found: JSON.stringify(v?.hash) });
  if (problems.length) throw new ScenarioError(path, problems);
  const scenario = resolveScenario(v.scenario, `${path}: scenario`, protocols);
  return { ...(v as unknown as FailureRecord), scenario: { ...scenario, name: (v.scenario as { name?: string }).name ?? scenario.name } };
}

/** A file-name-safe slug of a client name. */
export function clientSlug(client: string): string {
  return client.replace(/^zoo:/, 'zoo-').replace(/[^a-zA-Z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
}
