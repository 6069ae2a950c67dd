import { describeFound, suggest } from './describe.js';

/**
 * The guards' limits by the names scenario files (`guards:`) and the command line
 * (`--guard NAME=N`) use: each name is also the `guard.stop` reason it raises.
 */
export type GuardName = 'timer-storm' | 'zero-delay-loop' | 'event-budget' | 'connect-storm' | 'request-storm';

/** Guard limits by name, as a scenario or the command line sets them (a name left out keeps its default). */
export type GuardLimits = Partial<Record<GuardName, number>>;

/** What one named limit sets in the kernel, and what it counts. */
export interface GuardLimitInfo {
  /** The kernel's option (`SimulationOptions.guards`) it sets. */
  option: 'timerStormPerSecond' | 'sameInstantLimit' | 'maxEvents' | 'connectStormPerSecond' | 'requestStormPerSecond';
  /** What the limit counts, in words for messages and help. */
  counts: string;
}

/** What each named limit sets in the kernel, and what it counts (for messages and help). */
export const guardLimitInfo: Readonly<Record<GuardName, GuardLimitInfo>> = {
  'timer-storm': { option: 'timerStormPerSecond', counts: 'timer callbacks of one node per virtual second' },
  'zero-delay-loop': { option: 'sameInstantLimit', counts: 'events at one virtual instant' },
  'event-budget': { option: 'maxEvents', counts: 'events in one run' },
  'connect-storm': { option: 'connectStormPerSecond', counts: 'WebSocket connection attempts of one node per virtual second' },
  'request-storm': { option: 'requestStormPerSecond', counts: 'HTTP requests of one node per virtual second' },
};

/** Every guard name, in the order help texts list them. */
export const guardNames = Object.keys(guardLimitInfo) as GuardName[];

/** The end of a guard-stop message: the limit that was hit and the two ways to raise it. */
export function raiseHint(name: GuardName, limit: number): string {
  return `Limit: ${name}=${limit} (${guardLimitInfo[name].counts}); raise it with --guard ${name}=N or "guards: { ${name}: N }" in the scenario file.`;
}

/** One problem with a guard setting: the field, what was expected, what was found. */
export interface GuardProblem {
  /** `guards.timer-storm`, or `--guard` for the command line. */
  field: string;
  /** What it should hold. */
  expected: string;
  /** What it held. */
  found: string;
}

/** Guard limits as read from a mapping, and what was wrong with it. */
export interface ParsedGuardLimits {
  /** The valid limits. */
  limits: GuardLimits;
  /** Every problem found (empty: all valid). */
  problems: GuardProblem[];
}

const limitShape = 'a whole number ≥ 1';

/**
 * Validates guard limits written as a mapping (a scenario's `guards:`); `field` prefixes
 * the problems' field names. Returns the limits and every problem found.
 */
export function parseGuardLimits(v: unknown, field = 'guards'): ParsedGuardLimits {
  const problems: GuardProblem[] = [];
  const limits: GuardLimits = {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    problems.push({ field, expected: `a mapping of guard names (${guardNames.join(', ')}) to limits`, found: describeFound(v) });
    return { limits, problems };
  }
  for (const [k, n] of Object.entries(v as Record<string, unknown>)) {
    if (!(guardNames as string[]).includes(k)) {
      const hint = suggest(k, guardNames);
      problems.push({
        field: `${field}.${k}`,
        expected: `one of the guards ${guardNames.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`,
        found: describeFound(n),
      });
    } else if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      problems.push({ field: `${field}.${k}`, expected: limitShape, found: describeFound(n) });
    } else limits[k as GuardName] = n;
  }
  return { limits, problems };
}

/**
 * Parses command-line settings `NAME=N` (each value may hold several, comma-separated).
 * Throws an `Error` whose message says what was expected and what was found.
 */
export function parseGuardFlags(values: readonly string[], flag = '--guard'): GuardLimits {
  const limits: GuardLimits = {};
  for (const value of values) {
    for (const item of value.split(',').map((s) => s.trim())) {
      const m = /^([a-z-]+)=(.*)$/.exec(item);
      if (!m)
        throw new Error(
          `${flag} expects NAME=N with NAME one of ${guardNames.join(', ')} (e.g. ${flag} timer-storm=2000), found "${item}"`,
        );
      const { limits: one, problems } = parseGuardLimits({ [m[1]!]: /^\d+$/.test(m[2]!) ? Number(m[2]) : m[2] }, flag);
      if (problems.length) throw new Error(`${flag} ${m[1]}: expected ${problems[0]!.expected}, found ${problems[0]!.found}`);
      Object.assign(limits, one);
    }
  }
  return limits;
}

/** Named limits as the kernel's guard options (for `SimulationOptions.guards`). */
export function guardOptionsOf(limits: GuardLimits | undefined): Partial<Record<GuardLimitInfo['option'], number>> {
  const out: Partial<Record<GuardLimitInfo['option'], number>> = {};
  for (const [k, n] of Object.entries(limits ?? {})) if (n !== undefined) out[guardLimitInfo[k as GuardName].option] = n;
  return out;
}
