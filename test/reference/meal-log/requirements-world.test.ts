import { describe, expect, it } from 'vitest';
import { check, completed, processing, TraceBuilder } from './trace-builder.js';

// What the checkers demand under the faults of issue #14 that no client can outlast or
// that spoil an answer: an expired token, a storage that lost the outbox, a captive
// portal's 200 — and MEAL-10 with the same text submitted twice. T = 290 ms; B = 120.29 s.

const expiry = (b: TraceBuilder, t: number): TraceBuilder => b.add(t, 'fault.start', { entry: 9, kind: 'token-expiry' });

describe('MEAL-4 and MEAL-7 after a token-expiry (the protocol cannot renew a token)', () => {
  const finishedMeal = (): TraceBuilder => {
    const b = new TraceBuilder();
    b.verifiedSocket(0);
    b.meal(1000, 'eggs').snap(1040, [processing()], { verified: true });
    return b.finish(27_000);
  };
  it('still fails a meal whose deadline fell before the expiry', () => {
    // Deadline: max(heal 60 s, 27 s) + B = 180.29 s; the token expires at 200 s.
    expect(check('MEAL-4', expiry(finishedMeal(), 200_000)).verdict).toBe('fail');
  });
  it('does not judge a meal whose deadline falls after the expiry, unless the view showed it final by then (a pass)', () => {
    expect(check('MEAL-4', expiry(finishedMeal(), 30_000)).verdict).toBe('not-exercised');
    const shown = finishedMeal().snap(27_100, [completed()], { verified: true });
    expect(check('MEAL-4', expiry(shown, 30_000)).verdict).toBe('pass');
  });
  it('excuses the meals of a node whose token expired that never reached the server', () => {
    const lost = (): TraceBuilder => new TraceBuilder().submit(1000, 'toast');
    expect(check('MEAL-7', lost()).verdict).toBe('fail');
    expect(check('MEAL-4', lost()).verdict).toBe('fail');
    expect(check('MEAL-7', expiry(lost(), 2000)).verdict).toBe('pass');
    expect(check('MEAL-4', expiry(lost(), 2000)).verdict).toBe('not-exercised');
  });
  it('does not excuse a token-expiry of another node', () => {
    const b = new TraceBuilder().submit(1000, 'toast');
    b.add(2000, 'fault.start', { entry: 9, kind: 'token-expiry', node: 'c2' });
    expect(check('MEAL-7', b).verdict).toBe('fail');
  });
});

describe('MEAL-4 and MEAL-7 when the storage did not hold the outbox across a restart', () => {
  const submittedThenRestarted = (storage: (b: TraceBuilder) => void): TraceBuilder => {
    const b = new TraceBuilder();
    b.submit(1000, 'toast');
    storage(b);
    return b.restart(10_000);
  };
  it('excuses a meal not uploaded before a restart that lost the storage', () => {
    const b = submittedThenRestarted((x) => x.add(10_000, 'storage.lost', { node: 'c1', entry: 0, keys: 1 }));
    expect(check('MEAL-7', b).verdict).toBe('pass');
    expect(check('MEAL-4', b).verdict).toBe('not-exercised');
  });
  it('excuses it when the last write before the restart failed (quota), not when a later write succeeded', () => {
    const failed = submittedThenRestarted((x) => x.add(1000, 'storage.fail', { node: 'c1', key: 'outbox', bytes: 80, entry: 0 }));
    expect(check('MEAL-7', failed).verdict).toBe('pass');
    const saved = submittedThenRestarted((x) =>
      x.add(1000, 'storage.fail', { node: 'c1', key: 'outbox', bytes: 80, entry: 0 }).add(6000, 'storage.set', { node: 'c1', key: 'outbox', bytes: 80 }),
    );
    expect(check('MEAL-7', saved).verdict).toBe('fail');
    expect(check('MEAL-4', saved).verdict).toBe('fail');
  });
  it('does not excuse a meal the client dropped without a restart', () => {
    const b = new TraceBuilder();
    b.submit(1000, 'toast').add(1000, 'storage.fail', { node: 'c1', key: 'outbox', bytes: 80, entry: 0 });
    expect(check('MEAL-7', b).verdict).toBe('fail');
  });
});

describe('a 2xx whose body a bad-body fault spoiled is a failed answer', () => {
  const spoiledLoad = (spoiled: boolean): TraceBuilder => {
    const b = new TraceBuilder();
    b.verifiedSocket(0);
    const id = b.getId(0); // the launch load: a captive portal's page, or the real listing
    if (spoiled) b.add(20, 'http.edge', { id, entry: 0, body: 'html', status: 200 });
    return b.get(5000); // 5 s later, while the socket is verified and healthy
  };
  it('makes a GET 5 s later the retry of a failed load, not a poll (MEAL-3)', () => {
    expect(check('MEAL-3', spoiledLoad(true)).verdict).toBe('pass');
    expect(check('MEAL-3', spoiledLoad(false)).verdict).toBe('fail');
  });
});

describe('MEAL-10 with the same text submitted twice', () => {
  it('does not take a retry of the first meal for the second meal\u2019s upload', () => {
    const b = new TraceBuilder();
    b.verifiedSocket(0);
    b.submit(1000, 'eggs').post(1000, 'L1', 'eggs', 'c1', 503); // the first meal's upload fails
    const s = b.connect(3000); // a new socket is connecting…
    b.submit(3100, 'eggs').post(3200, 'L1', 'eggs'); // …when the first meal is retried (its local id)
    b.open(4000, s).post(4100, 'L2', 'eggs'); // the second meal waits for the open
    expect(check('MEAL-10', b).verdict).toBe('pass');
  });
  it('still fails the second meal uploaded (a new local id) while the socket is connecting', () => {
    const b = new TraceBuilder();
    b.verifiedSocket(0);
    b.submit(1000, 'eggs').post(1000, 'L1', 'eggs');
    b.connect(3000);
    b.submit(3100, 'eggs').post(3200, 'L2', 'eggs');
    const f = check('MEAL-10', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('uploaded "eggs" (c1/http#2 POST /api/v1/meal-logs/natural) at 3.2 s');
  });
  it('skips a submission it cannot tell apart: an earlier meal with that text was not uploaded yet', () => {
    const b = new TraceBuilder();
    b.connect(0);
    b.submit(100, 'eggs').submit(200, 'eggs').post(300, 'L1', 'eggs');
    // The first submission is judged (uploaded while connecting); the second is ambiguous.
    const f = check('MEAL-10', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).not.toContain('and 1 more');
  });
});
