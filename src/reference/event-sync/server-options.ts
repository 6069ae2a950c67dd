import { describeFound, suggest } from '../../sim/describe.js';

/** A failure the server injects into a stream: at batch `batch` (0-based) of the first `times` streams that reach it (default: every stream). */
export interface StreamInjection {
  batch: number;
  times?: number;
}

/** Events appended to the log while the run goes on: every `every` ms (from `from` until `until`), or at listed times. */
export type AppendPlan = { every: number; count?: number; from?: number; until?: number } | { at: number; count: number }[];

/** Options of the event-sync reference server (`server.options` in a scenario). */
export interface EventSyncServerOptions {
  /** Events in the log at the start (default 1000). */
  events?: number;
  /** At most this many consecutive events share one timestamp in the initial log (default 4; 1: all distinct). */
  ties?: number;
  /** Fraction of events (0–1) that are invalid: positioned, but of an unknown type or without a payload object (default 0). */
  invalid?: number;
  /** Events per `sync.stream.batch` (default 1000). */
  batchSize?: number;
  /** Virtual ms between stream frames (default 10): the database read time of one batch. */
  batchInterval?: number;
  /** Events written while the run goes on (other devices syncing up). */
  append?: AppendPlan;
  /** Accepted tokens (default: any token starting with `token-`). */
  tokens?: readonly string[];
  /** Virtual ms from which every token is rejected with 401. */
  revokeAt?: number;
  /**
   * Fraction of REST pages (0–1) cut short although more events follow — a response-size
   * or query-time budget reached: such a page holds 1–99 events and still answers
   * `hasMore: true` (default 0). Which pages are cut depends only on their `since`.
   */
  shortPages?: number;
  /** `sync.stream.error {code: "DB_ERROR"}` instead of a batch. */
  dbError?: StreamInjection;
  /** A frame that is not JSON instead of a batch. */
  malformed?: StreamInjection;
  /** The stream stops sending before a batch and never resumes (a hung database query). */
  stall?: StreamInjection;
}

/** Defaults of {@link EventSyncServerOptions} (used whenever options are given). */
export const eventSyncServerDefaults = {
  events: 1000,
  ties: 4,
  invalid: 0,
  batchSize: 1000,
  batchInterval: 10,
  tokenPrefix: 'token-',
} as const;

/** One problem with the options: which field, what was expected, what was found. */
export interface EventSyncServerOptionProblem {
  field: string;
  expected: string;
  found: string;
}

/** Server options that are not valid; `problems` re-root under `server.options.` in a scenario. */
export class EventSyncServerOptionsError extends Error {
  override readonly name = 'EventSyncServerOptionsError';
  constructor(
    readonly source: string,
    readonly problems: EventSyncServerOptionProblem[],
  ) {
    super(problems.map((p) => `${source}: field "${p.field}": expected ${p.expected}, found ${p.found}`).join('\n'));
  }
}

const optionFields = [
  'events',
  'ties',
  'invalid',
  'batchSize',
  'batchInterval',
  'append',
  'tokens',
  'revokeAt',
  'shortPages',
  'dbError',
  'malformed',
  'stall',
] as const;

const isWhole = (v: unknown, min = 0): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/**
 * Validates event-sync server options as a scenario wrote them, reporting every problem
 * at once in an {@link EventSyncServerOptionsError}; `source` names where they came from.
 */
export function parseEventSyncServerOptions(options: Record<string, unknown>, source: string): EventSyncServerOptions {
  const problems: EventSyncServerOptionProblem[] = [];
  const bad = (field: string, expected: string, found: unknown): void => {
    problems.push({ field, expected, found: describeFound(found) });
  };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new EventSyncServerOptionsError(source, [
      { field: '', expected: `a mapping with ${optionFields.join(', ')}`, found: describeFound(options) },
    ]);
  }
  const out: EventSyncServerOptions = {};
  for (const k of Object.keys(options)) {
    if ((optionFields as readonly string[]).includes(k)) continue;
    const hint = suggest(k, optionFields);
    bad(k, `one of the event-sync server options ${optionFields.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`, options[k]);
  }
  const whole = (field: 'events' | 'ties' | 'batchSize' | 'batchInterval' | 'revokeAt', min: number, what: string): void => {
    const v = options[field];
    if (v === undefined) return;
    if (isWhole(v, min)) out[field] = v;
    else bad(field, what, v);
  };
  whole('events', 0, 'a whole number of events ≥ 0');
  whole('ties', 1, 'a whole number ≥ 1');
  whole('batchSize', 1, 'a whole number of events ≥ 1');
  whole('batchInterval', 0, 'a whole number of ms ≥ 0');
  whole('revokeAt', 0, 'a whole number of virtual ms ≥ 0');

  for (const field of ['invalid', 'shortPages'] as const) {
    const v = options[field];
    if (v === undefined) continue;
    if (typeof v === 'number' && v >= 0 && v <= 1) out[field] = v;
    else bad(field, 'a fraction between 0 and 1', v);
  }

  const append = options.append;
  if (append !== undefined) {
    if (Array.isArray(append)) {
      const list: { at: number; count: number }[] = [];
      append.forEach((a: unknown, i: number) => {
        const r = a as Record<string, unknown> | null;
        if (r === null || typeof r !== 'object' || Array.isArray(r)) return bad(`append[${i}]`, 'a mapping {at, count}', a);
        for (const k of Object.keys(r)) if (k !== 'at' && k !== 'count') bad(`append[${i}].${k}`, 'only "at" and "count"', r[k]);
        if (!isWhole(r.at)) bad(`append[${i}].at`, 'a whole number of virtual ms ≥ 0', r.at);
        if (!isWhole(r.count, 1)) bad(`append[${i}].count`, 'a whole number of events ≥ 1', r.count);
        if (isWhole(r.at) && isWhole(r.count, 1)) list.push({ at: r.at, count: r.count });
      });
      out.append = list;
    } else if (append !== null && typeof append === 'object') {
      const r = append as Record<string, unknown>;
      let ok = true;
      for (const k of Object.keys(r)) {
        if (!['every', 'count', 'from', 'until'].includes(k)) {
          bad(`append.${k}`, 'one of every, count, from, until', r[k]);
          ok = false;
        }
      }
      if (!isWhole(r.every, 1)) {
        bad('append.every', 'a whole number of ms ≥ 1', r.every);
        ok = false;
      }
      for (const k of ['count', 'from', 'until'] as const) {
        if (r[k] !== undefined && !isWhole(r[k], k === 'count' ? 1 : 0)) {
          bad(`append.${k}`, k === 'count' ? 'a whole number of events ≥ 1' : 'a whole number of virtual ms ≥ 0', r[k]);
          ok = false;
        }
      }
      if (ok)
        out.append = {
          every: r.every as number,
          count: r.count as number | undefined,
          from: r.from as number | undefined,
          until: r.until as number | undefined,
        };
    } else bad('append', 'a mapping {every, count?, from?, until?} or a list of {at, count}', append);
  }

  const tokens = options.tokens;
  if (tokens !== undefined) {
    if (!Array.isArray(tokens) || tokens.length === 0) bad('tokens', 'a non-empty list of token strings', tokens);
    else if (tokens.every((t) => typeof t === 'string' && t !== '')) out.tokens = [...(tokens as string[])];
    else tokens.forEach((t, i) => (typeof t !== 'string' || t === '' ? bad(`tokens[${i}]`, 'a non-empty string', t) : undefined));
  }

  for (const field of ['dbError', 'malformed', 'stall'] as const) {
    const v = options[field];
    if (v === undefined) continue;
    const r = v as Record<string, unknown> | null;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      bad(field, 'a mapping {batch, times?}', v);
      continue;
    }
    let ok = true;
    for (const k of Object.keys(r)) {
      if (k !== 'batch' && k !== 'times') {
        bad(`${field}.${k}`, 'only "batch" and "times"', r[k]);
        ok = false;
      }
    }
    if (!isWhole(r.batch)) {
      bad(`${field}.batch`, 'a whole batch index ≥ 0', r.batch);
      ok = false;
    }
    if (r.times !== undefined && !isWhole(r.times, 1)) {
      bad(`${field}.times`, 'a whole number of streams ≥ 1', r.times);
      ok = false;
    }
    if (ok) out[field] = { batch: r.batch as number, times: r.times as number | undefined };
  }

  if (problems.length > 0) throw new EventSyncServerOptionsError(source, problems);
  return out;
}
