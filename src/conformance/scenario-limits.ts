import { statSync } from 'node:fs';

/**
 * How large a scenario may be. A scenario is data a user wrote (or generated): without
 * bounds a 150,000-action file runs out of memory after minutes and 5,000 client nodes
 * never finish, so every size is checked when the file is read, before any run starts.
 * A scenario that knowingly needs more raises its own limits with a `limits:` field.
 */
export interface ScenarioLimits {
  /** User actions in the file. */
  actions: number;
  /** Client nodes. */
  clients: number;
  /** Fault plan entries. */
  faults: number;
  /** duration + heal, virtual ms (Node's timers and the trace's times stay exact below 2³¹). */
  'virtual-ms': number;
}

/** The limits every scenario gets unless it raises them (docs/scenario-format.md). */
export const defaultScenarioLimits: Readonly<ScenarioLimits> = { actions: 20_000, clients: 64, faults: 10_000, 'virtual-ms': 2 ** 31 - 1 };

/** The hard ceiling of each limit: what the kernel can represent at all. */
export const scenarioLimitCeilings: Readonly<ScenarioLimits> = { actions: 1_000_000, clients: 1_000, faults: 1_000_000, 'virtual-ms': 2 ** 31 - 1 };

/** Bytes a scenario file may have; raise it with the environment variable LOCKSTEP_MAX_SCENARIO_BYTES. */
export function maxScenarioBytes(): number {
  const v = Number(process.env.LOCKSTEP_MAX_SCENARIO_BYTES);
  return Number.isSafeInteger(v) && v > 0 ? v : 5_000_000;
}

/** A file's size when it exceeds {@link maxScenarioBytes}, else undefined (checked before reading it). */
export function oversize(path: string): number | undefined {
  try {
    const size = statSync(path).size;
    return size > maxScenarioBytes() ? size : undefined;
  } catch {
    return undefined; // reading it reports the real problem
  }
}
