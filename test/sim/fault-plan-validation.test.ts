import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { faultPlanSchema } from '../../src/schema/index.js';
import { faultKinds, type FaultEntry } from '../../src/sim/faults/plan.js';
import { FaultPlanError, validateFaultPlan } from '../../src/sim/faults/validate.js';
import { Simulation } from '../../src/sim/simulation.js';
import { validate } from '../schema/validator.js';

/** One valid entry of every kind, with every optional field set. */
const fullEntries: Record<FaultEntry['kind'], Record<string, unknown>> = {
  partition: { kind: 'partition', at: 5000, node: 'c1', duration: 10_000, direction: 'to-server' },
  drop: { kind: 'drop', at: 0, rate: 0.5, node: 'c2', duration: 1, direction: 'both' },
  'delay-spike': { kind: 'delay-spike', at: 1.5, extra: 300, duration: 5000, direction: 'to-client' },
  duplicate: { kind: 'duplicate', at: 100, rate: 1, duration: 2000, node: 'c1' },
  'ws-refuse': { kind: 'ws-refuse', at: 0, status: 403, path: '/ws/*', duration: 3000, node: 'c1' },
  'ws-half-open': { kind: 'ws-half-open', at: 20_000, direction: 'to-client', path: '/ws/items', node: 'c1' },
  'ws-reset': { kind: 'ws-reset', at: 20_000, path: '/ws', node: 'c2' },
  'http-status': { kind: 'http-status', at: 0, status: 503, path: '/api/*', method: 'POST', count: 2, duration: 5000, node: 'c1' },
  'http-timeout': { kind: 'http-timeout', at: 0, phase: 'response', path: '/api/items', method: 'GET', count: 1, duration: 1000 },
  'server-restart': { kind: 'server-restart', at: 60_000, downtime: 0, state: 'lose', closeCode: 1012 },
  'client-offline': { kind: 'client-offline', at: 1000, duration: 5000, sockets: 'stall', node: 'c1' },
  'app-background': { kind: 'app-background', at: 1000, timers: 'throttle', throttleMs: 1000, closeSocketsAfter: 0, duration: 9000 },
  hold: {
    kind: 'hold',
    at: 0,
    name: 'first-pong',
    node: 'c1',
    duration: 500,
    match: { envelope: 'ws.frame', direction: 'to-client', path: '/ws', type: 'pong', contains: 'po', nth: 2 },
  },
  release: { kind: 'release', at: 12_000, name: 'first-pong' },
  'ws-intermediary': { kind: 'ws-intermediary', at: 0, duplicate: 0.1, reorder: 0.2, drop: 0, duration: 100 },
  // Real-world failures of proxies, edges and servers.
  'idle-timeout': { kind: 'idle-timeout', at: 0, idle: 30_000, path: '/ws', node: 'c1', duration: 60_000 },
  'server-close': { kind: 'server-close', at: 1000, code: 4001, reason: 'kicked', path: '/ws/*', node: 'c2' },
  flapping: { kind: 'flapping', at: 0, duration: 20_000, after: 2000, path: '/ws', node: 'c1' },
  'request-reset': { kind: 'request-reset', at: 0, path: '/api/*', method: 'POST', count: 1, duration: 5000, node: 'c1' },
  'bad-body': { kind: 'bad-body', at: 0, body: 'truncated', path: '/api/items', method: 'GET', count: 2, duration: 5000, node: 'c2' },
  'retry-after': {
    kind: 'retry-after',
    at: 0,
    status: 429,
    seconds: 30,
    path: '/api/*',
    method: 'GET',
    count: 3,
    duration: 1000,
    node: 'c1',
  },
  'message-too-big': { kind: 'message-too-big', at: 0, limit: 65_536, direction: 'to-server', path: '/ws', duration: 9000, node: 'c1' },
  'slow-consumer': { kind: 'slow-consumer', at: 0, backlog: 1_048_576, path: '/ws', duration: 9000, node: 'c2' },
  // World conditions: the device's storage, the server's credentials.
  'storage-failure': { kind: 'storage-failure', at: 0, mode: 'lose-on-restart', duration: 5000, node: 'c2' },
  'token-expiry': { kind: 'token-expiry', at: 2000, issuedBefore: 1000, node: 'c1' },
};

/** The smallest valid entry of every kind: only the required fields. */
const minimalEntries: Record<FaultEntry['kind'], Record<string, unknown>> = {
  partition: { kind: 'partition', at: 0 },
  drop: { kind: 'drop', at: 0, rate: 0 },
  'delay-spike': { kind: 'delay-spike', at: 0, extra: 1 },
  duplicate: { kind: 'duplicate', at: 0, rate: 0.25 },
  'ws-refuse': { kind: 'ws-refuse', at: 0 },
  'ws-half-open': { kind: 'ws-half-open', at: 0 },
  'ws-reset': { kind: 'ws-reset', at: 0 },
  'http-status': { kind: 'http-status', at: 0, status: 401 },
  'http-timeout': { kind: 'http-timeout', at: 0 },
  'server-restart': { kind: 'server-restart', at: 0 },
  'client-offline': { kind: 'client-offline', at: 0 },
  'app-background': { kind: 'app-background', at: 0 },
  hold: { kind: 'hold', at: 0, name: 'h' },
  release: { kind: 'release', at: 0, name: 'h' },
  'ws-intermediary': { kind: 'ws-intermediary', at: 0 },
  // Real-world failures of proxies, edges and servers.
  'idle-timeout': { kind: 'idle-timeout', at: 0, idle: 1 },
  'server-close': { kind: 'server-close', at: 0, code: 1000 },
  flapping: { kind: 'flapping', at: 0, duration: 1, after: 0 },
  'request-reset': { kind: 'request-reset', at: 0 },
  'bad-body': { kind: 'bad-body', at: 0, body: 'html' },
  'retry-after': { kind: 'retry-after', at: 0, status: 503, seconds: 0 },
  'message-too-big': { kind: 'message-too-big', at: 0, limit: 1 },
  'slow-consumer': { kind: 'slow-consumer', at: 0, backlog: 1 },
  // World conditions.
  'storage-failure': { kind: 'storage-failure', at: 0, mode: 'quota' },
  'token-expiry': { kind: 'token-expiry', at: 0 },
};

/** The FaultPlanError `fn` throws (fails the test when it throws anything else or nothing). */
function planError(fn: () => unknown): FaultPlanError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FaultPlanError);
    return e as FaultPlanError;
  }
  throw new Error('expected a FaultPlanError, but the plan was accepted');
}

describe('valid fault plans', () => {
  it('covers every kind in these tables', () => {
    expect(Object.keys(fullEntries).sort()).toEqual([...faultKinds].sort());
    expect(Object.keys(minimalEntries).sort()).toEqual([...faultKinds].sort());
  });

  it.each(faultKinds)('accepts a full and a minimal "%s" entry', (kind) => {
    const withHold = (e: Record<string, unknown>) => (kind === 'release' ? [{ kind: 'hold', at: 0, name: e.name }, e] : [e]);
    expect(validateFaultPlan(withHold(fullEntries[kind]))).toEqual(withHold(fullEntries[kind]));
    expect(validateFaultPlan(withHold(minimalEntries[kind]))).toEqual(withHold(minimalEntries[kind]));
  });

  it('the published JSON schema (schemas/fault-plan.schema.json) accepts the same full and minimal entries', () => {
    const schema = faultPlanSchema();
    for (const kind of faultKinds) {
      const withHold = (e: Record<string, unknown>) => (kind === 'release' ? [{ kind: 'hold', at: 0, name: e.name }, e] : [e]);
      expect(validate(schema, withHold(fullEntries[kind])), kind).toEqual([]);
      expect(validate(schema, withHold(minimalEntries[kind])), kind).toEqual([]);
    }
  });

  it('accepts the empty plan and all kinds together, and a Simulation runs them', async () => {
    expect(validateFaultPlan([])).toEqual([]);
    const plan = Object.values(fullEntries);
    expect(validateFaultPlan(plan)).toBe(plan);
    const sim = new Simulation({ seed: 1, clients: ['c1', 'c2'], faults: plan, server: () => ({ expireCredentials: () => undefined }) });
    await sim.run(100_000);
    expect(
      sim.trace
        .events()
        .filter((e) => e.ev === 'fault.start')
        .map((e) => e.kind),
    ).toHaveLength(plan.length);
  });

  it('ignores fields explicitly set to undefined (as a JS-built plan may have)', () => {
    expect(() => validateFaultPlan([{ kind: 'partition', at: 0, duration: undefined, node: undefined }])).not.toThrow();
  });
});

describe('bad fault plans give a FaultPlanError naming the entry, the field, what was expected and what was found', () => {
  const cases: [string, unknown, RegExp][] = [
    [
      'wrong type',
      [
        { kind: 'partition', at: 0 },
        { kind: 'partition', at: '5s' },
      ],
      /^fault plan: entry 1, field "at": expected a number of virtual milliseconds from 0 to 2,147,483,647, found the string "5s"$/,
    ],
    [
      'negative time',
      [{ kind: 'ws-reset', at: -1 }],
      /^fault plan: entry 0, field "at": expected a number of virtual milliseconds from 0 to 2,147,483,647, found the number -1$/,
    ],
    ['infinite time', [{ kind: 'ws-reset', at: Infinity }], /^fault plan: entry 0, field "at": expected .*, found the number Infinity$/],
    [
      'missing at',
      [{ kind: 'ws-reset' }],
      /^fault plan: entry 0, field "at": expected a number of virtual milliseconds from 0 to 2,147,483,647, found nothing$/,
    ],
    [
      'missing required field',
      [{ kind: 'drop', at: 0 }],
      /^fault plan: entry 0, field "rate": expected a probability between 0 and 1, found nothing$/,
    ],
    [
      'missing required status',
      [{ kind: 'http-status', at: 0 }],
      /^fault plan: entry 0, field "status": expected an HTTP error status from 400 to 599, found nothing$/,
    ],
    [
      'probability out of range',
      [{ kind: 'drop', at: 0, rate: 1.5 }],
      /entry 0, field "rate": expected a probability between 0 and 1, found the number 1.5/,
    ],
    [
      'probability NaN',
      [{ kind: 'duplicate', at: 0, rate: Number.NaN }],
      /entry 0, field "rate": expected a probability between 0 and 1, found the number NaN/,
    ],
    [
      'zero duration',
      [{ kind: 'partition', at: 0, duration: 0 }],
      /entry 0, field "duration": expected a number of milliseconds from 1 to 2,147,483,647, found the number 0/,
    ],
    [
      'bad enum',
      [{ kind: 'partition', at: 0, direction: 'up' }],
      /entry 0, field "direction": expected one of "both", "to-server", "to-client", found the string "up"/,
    ],
    [
      'bad close code',
      [{ kind: 'server-restart', at: 0, closeCode: 1000 }],
      /field "closeCode": expected one of 1006, 1012, found the number 1000/,
    ],
    [
      'bad status',
      [{ kind: 'http-status', at: 0, status: 200 }],
      /field "status": expected an HTTP error status from 400 to 599, found the number 200/,
    ],
    [
      'bad method',
      [{ kind: 'http-timeout', at: 0, method: 'get' }],
      /field "method": expected an upper-case HTTP method such as "GET", found the string "get"/,
    ],
    ['bad path', [{ kind: 'ws-refuse', at: 0, path: 'ws' }], /field "path": expected a path starting with "\/"/],
    [
      'bad count',
      [{ kind: 'http-status', at: 0, status: 500, count: 1.5 }],
      /field "count": expected a whole number ≥ 1, found the number 1.5/,
    ],
    [
      'bad node',
      [{ kind: 'partition', at: 0, node: 'Client One' }],
      /field "node": expected a client node name such as "c1", found the string "Client One"/,
    ],
    [
      'unknown field, did you mean',
      [{ kind: 'partition', at: 0, durtion: 5000 }],
      /^fault plan: entry 0, field "durtion": expected no such field for "partition" \(allowed: at, node, duration, direction\); did you mean "duration"\?, found the number 5000$/,
    ],
    [
      'unknown field, no close match',
      [{ kind: 'ws-reset', at: 0, severity: 'high' }],
      /entry 0, field "severity": expected no such field for "ws-reset" \(allowed: at, node, path\), found the string "high"/,
    ],
    [
      'unknown kind, with suggestion',
      [{ kind: 'partiton', at: 0 }],
      /^fault plan: entry 0, field "kind": expected one of partition, .*, ws-intermediary, .* \(did you mean "partition"\?\), found the string "partiton"$/,
    ],
    ['unknown kind, case', [{ kind: 'WS-Reset', at: 0 }], /field "kind": .*did you mean "ws-reset"/],
    ['missing kind', [{ at: 0 }], /entry 0, field "kind": expected one of partition, .*, found nothing/],
    ['kind not a string', [{ kind: 7, at: 0 }], /entry 0, field "kind": expected one of .*, found the number 7/],
    [
      'entry not an object',
      [{ kind: 'ws-reset', at: 0 }, 5],
      /^fault plan: entry 1: expected an object with "kind" and "at", found the number 5$/,
    ],
    ['entry is a list', [[]], /^fault plan: entry 0: expected an object with "kind" and "at", found a list of 0$/],
    ['entry is null', [null], /^fault plan: entry 0: expected an object with "kind" and "at", found null$/],
    [
      'bad match field',
      [{ kind: 'hold', at: 0, name: 'h', match: { nht: 2 } }],
      /entry 0, field "match.nht": expected one of the match fields envelope, direction, path, type, contains, nth \(did you mean "nth"\?\), found the number 2/,
    ],
    [
      'bad match value',
      [{ kind: 'hold', at: 0, name: 'h', match: { envelope: 'ws.message' } }],
      /field "match.envelope": expected one of "ws.frame", "ws.connect", "http.request", "http.response", found the string "ws.message"/,
    ],
    [
      'match not an object',
      [{ kind: 'hold', at: 0, name: 'h', match: 'pong' }],
      /field "match": expected an object \(envelope, direction, path, type, contains, nth\), found the string "pong"/,
    ],
    [
      'release naming no hold',
      [{ kind: 'release', at: 5, name: 'x' }],
      /^fault plan: entry 0, field "name": expected the name of a hold entry \(the plan has none\), found the string "x"$/,
    ],
    [
      'release naming another hold',
      [
        { kind: 'hold', at: 0, name: 'a' },
        { kind: 'release', at: 5, name: 'b' },
      ],
      /^fault plan: entry 1, field "name": expected the name of a hold entry \("a"\), found the string "b"$/,
    ],
    [
      'duplicate hold names',
      [
        { kind: 'hold', at: 0, name: 'h' },
        { kind: 'partition', at: 0 },
        { kind: 'hold', at: 9, name: 'h' },
      ],
      /^fault plan: entry 2, field "name": expected a name not used by another hold \(entry 0 uses it\), found the string "h"$/,
    ],
    // Real-world failures of proxies, edges and servers.
    [
      'idle-timeout without idle',
      [{ kind: 'idle-timeout', at: 0 }],
      /^fault plan: entry 0, field "idle": expected a number of milliseconds from 1 to 2,147,483,647, found nothing$/,
    ],
    [
      'server-close with a code a server may not send',
      [{ kind: 'server-close', at: 0, code: 1006 }],
      /^fault plan: entry 0, field "code": expected a close code a server may send: 1000, 1001, 1008, 1011, 1012, 1013, or an application code from 3000 to 4999, found the number 1006$/,
    ],
    [
      'server-close with a code above 4999',
      [{ kind: 'server-close', at: 0, code: 5000 }],
      /field "code": expected a close code .*, found the number 5000/,
    ],
    [
      'server-close with a reason over 123 bytes',
      [{ kind: 'server-close', at: 0, code: 1000, reason: 'é'.repeat(62) }],
      /^fault plan: entry 0, field "reason": expected a close reason of at most 123 UTF-8 bytes, found the string "é+\.\.\."$/,
    ],
    [
      'flapping without duration',
      [{ kind: 'flapping', at: 0, after: 100 }],
      /^fault plan: entry 0, field "duration": expected a number of milliseconds from 1 to 2,147,483,647, found nothing$/,
    ],
    [
      'flapping with a negative after',
      [{ kind: 'flapping', at: 0, duration: 10, after: -1 }],
      /field "after": expected a number of virtual milliseconds .*, found the number -1/,
    ],
    [
      'bad-body with an unknown body',
      [{ kind: 'bad-body', at: 0, body: 'json' }],
      /^fault plan: entry 0, field "body": expected one of "html", "truncated", found the string "json"$/,
    ],
    [
      'retry-after with another status',
      [{ kind: 'retry-after', at: 0, status: 500, seconds: 1 }],
      /^fault plan: entry 0, field "status": expected one of 429, 503, found the number 500$/,
    ],
    [
      'retry-after with fractional seconds',
      [{ kind: 'retry-after', at: 0, status: 429, seconds: 1.5 }],
      /^fault plan: entry 0, field "seconds": expected a whole number of seconds from 0 to 2,147,483, found the number 1.5$/,
    ],
    [
      'message-too-big with a zero limit',
      [{ kind: 'message-too-big', at: 0, limit: 0 }],
      /^fault plan: entry 0, field "limit": expected a whole number of bytes ≥ 1, found the number 0$/,
    ],
    [
      'slow-consumer with the backlog as text',
      [{ kind: 'slow-consumer', at: 0, backlog: '1MB' }],
      /^fault plan: entry 0, field "backlog": expected a whole number of bytes ≥ 1, found the string "1MB"$/,
    ],
    [
      'storage-failure without a mode',
      [{ kind: 'storage-failure', at: 0, duration: 100 }],
      /^fault plan: entry 0, field "mode": expected one of "quota", "lose-on-restart", found nothing$/,
    ],
    [
      'storage-failure with an unknown mode',
      [{ kind: 'storage-failure', at: 0, mode: 'full' }],
      /^fault plan: entry 0, field "mode": expected one of "quota", "lose-on-restart", found the string "full"$/,
    ],
    [
      'token-expiry with issuedBefore after at',
      [{ kind: 'token-expiry', at: 1000, issuedBefore: 1001 }],
      /^fault plan: entry 0, field "issuedBefore": expected a time no later than "at" \(1000\), found the number 1001$/,
    ],
    [
      'token-expiry with a duration',
      [{ kind: 'token-expiry', at: 0, duration: 5 }],
      /field "duration": expected no such field for "token-expiry" \(allowed: at, node, issuedBefore\)/,
    ],
    [
      'request-reset with a field of another kind',
      [{ kind: 'request-reset', at: 0, status: 503 }],
      /field "status": expected no such field for "request-reset" \(allowed: at, node, duration, path, method, count\), found the number 503/,
    ],
    ['non-array plan (object)', { kind: 'partition', at: 0 }, /^fault plan: expected a list of fault entries, found an object$/],
    ['non-array plan (string)', 'partition', /^fault plan: expected a list of fault entries, found the string "partition"$/],
    ['non-array plan (null)', null, /^fault plan: expected a list of fault entries, found null$/],
  ];

  it.each(cases)('%s', (_name, plan, message) => {
    const err = planError(() => validateFaultPlan(plan));
    expect(err.name).toBe('FaultPlanError');
    expect(err.message).toMatch(message);
    expect(err.problems.length).toBeGreaterThan(0);
  });

  it('lists every problem of every entry, one per line, and names the source', () => {
    const err = planError(() =>
      validateFaultPlan(
        [{ kind: 'drop', at: 'soon', rate: 2 }, { kind: 'partition', at: 0 }, { kind: 'nope' }],
        'scenarios/chat/flaky.yaml',
      ),
    );
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^scenarios\/chat\/flaky\.yaml: entry 0, field "at": /);
    expect(lines[1]).toMatch(/^scenarios\/chat\/flaky\.yaml: entry 0, field "rate": /);
    expect(lines[2]).toMatch(/^scenarios\/chat\/flaky\.yaml: entry 2, field "kind": /);
    expect(err.problems.map((p) => [p.entry, p.field])).toEqual([
      [0, 'at'],
      [0, 'rate'],
      [2, 'kind'],
    ]);
    expect(err.source).toBe('scenarios/chat/flaky.yaml');
  });

  it('treats names of Object.prototype members as unknown kinds and fields, not as schema entries', () => {
    for (const kind of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(planError(() => validateFaultPlan([{ kind, at: 0 }])).message).toMatch(/field "kind": expected one of partition/);
    }
    for (const field of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']) {
      expect(planError(() => validateFaultPlan([{ kind: 'partition', at: 0, [field]: 1 }])).message).toMatch(
        new RegExp(`field "${field}": expected no such field for "partition"`),
      );
      expect(planError(() => validateFaultPlan([{ kind: 'hold', at: 0, name: 'h', match: { [field]: 1 } }])).message).toMatch(
        new RegExp(`field "match.${field}": expected one of the match fields`),
      );
    }
    const parsed = JSON.parse('[{"kind":"partition","at":0,"__proto__":{"x":1}}]') as unknown;
    expect(planError(() => validateFaultPlan(parsed)).message).toMatch(/field "__proto__": expected no such field/);
  });

  it('a Simulation rejects a plan whose node is not one of its clients, and bad client lists', () => {
    const err = planError(() => new Simulation({ seed: 1, clients: ['c1', 'c2'], faults: [{ kind: 'ws-reset', at: 0, node: 'c3' }] }));
    expect(err.message).toBe(
      'fault plan: entry 0, field "node": expected one of the simulation\'s client nodes ("c1", "c2"), found the string "c3"',
    );
    expect(() => new Simulation({ seed: 1, faults: { kind: 'partition' }, faultsSource: 'my.yaml' })).toThrow(/^my\.yaml: expected a list/);
    expect(() => new Simulation({ seed: 1, clients: ['c1', 'c1'] })).toThrow(/"c1" is listed twice/);
    expect(() => new Simulation({ seed: 1, clients: ['server'] })).toThrow(/"server" is reserved/);
    expect(() => new Simulation({ seed: 1, clients: 'c1' as unknown as string[] })).toThrow(/expected a list of client node names/);
  });
});

describe('validation is total: any input validates or throws a FaultPlanError', () => {
  const at = fc.oneof(fc.integer({ min: 0, max: 600_000 }), fc.double({ min: 0, max: 600_000, noNaN: true }));
  const duration = fc.integer({ min: 1, max: 120_000 });
  const node = fc.constantFrom('c1', 'c2');
  const direction = fc.constantFrom('both', 'to-server', 'to-client');
  const path = fc.constantFrom('/', '/api/items', '/api/*', '/ws/items', '*');
  const rate = fc.double({ min: 0, max: 1, noNaN: true });
  const opt = <T extends Record<string, fc.Arbitrary<unknown>>>(kind: string, fields: T, required: string[] = []) =>
    fc.record({ kind: fc.constant(kind), at, ...fields }, { requiredKeys: ['kind', 'at', ...required] as never[] });
  const windowed = { node, duration };
  const simpleEntry = fc.oneof(
    opt('partition', { ...windowed, direction }),
    opt('drop', { ...windowed, rate, direction }, ['rate']),
    opt('delay-spike', { ...windowed, extra: fc.integer({ min: 1, max: 5000 }), direction }, ['extra']),
    opt('duplicate', { ...windowed, rate }, ['rate']),
    opt('ws-refuse', { ...windowed, status: fc.integer({ min: 400, max: 599 }), path }),
    opt('ws-half-open', { node, direction, path }),
    opt('ws-reset', { node, path }),
    opt(
      'http-status',
      {
        ...windowed,
        status: fc.integer({ min: 400, max: 599 }),
        path,
        method: fc.constantFrom('GET', 'POST'),
        count: fc.integer({ min: 1, max: 5 }),
      },
      ['status'],
    ),
    opt('http-timeout', { ...windowed, phase: fc.constantFrom('request', 'response'), path, count: fc.integer({ min: 1, max: 5 }) }),
    opt('server-restart', {
      downtime: fc.integer({ min: 0, max: 10_000 }),
      state: fc.constantFrom('keep', 'lose'),
      closeCode: fc.constantFrom(1006, 1012),
    }),
    opt('client-offline', { ...windowed, sockets: fc.constantFrom('close', 'stall') }),
    opt('app-background', {
      ...windowed,
      timers: fc.constantFrom('suspend', 'throttle'),
      throttleMs: duration,
      closeSocketsAfter: fc.nat(60_000),
    }),
    opt('ws-intermediary', { ...windowed, duplicate: rate, reorder: rate, drop: rate }),
    opt('idle-timeout', { ...windowed, idle: duration, path }, ['idle']),
    opt(
      'server-close',
      { node, path, code: fc.constantFrom(1000, 1001, 1008, 1011, 1012, 1013, 4000), reason: fc.string({ maxLength: 20 }) },
      ['code'],
    ),
    opt('flapping', { node, path, duration, after: fc.nat(10_000) }, ['duration', 'after']),
    opt('request-reset', { ...windowed, path, count: fc.integer({ min: 1, max: 5 }) }),
    opt('bad-body', { ...windowed, body: fc.constantFrom('html', 'truncated') }, ['body']),
    opt('retry-after', { ...windowed, status: fc.constantFrom(429, 503), seconds: fc.nat(3600) }, ['status', 'seconds']),
    opt('message-too-big', { ...windowed, limit: fc.integer({ min: 1, max: 1e6 }), direction }, ['limit']),
    opt('slow-consumer', { ...windowed, backlog: fc.integer({ min: 1, max: 1e6 }) }, ['backlog']),
    opt('storage-failure', { ...windowed, mode: fc.constantFrom('quota', 'lose-on-restart') }, ['mode']),
    opt('token-expiry', { node, issuedBefore: fc.constant(0) }),
  );
  const match = fc.record(
    {
      envelope: fc.constantFrom('ws.frame', 'ws.connect', 'http.request', 'http.response'),
      direction: fc.constantFrom('to-server', 'to-client'),
      type: fc.constantFrom('pong', 'item'),
      nth: fc.integer({ min: 1, max: 3 }),
    },
    { requiredKeys: [] },
  );
  /** A valid plan: simple entries plus holds with unique names, some released. */
  const validPlan = fc
    .tuple(fc.array(simpleEntry, { maxLength: 8 }), fc.array(fc.tuple(at, match, fc.boolean(), at), { maxLength: 3 }))
    .map(([simple, holds]) => {
      const plan: Record<string, unknown>[] = [...simple];
      holds.forEach(([holdAt, m, released, releaseAt], i) => {
        plan.push({ kind: 'hold', at: holdAt, name: `h${i}`, match: m });
        if (released) plan.push({ kind: 'release', at: releaseAt, name: `h${i}` });
      });
      return plan;
    });

  /** Keys that are easy to get wrong: prototype members, near-misses, other kinds' fields. */
  const nastyKey = fc.constantFrom(
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'durtion',
    'kind',
    'at',
    'name',
    'match',
    'rate',
    'nth',
    '',
  );
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('delete' as const), entry: fc.nat(), key: nastyKey }),
    fc.record({ op: fc.constant('set' as const), entry: fc.nat(), key: nastyKey, value: fc.jsonValue() }),
    fc.record({ op: fc.constant('set' as const), entry: fc.nat(), key: fc.string(), value: fc.jsonValue() }),
    fc.record({ op: fc.constant('match' as const), entry: fc.nat(), key: nastyKey, value: fc.jsonValue() }),
    fc.record({ op: fc.constant('replace' as const), entry: fc.nat(), value: fc.jsonValue() }),
    fc.record({
      op: fc.constant('kind' as const),
      entry: fc.nat(),
      value: fc.oneof(fc.string(), fc.constantFrom(...faultKinds, 'constructor', 'toString', '__proto__')),
    }),
  );

  function mutate(plan: Record<string, unknown>[], muts: { op: string; entry: number; key?: string; value?: unknown }[]) {
    const out: unknown[] = plan.map((e) => ({ ...e }));
    for (const m of muts) {
      if (out.length === 0) break;
      const i = m.entry % out.length;
      const e = out[i];
      if (m.op === 'replace') {
        out[i] = m.value;
        continue;
      }
      if (e === null || typeof e !== 'object') continue;
      const obj = e as Record<string, unknown>;
      // defineProperty so that "__proto__" becomes an own key, as JSON.parse and YAML make it.
      const put = (o: Record<string, unknown>, k: string, v: unknown) =>
        Object.defineProperty(o, k, { value: v, enumerable: true, configurable: true, writable: true });
      if (m.op === 'delete') delete obj[m.key!];
      else if (m.op === 'set') put(obj, m.key!, m.value);
      else if (m.op === 'kind') obj.kind = m.value;
      else if (m.op === 'match') {
        const inner = obj.match !== null && typeof obj.match === 'object' && !Array.isArray(obj.match) ? { ...(obj.match as object) } : {};
        put(inner as Record<string, unknown>, m.key!, m.value);
        obj.match = inner;
      }
    }
    return out;
  }

  const validatesOrPlanError = (input: unknown): boolean => {
    try {
      validateFaultPlan(input);
      return true;
    } catch (e) {
      if (e instanceof FaultPlanError) {
        expect(e.message.length).toBeGreaterThan(0);
        return true;
      }
      throw e;
    }
  };

  // Fixed seeds: the suite is deterministic; raise numRuns locally to explore further.
  it('generated valid plans always validate', () => {
    fc.assert(
      fc.property(validPlan, (plan) => {
        expect(validateFaultPlan(plan)).toBe(plan);
      }),
      { seed: 20250115, numRuns: 1000 },
    );
  });

  it('arbitrary JSON values', () => {
    const json = fc.jsonValue({ maxDepth: 3 });
    fc.assert(fc.property(json, validatesOrPlanError), { seed: 1, numRuns: 1000 });
    fc.assert(fc.property(fc.array(json, { maxLength: 5 }), validatesOrPlanError), { seed: 2, numRuns: 1000 });
    const keys = fc.constantFrom('kind', 'at', 'name', 'match', 'rate', 'node', '__proto__', 'constructor');
    const kinds = fc.constantFrom(...faultKinds, 'constructor', 'toString');
    const entry = fc.dictionary(keys, fc.oneof(json, kinds, fc.nat(1000)), { maxKeys: 6 });
    fc.assert(fc.property(fc.array(entry, { maxLength: 5 }), validatesOrPlanError), { seed: 3, numRuns: 1000 });
  });

  it('mutated valid plans', () => {
    fc.assert(
      fc.property(validPlan, fc.array(mutation, { minLength: 1, maxLength: 4 }), (plan, muts) => validatesOrPlanError(mutate(plan, muts))),
      { seed: 4, numRuns: 3000 },
    );
  });

  it('JSON text round trips of mutated plans (own "__proto__" keys as a YAML or JSON loader makes them)', () => {
    fc.assert(
      fc.property(validPlan, fc.array(mutation, { minLength: 1, maxLength: 3 }), (plan, muts) =>
        validatesOrPlanError(JSON.parse(JSON.stringify(mutate(plan, muts)).replace(/"constructor"/g, '"__proto__"'))),
      ),
      { seed: 5, numRuns: 1000 },
    );
  });
});
