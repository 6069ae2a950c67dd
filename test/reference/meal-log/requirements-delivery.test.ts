import { describe, expect, it } from 'vitest';
import { skipMessage } from '../../../src/reference/meal-log/server-core.js';
import { check, completed, processing, TraceBuilder } from './trace-builder.js';

// The delivery requirements: MEAL-4, MEAL-6 (server), MEAL-7, MEAL-10, MEAL-16. T = 290 ms; B = 120.29 s.

describe('MEAL-4: every meal reaches its final status in the view', () => {
  const base = (): TraceBuilder => {
    const b = new TraceBuilder();
    b.verifiedSocket(0);
    b.meal(1000, 'eggs').snap(1040, [processing()], { verified: true });
    return b.finish(27_000);
  };
  it('fails a meal still shown as processing B after the heal', () => {
    const f = check('MEAL-4', base());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('meal ml-1 ("eggs") was completed on the server at 27.0 s, but at 180.29 s');
    expect(f.evidence).toContain('showed it as processing');
  });
  it('fails a submitted meal that never reached the server', () => {
    const b = new TraceBuilder();
    b.submit(1000, 'toast');
    expect(check('MEAL-4', b).evidence).toContain('the meal "toast" that c1 submitted at 1.0 s never reached the server');
  });
  it('passes a meal shown completed, by backend id or by local id', () => {
    expect(check('MEAL-4', base().snap(27_100, [completed()], { verified: true })).verdict).toBe('pass');
    expect(check('MEAL-4', base().snap(27_100, [{ localId: 'L1', status: 'completed' }], { verified: true })).verdict).toBe('pass');
  });
});

describe('MEAL-6 (server): the registry and lost completions', () => {
  it('fails a skip while an acknowledged socket of the user is open (the document\u2019s bug)', () => {
    const b = new TraceBuilder();
    b.verifiedSocket(300);
    b.finish(26_000).log(26_000, skipMessage, { mealLogId: 'ml-1', userId: 'user-c1' });
    const f = check('MEAL-6', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(
      'reported user user-c1 as not connected for meal ml-1 at 26.0 s and skipped the notification, but it had acknowledged c1/ws#1 at 0.32 s',
    );
  });
  it('fails a completion not sent when the user connects again', () => {
    const b = new TraceBuilder();
    b.finish(26_000).log(26_000, 'notification.deferred', { mealLogId: 'ml-1', userId: 'user-c1' });
    b.verifiedSocket(30_000);
    expect(check('MEAL-6', b).evidence).toContain('was not sent when the user connected again (c1/ws#1 acknowledged at 30.02 s)');
  });
  it('fails a skipped completion that is never sent', () => {
    const b = new TraceBuilder();
    b.finish(26_000).log(26_000, skipMessage, { mealLogId: 'ml-1', userId: 'user-c1' });
    expect(check('MEAL-6', b).evidence).toContain('never sent it: the completion was lost');
  });
  it('passes a completion kept and sent on the next registration, and one pushed at once', () => {
    const b = new TraceBuilder();
    b.finish(26_000).log(26_000, 'notification.deferred', { mealLogId: 'ml-1', userId: 'user-c1' });
    const a = b.verifiedSocket(30_000);
    // sent in the instant of the acknowledgement (30.02 s), right after it
    b.push(30_040, a);
    // the frame's ws.send is 20 ms before its arrival, so at 50 s exactly: notified in the same instant
    b.finish(50_000, 'ml-2', 'failed').push(50_020, a, 'ml-2', 'failed', 'L2');
    expect(check('MEAL-6', b).verdict).toBe('pass');
  });
  it('fails a finished meal neither notified nor reported', () => {
    const b = new TraceBuilder();
    expect(check('MEAL-6', b.finish(26_000)).evidence).toContain('neither notified a connection nor reported the user as not connected');
  });
});

describe('MEAL-7: each meal created exactly once', () => {
  it('fails a meal created twice (a retry under a new local id)', () => {
    const b = new TraceBuilder();
    b.submit(1000, 'eggs');
    b.created(1020, 'ml-1', 'L1', 'eggs', 'c1/http#1').created(16_000, 'ml-2', 'L2', 'eggs', 'c1/http#2');
    const f = check('MEAL-7', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(
      'created the meal "eggs" that c1 submitted once 2 times: ml-1 (local id L1) at 1.02 s, ml-2 (local id L2) at 16.0 s',
    );
  });
  it('passes a retry the server recognised as a duplicate', () => {
    const b = new TraceBuilder();
    b.submit(1000, 'eggs');
    b.created(1020, 'ml-1', 'L1', 'eggs', 'c1/http#1').log(16_000, 'meal.duplicate', { id: 'ml-1', localId: 'L1' });
    expect(check('MEAL-7', b).verdict).toBe('pass');
  });
});

describe('MEAL-4 and MEAL-7: statuses that may end retrying; a server that lost its state', () => {
  const givenUp = (answer: (b: TraceBuilder) => void): TraceBuilder => {
    const b = new TraceBuilder();
    b.submit(1000, 'eggs');
    answer(b);
    return b;
  };
  it('excuses a meal given up after a fault plan\u2019s edge answered its upload with a 4xx other than 408 and 429', () => {
    for (const status of [400, 401, 404, 422]) {
      const b = givenUp((x) => x.edgePost(1000, status));
      expect(check('MEAL-7', b).verdict).toBe('pass');
      expect(check('MEAL-4', b).verdict).toBe('not-exercised');
    }
  });
  it('still fails a meal given up after a 5xx, 408 or 429 from the edge, or after the server\u2019s own 400 (a malformed upload)', () => {
    for (const status of [503, 500, 408, 429]) {
      const b = givenUp((x) => x.edgePost(1000, status));
      expect(check('MEAL-7', b).verdict).toBe('fail');
      expect(check('MEAL-4', b).verdict).toBe('fail');
    }
    const b = givenUp((x) => x.post(1000, 'L1', 'eggs', 'c1', 400));
    expect(check('MEAL-7', b).evidence).toContain('the meal "eggs" that c1 submitted at 1.0 s was never created on the server');
    expect(check('MEAL-4', b).verdict).toBe('fail');
  });
  it('excuses one meal per edge 4xx answer', () => {
    const b = givenUp((x) => x.edgePost(1000, 400));
    b.submit(2000, 'toast');
    expect(check('MEAL-7', b).verdict).toBe('fail');
  });
  it('counts creations per server state: uploading again a meal the server lost is not a duplicate', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs').serverRestart(10_000, 'lose');
    const p = b.post(20_000, 'L1', 'eggs');
    b.created(20_020, 'g2-ml-1', 'L1', 'eggs', p);
    expect(check('MEAL-7', b).verdict).toBe('pass');
    b.created(30_000, 'g2-ml-2', 'L2', 'eggs', 'c1/http#9');
    expect(check('MEAL-7', b).evidence).toContain(
      'created the meal "eggs" that c1 submitted once 2 times since the server lost its state at 10.0 s: g2-ml-1',
    );
    const kept = new TraceBuilder();
    kept.meal(1000, 'eggs').serverRestart(10_000, 'keep');
    kept.created(20_020, 'ml-2', 'L1', 'eggs', kept.post(20_000, 'L1', 'eggs'));
    expect(check('MEAL-7', kept).verdict).toBe('fail');
  });
  it('does not judge a finished meal the server lost in a restart: the client may drop it', () => {
    const b = new TraceBuilder();
    b.verifiedSocket(0);
    b.meal(1000, 'eggs').snap(1040, [processing()], { verified: true }).finish(27_000);
    b.snap(27_100, [completed()], { verified: true }).snap(45_000, [], { verified: true });
    expect(check('MEAL-4', b).verdict).toBe('fail');
    b.serverRestart(40_000, 'lose');
    expect(check('MEAL-4', b).verdict).toBe('not-exercised');
  });
});

describe('MEAL-10 (SHOULD): a submission waits for a connection in progress', () => {
  it('fails an upload while the socket is still connecting', () => {
    const b = new TraceBuilder();
    b.connect(0);
    b.submit(100, 'eggs').post(100, 'L1', 'eggs');
    const f = check('MEAL-10', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(
      'uploaded "eggs" (c1/http#1 POST /api/v1/meal-logs/natural) at 0.1 s, 0 ms after the submission, while c1/ws#1 was still connecting',
    );
  });
  it('passes an upload after the socket was verified, or as soon as it opened (the document waits on isWebSocketConnecting only)', () => {
    const b = new TraceBuilder();
    const a = b.connect(0);
    b.submit(100, 'eggs').open(500, a).frame(500, a, { type: 'connected', userId: 'user-c1' }).post(500, 'L1', 'eggs');
    expect(check('MEAL-10', b).verdict).toBe('pass');
    const open = new TraceBuilder();
    const s = open.connect(0);
    open.submit(100, 'eggs').open(500, s).post(500, 'L1', 'eggs');
    open.frame(800, s, { type: 'connected', userId: 'user-c1' });
    expect(check('MEAL-10', open).verdict).toBe('pass');
  });
});

describe('MEAL-16: a pushed completion is shown at once', () => {
  const pushed = (): { b: TraceBuilder; a: string } => {
    const b = new TraceBuilder();
    const a = b.verifiedSocket(0);
    b.meal(1000, 'eggs').snap(1040, [processing()], { verified: true }).finish(27_000).push(27_020, a);
    return { b, a };
  };
  it('fails a completion shown only 3 s after it arrived', () => {
    const { b } = pushed();
    b.snap(30_020, [completed()], { verified: true });
    const f = check('MEAL-16', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'c1 received meal_log_completed for meal ml-1 on c1/ws#1 at 27.02 s, but showed it completed only at 30.02 s: due within 1.29 s, by 28.31 s',
    );
  });
  it('passes a completion shown in the instant it arrived', () => {
    const { b } = pushed();
    b.snap(27_020, [completed()], { verified: true });
    expect(check('MEAL-16', b).verdict).toBe('pass');
  });
  it('passes the document\u2019s refresh: a listing started on the push, the meal shown when it is answered', () => {
    const { b } = pushed();
    b.get(27_020, { dur: 2500 }).snap(29_520, [completed()], { verified: true });
    expect(check('MEAL-16', b).verdict).toBe('pass');
  });
  it('does not judge a push whose refresh failed, nor one the view already showed', () => {
    const { b } = pushed();
    b.get(27_020, { fail: true, dur: 10_000 });
    expect(check('MEAL-16', b).verdict).toBe('not-exercised');
    const early = new TraceBuilder();
    const a = early.verifiedSocket(0);
    early.meal(1000, 'eggs').snap(26_000, [completed()], { verified: true }).push(27_020, a);
    expect(check('MEAL-16', early).verdict).toBe('pass');
  });
});
