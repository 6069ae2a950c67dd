import { describeFound, suggest } from '../../sim/describe.js';
import type { LatencySpec } from '../../sim/latency.js';

/**
 * How long the AI processor takes for one meal, in virtual ms: a number (fixed), or a
 * distribution `{kind: fixed, ms}`, `{kind: uniform, min, max}` or
 * `{kind: lognormal, median, sigma, max?}` (the same shapes as link latencies).
 */
export type ProcessingTime = LatencySpec;

/** Options of the meal-log servers (`server.options` in a scenario). */
export interface MealLogServerOptions {
  /** AI processing time (default: log-normal, median 26 s — the document's "~26 seconds" — sigma 0.1, at most 40 s). */
  processing?: ProcessingTime;
  /** Probability that processing ends in `failed` rather than `completed` (default 0.1). */
  failureRate?: number;
  /** late-registration only: how long after acknowledging a connection the server registers it (default 30 000 ms). */
  registrationDelay?: number;
}

/** Defaults of {@link MealLogServerOptions}. */
export const mealLogServerDefaults = {
  processing: { kind: 'lognormal', median: 26_000, sigma: 0.1, max: 40_000 } as ProcessingTime,
  failureRate: 0.1,
  registrationDelay: 30_000,
  tokenPrefix: 'token-',
} as const;

/** One problem with the options: which field, what was expected, what was found. */
export interface MealLogServerOptionProblem {
  field: string;
  expected: string;
  found: string;
}

/** Server options that are not valid; `problems` has the shape a scenario loader re-roots (`server.options.<field>`). */
export class MealLogServerOptionsError extends Error {
  override readonly name = 'MealLogServerOptionsError';
  constructor(
    readonly source: string,
    readonly problems: MealLogServerOptionProblem[],
  ) {
    super(problems.map((p) => `${source}: field "${p.field}": expected ${p.expected}, found ${p.found}`).join('\n'));
  }
}

const optionFields = ['processing', 'failureRate', 'registrationDelay'] as const;
const isWholeMs = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Validates meal-log server options as a scenario wrote them; reports every problem at once. */
export function parseMealLogServerOptions(options: Record<string, unknown>, source: string): MealLogServerOptions {
  const problems: MealLogServerOptionProblem[] = [];
  const bad = (field: string, expected: string, found: unknown): void => {
    problems.push({ field, expected, found: describeFound(found) });
  };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new MealLogServerOptionsError(source, [
      { field: '', expected: `a mapping with ${optionFields.join(', ')}`, found: describeFound(options) },
    ]);
  }
  const out: MealLogServerOptions = {};
  for (const k of Object.keys(options)) {
    if ((optionFields as readonly string[]).includes(k)) continue;
    const hint = suggest(k, optionFields);
    bad(k, `one of the meal-log server options ${optionFields.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`, options[k]);
  }

  const p = options.processing;
  if (p !== undefined) {
    const parsed = parseProcessing(p, bad);
    if (parsed !== undefined) out.processing = parsed;
  }

  const rate = options.failureRate;
  if (rate !== undefined) {
    if (typeof rate === 'number' && rate >= 0 && rate <= 1) out.failureRate = rate;
    else bad('failureRate', 'a probability from 0 to 1', rate);
  }

  const delay = options.registrationDelay;
  if (delay !== undefined) {
    if (isWholeMs(delay)) out.registrationDelay = delay;
    else bad('registrationDelay', 'a whole number of virtual ms ≥ 0', delay);
  }

  if (problems.length > 0) throw new MealLogServerOptionsError(source, problems);
  return out;
}

function parseProcessing(p: unknown, bad: (field: string, expected: string, found: unknown) => void): ProcessingTime | undefined {
  const shapes = 'a number of ms ≥ 0, or {kind: fixed, ms}, {kind: uniform, min, max} or {kind: lognormal, median, sigma, max?}';
  if (isMs(p)) return p;
  if (p === null || typeof p !== 'object' || Array.isArray(p)) {
    bad('processing', shapes, p);
    return undefined;
  }
  const r = p as Record<string, unknown>;
  const fields: Record<string, string[]> = { fixed: ['ms'], uniform: ['min', 'max'], lognormal: ['median', 'sigma', 'max'] };
  const kind = r.kind;
  if (typeof kind !== 'string' || !(kind in fields)) {
    bad('processing.kind', 'one of fixed, uniform, lognormal', kind);
    return undefined;
  }
  let ok = true;
  for (const k of Object.keys(r)) {
    if (k !== 'kind' && !fields[kind]!.includes(k)) {
      bad(`processing.${k}`, `no such field for kind ${kind} (allowed: ${fields[kind]!.join(', ')})`, r[k]);
      ok = false;
    }
  }
  const need = (k: string, optional = false): void => {
    if (optional && r[k] === undefined) return;
    if (!isMs(r[k])) {
      bad(`processing.${k}`, 'a number ≥ 0', r[k]);
      ok = false;
    }
  };
  if (kind === 'fixed') need('ms');
  if (kind === 'uniform') {
    need('min');
    need('max');
    if (ok && (r.min as number) > (r.max as number)) {
      bad('processing.max', `a number ≥ processing.min (${r.min as number})`, r.max);
      ok = false;
    }
  }
  if (kind === 'lognormal') {
    need('median');
    need('sigma');
    need('max', true);
  }
  if (!ok) return undefined;
  if (kind === 'fixed') return { kind: 'fixed', ms: r.ms as number };
  if (kind === 'uniform') return { kind: 'uniform', min: r.min as number, max: r.max as number };
  return { kind: 'lognormal', median: r.median as number, sigma: r.sigma as number, max: r.max as number | undefined };
}
