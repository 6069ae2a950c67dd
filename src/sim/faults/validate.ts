import { describeFound, suggest } from '../describe.js';
import { faultKinds, type FaultEntry, type FaultPlan } from './plan.js';

/** One problem found in a fault plan: where it is, what was expected, what was found. */
export interface PlanProblem {
  /** Index of the entry in the plan (0-based), or -1 for the plan itself (not a list). */
  entry: number;
  /** The field at fault (`at`, `match.nth`), or `''` for the entry itself. */
  field: string;
  /** What the field should hold. */
  expected: string;
  /** What it held. */
  found: string;
}

/** Thrown by {@link validateFaultPlan}; its message lists every problem found. */
export class FaultPlanError extends Error {
  /** The error name. */
  override readonly name = 'FaultPlanError';
  constructor(
    /** Every problem found. */
    readonly problems: PlanProblem[],
    /** The file or scenario the plan came from. */
    readonly source: string,
  ) {
    super(
      problems
        .map(
          (p) =>
            `${source}${p.entry >= 0 ? `: entry ${p.entry}` : ''}${p.field ? `, field "${p.field}"` : ''}: expected ${p.expected}, found ${p.found}`,
        )
        .join('\n'),
    );
  }
}

type Check = (v: unknown) => string | undefined; // returns "expected …" or undefined when fine

/** Virtual times and durations stay below 2³¹ ms (about 24.8 days), as every scenario does. */
const maxMs = 2 ** 31 - 1;
const nonNegative: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= maxMs ? undefined : 'a number of virtual milliseconds from 0 to 2,147,483,647';
const positive: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= maxMs ? undefined : 'a number of milliseconds from 1 to 2,147,483,647');
const probability: Check = (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? undefined : 'a probability between 0 and 1');
const positiveInt: Check = (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 ? undefined : 'a whole number ≥ 1');
const text: Check = (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'a non-empty string');
const nodeName: Check = (v) => (typeof v === 'string' && /^[a-z][a-z0-9-]*$/.test(v) ? undefined : 'a client node name such as "c1"');
const path: Check = (v) =>
  typeof v === 'string' && (v.startsWith('/') || v.startsWith('*'))
    ? undefined
    : 'a path starting with "/", or a glob where "*" matches anything ("/api/*", "*")';
const oneOf =
  (...allowed: (string | number)[]): Check =>
  (v) =>
    allowed.includes(v as string | number) ? undefined : `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
const httpStatus: Check = (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 400 && v <= 599 ? undefined : 'an HTTP error status from 400 to 599';
const method: Check = (v) => (typeof v === 'string' && /^[A-Z]+$/.test(v) ? undefined : 'an upper-case HTTP method such as "GET"');

const direction = oneOf('both', 'to-server', 'to-client');
const windowed = { at: nonNegative, node: nodeName, duration: positive };
const requestMatch = { path, method, count: positiveInt };

// Checks of the real-world kinds (idle-timeout … slow-consumer).
const closeCode: Check = (v) =>
  typeof v === 'number' && Number.isInteger(v) && ([1000, 1001, 1008, 1011, 1012, 1013].includes(v) || (v >= 3000 && v <= 4999))
    ? undefined
    : 'a close code a server may send: 1000, 1001, 1008, 1011, 1012, 1013, or an application code from 3000 to 4999';
const closeReason: Check = (v) =>
  typeof v === 'string' && Buffer.byteLength(v, 'utf8') <= 123 ? undefined : 'a close reason of at most 123 UTF-8 bytes';
const bytes: Check = (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 1 ? undefined : 'a whole number of bytes ≥ 1');
const seconds: Check = (v) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2_147_483 ? undefined : 'a whole number of seconds from 0 to 2,147,483';

const holdMatch: Record<string, Check> = {
  envelope: oneOf('ws.frame', 'ws.connect', 'http.request', 'http.response'),
  direction: oneOf('to-server', 'to-client'),
  path,
  type: text,
  contains: text,
  nth: positiveInt,
};

/** Per kind: allowed fields with their checks, and which are required. */
const schema: Record<FaultEntry['kind'], { fields: Record<string, Check | 'match'>; required: string[] }> = {
  partition: { fields: { ...windowed, direction }, required: [] },
  drop: { fields: { ...windowed, rate: probability, direction }, required: ['rate'] },
  'delay-spike': { fields: { ...windowed, extra: positive, direction }, required: ['extra'] },
  duplicate: { fields: { ...windowed, rate: probability }, required: ['rate'] },
  'ws-refuse': { fields: { ...windowed, status: httpStatus, path }, required: [] },
  'ws-half-open': { fields: { at: nonNegative, node: nodeName, direction, path }, required: [] },
  'ws-reset': { fields: { at: nonNegative, node: nodeName, path }, required: [] },
  'http-status': { fields: { ...windowed, ...requestMatch, status: httpStatus }, required: ['status'] },
  'http-timeout': { fields: { ...windowed, ...requestMatch, phase: oneOf('request', 'response') }, required: [] },
  'server-restart': {
    fields: { at: nonNegative, downtime: nonNegative, state: oneOf('keep', 'lose'), closeCode: oneOf(1006, 1012) },
    required: [],
  },
  'client-offline': { fields: { ...windowed, sockets: oneOf('close', 'stall') }, required: [] },
  'app-background': {
    fields: { ...windowed, timers: oneOf('suspend', 'throttle'), throttleMs: positive, closeSocketsAfter: nonNegative },
    required: [],
  },
  hold: { fields: { at: nonNegative, node: nodeName, name: text, match: 'match', duration: positive }, required: ['name'] },
  release: { fields: { at: nonNegative, name: text }, required: ['name'] },
  'ws-intermediary': {
    fields: { ...windowed, duplicate: probability, reorder: probability, drop: probability },
    required: [],
  },
  // World conditions (issue #14): the device's storage, the server's credentials.
  'storage-failure': { fields: { ...windowed, mode: oneOf('quota', 'lose-on-restart') }, required: ['mode'] },
  'token-expiry': { fields: { at: nonNegative, node: nodeName, issuedBefore: nonNegative }, required: [] },
  // Real-world failures of proxies, edges and servers (issue #14).
  'idle-timeout': { fields: { ...windowed, idle: positive, path }, required: ['idle'] },
  'server-close': { fields: { at: nonNegative, node: nodeName, path, code: closeCode, reason: closeReason }, required: ['code'] },
  flapping: { fields: { ...windowed, path, after: nonNegative }, required: ['duration', 'after'] },
  'request-reset': { fields: { ...windowed, ...requestMatch }, required: [] },
  'bad-body': { fields: { ...windowed, ...requestMatch, body: oneOf('html', 'truncated') }, required: ['body'] },
  'retry-after': { fields: { ...windowed, ...requestMatch, status: oneOf(429, 503), seconds }, required: ['status', 'seconds'] },
  'message-too-big': { fields: { ...windowed, path, limit: bytes, direction }, required: ['limit'] },
  'slow-consumer': { fields: { ...windowed, path, backlog: bytes }, required: ['backlog'] },
};

/** Own properties only: a field or kind named `constructor` or `__proto__` is just unknown. */
const lookup = <T>(table: Record<string, T>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);

/**
 * Checks that `input` is a well-formed fault plan and returns it typed. Throws a
 * {@link FaultPlanError} listing every problem with the entry, the field, what was
 * expected and what was found. `source` names the file or scenario in messages. With
 * `clients`, a `node` must name one of them (a fault on a node that does not exist would
 * silently do nothing).
 */
export function validateFaultPlan(input: unknown, source = 'fault plan', opts: { clients?: readonly string[] } = {}): FaultPlan {
  const problems: PlanProblem[] = [];
  if (!Array.isArray(input)) {
    throw new FaultPlanError([{ entry: -1, field: '', expected: 'a list of fault entries', found: describeFound(input) }], source);
  }
  input.forEach((raw, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push({ entry: i, field: '', expected: 'an object with "kind" and "at"', found: describeFound(raw) });
      return;
    }
    const e = raw as Record<string, unknown>;
    const kind = e.kind;
    if (typeof kind !== 'string' || !Object.hasOwn(schema, kind)) {
      const hint = typeof kind === 'string' ? suggest(kind, faultKinds) : undefined;
      problems.push({
        entry: i,
        field: 'kind',
        expected: `one of ${faultKinds.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`,
        found: describeFound(kind),
      });
      return;
    }
    const s = schema[kind as FaultEntry['kind']];
    if (e.at === undefined) problems.push({ entry: i, field: 'at', expected: 'a number of virtual milliseconds from 0 to 2,147,483,647', found: 'nothing' });
    for (const r of s.required) {
      if (e[r] === undefined) problems.push({ entry: i, field: r, expected: describeRequired(s.fields[r]), found: 'nothing' });
    }
    for (const [k, v] of Object.entries(e)) {
      if (k === 'kind') continue;
      const check = lookup(s.fields, k);
      if (!check) {
        const hint = suggest(k, Object.keys(s.fields));
        problems.push({
          entry: i,
          field: k,
          expected: `no such field for "${kind}" (allowed: ${Object.keys(s.fields).join(', ')})${hint ? `; did you mean "${hint}"?` : ''}`,
          found: describeFound(v),
        });
        continue;
      }
      if (v === undefined) continue;
      if (check === 'match') {
        checkMatch(v, i, problems);
        continue;
      }
      const expected = check(v);
      if (expected) problems.push({ entry: i, field: k, expected, found: describeFound(v) });
      else if (k === 'node' && opts.clients && !opts.clients.includes(v as string)) {
        problems.push({
          entry: i,
          field: k,
          expected: `one of the simulation's client nodes (${opts.clients.map((c) => `"${c}"`).join(', ')})`,
          found: describeFound(v),
        });
      }
    }
  });
  if (problems.length > 0) throw new FaultPlanError(problems, source);
  checkHoldNames(input as FaultPlan, source);
  checkTokenExpiries(input as FaultPlan, source);
  return input as FaultPlan;
}

function describeRequired(check: Check | 'match' | undefined): string {
  if (!check || check === 'match') return 'a value';
  return check(undefined) ?? 'a value';
}

function checkMatch(v: unknown, entry: number, problems: PlanProblem[]): void {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    problems.push({
      entry,
      field: 'match',
      expected: 'an object (envelope, direction, path, type, contains, nth)',
      found: describeFound(v),
    });
    return;
  }
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    const check = lookup(holdMatch, k);
    if (!check) {
      const hint = suggest(k, Object.keys(holdMatch));
      problems.push({
        entry,
        field: `match.${k}`,
        expected: `one of the match fields ${Object.keys(holdMatch).join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`,
        found: describeFound(val),
      });
      continue;
    }
    const expected = check(val);
    if (expected) problems.push({ entry, field: `match.${k}`, expected, found: describeFound(val) });
  }
}

/** A release must name a hold that exists; two holds may not share a name. */
function checkHoldNames(plan: FaultPlan, source: string): void {
  const problems: PlanProblem[] = [];
  const holds = new Map<string, number>();
  plan.forEach((e, i) => {
    if (e.kind !== 'hold') return;
    if (holds.has(e.name))
      problems.push({
        entry: i,
        field: 'name',
        expected: `a name not used by another hold (entry ${holds.get(e.name)} uses it)`,
        found: describeFound(e.name),
      });
    else holds.set(e.name, i);
  });
  plan.forEach((e, i) => {
    if (e.kind === 'release' && !holds.has(e.name)) {
      problems.push({
        entry: i,
        field: 'name',
        expected: `the name of a hold entry (${holds.size ? [...holds.keys()].map((n) => `"${n}"`).join(', ') : 'the plan has none'})`,
        found: describeFound(e.name),
      });
    }
  });
  if (problems.length > 0) throw new FaultPlanError(problems, source);
}

/** Credentials cannot have been issued after the moment they expire: `issuedBefore` ≤ `at`. */
function checkTokenExpiries(plan: FaultPlan, source: string): void {
  const problems: PlanProblem[] = [];
  plan.forEach((e, i) => {
    if (e.kind === 'token-expiry' && e.issuedBefore !== undefined && e.issuedBefore > e.at)
      problems.push({ entry: i, field: 'issuedBefore', expected: `a time no later than "at" (${e.at})`, found: describeFound(e.issuedBefore) });
  });
  if (problems.length > 0) throw new FaultPlanError(problems, source);
}
