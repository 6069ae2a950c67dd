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
  /**
   * The `--server-module` the run put in front of its server (msw handlers), as a path
   * relative to the folder the check ran in; absent when the run used the scenario's server alone.
   */
  serverModule?: string;
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
  if (v?.serverModule !== undefined && typeof v.serverModule !== 'string') problems.push({ field: 'serverModule', expected: 'a module path', found: JSON.stringify(v.serverModule) });
  if (typeof v?.hash !== 'string') problems.push({ field: 'hash', expected: 'a sha256 hex string', found: JSON.stringify(v?.hash) });
  if (problems.length) throw new ScenarioError(path, problems);
  const scenario = resolveScenario(v.scenario, `${path}: scenario`, protocols);
  return { ...(v as unknown as FailureRecord), scenario: { ...scenario, name: (v.scenario as { name?: string }).name ?? scenario.name } };
}

/** A file-name-safe slug of a client name. */
export function clientSlug(client: string): string {
  return client.replace(/^zoo:/, 'zoo-').replace(/[^a-zA-Z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
}

/** What names a failure record: everything that tells two records apart. */
export interface FailureRecordKey {
  /** The protocol's name. */
  protocol: string;
  /** The client's name (`reference`, `zoo:chat/no-dedupe`, a module path). */
  client: string;
  /** The server variant, when not the reference server. */
  server?: string;
  /** The seed of the property runs. */
  seed: number;
  /** The index of the property run it comes from. */
  run: number;
  /** Whether it is the shrunk counterexample (else the run as drawn). */
  shrunk: boolean;
}

/**
 * The file name of a failure record: `chat--zoo-chat-no-dedupe--seed-1--run-17--shrunk.json`.
 * Protocol, client, server, seed and run all take part, so a second check with another seed
 * (or of another client) never overwrites the first; the same check writes the same name.
 */
export function failureRecordName(k: FailureRecordKey): string {
  const server = k.server ? `--server-${clientSlug(k.server)}` : '';
  return `${k.protocol}--${clientSlug(k.client)}${server}--seed-${k.seed}--run-${k.run}${k.shrunk ? '--shrunk' : ''}.json`;
}
