import { describe, expect, it } from 'vitest';
import { ALICE, check, TraceBuilder } from './trace-builder.js';

// The rules the real-world faults of issue #14 bring (docs/protocols/live-support.md).
// T = 290 ms (default 20 ms links), P = 2 s, B = 30 s.

/** d1 (agent-1) whose sockets open at +40 and are dropped 200 ms later, one attempt at each of `at`. */
function flapping(at: number[]): TraceBuilder {
  const b = new TraceBuilder().connect(0, 'd1', 'agent-1');
  b.fault(0, 0, 'flapping', { duration: 60_000, after: 200 });
  for (const t of at) b.socketClosed(t + 240, b.socket(t));
  return b;
}

describe('LIVE-14: the dashboard backs off under repeated immediate drops', () => {
  it('fails a dashboard that reconnects every second while each socket dies right after opening', () => {
    const f = check('LIVE-14', flapping(Array.from({ length: 13 }, (_, i) => i * 1240)), 40_000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      "d1's sockets kept dying right after they opened (d1/ws#1 opened at 0.04 s and ended at 0.24 s), yet it made 11 connection attempts between 1.24 s and 13.64 s (d1/ws#2, d1/ws#3, d1/ws#4, d1/ws#5, d1/ws#6, d1/ws#7, d1/ws#8, d1/ws#9, d1/ws#10, d1/ws#11, d1/ws#12): more than 10 within 30.0 s − T — its backoff never grew",
    );
  });

  it('passes an exponential backoff (1, 2, 4, 8, 16, 30 s), a linear one (1, 2, 3 … s) and a fixed delay of 3 s', () => {
    const exp = [0];
    for (const d of [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]) exp.push(exp.at(-1)! + 240 + d);
    expect(check('LIVE-14', flapping(exp), 120_000)).toMatchObject({ verdict: 'pass' });
    const fixed = Array.from({ length: 20 }, (_, i) => i * 3240);
    expect(check('LIVE-14', flapping(fixed), 120_000)).toMatchObject({ verdict: 'pass' });
    const linear = [0];
    for (let d = 1000; d <= 10_000; d += 1000) linear.push(linear.at(-1)! + 240 + d);
    expect(check('LIVE-14', flapping(linear), 120_000)).toMatchObject({ verdict: 'pass' });
  });

  it('lets a backoff start over after a socket stayed open 5 s, and after the user reopened the dashboard', () => {
    const b = flapping([0, 1240, 2480]);
    const stable = b.socket(3720);
    b.socketClosed(9000, stable);
    for (const t of [9240, 10_480, 11_720, 12_960]) b.socketClosed(t + 240, b.socket(t));
    b.action(14_000, 'd1', 'disconnectDashboard').connect(14_100, 'd1', 'agent-1');
    for (const t of [14_100, 15_340, 16_580]) b.socketClosed(t + 240, b.socket(t));
    expect(check('LIVE-14', b, 40_000)).toMatchObject({ verdict: 'pass' });
  });

  it('is not exercised when sockets stay open, or drop only once', () => {
    const b = new TraceBuilder().connect(0, 'd1', 'agent-1');
    b.socketClosed(6000, b.socket(0));
    b.socket(7000);
    expect(check('LIVE-14', b, 40_000).verdict).toBe('not-exercised');
  });
});

describe('token expiry: LIVE-10 and LIVE-11 stop judging a node whose token expired', () => {
  it('LIVE-11: a loss after the expiry is not judged; without the expiry the same trace fails', () => {
    const trace = (expired: boolean) => {
      const b = new TraceBuilder().connect(0, 'd1', 'agent-1');
      const s = b.socket(0);
      if (expired) b.fault(5000, 0, 'token-expiry', { node: 'd1' });
      return b.socketClosed(5020, s, 4001);
    };
    expect(check('LIVE-11', trace(true), 40_000).verdict).toBe('not-exercised');
    expect(check('LIVE-11', trace(false), 40_000).verdict).toBe('fail');
  });

  it('LIVE-10: an opening after the expiry (refused with 401) is not judged; an expiry of another node changes nothing', () => {
    const trace = (node: string) => {
      const b = new TraceBuilder(['w1', 'd1', 'd2']).fault(1000, 0, 'token-expiry', { node }).connect(2000, 'd1', 'agent-1');
      b.add(2000, 'ws.connect', { id: 'd1/ws#1', node: 'd1', url: 'ws://lockstep.test/ws/dashboard?token=***' });
      return b;
    };
    expect(check('LIVE-10', trace('d1'), 9000).verdict).toBe('not-exercised');
    expect(check('LIVE-10', trace('d2'), 9000).verdict).toBe('fail');
  });
});

describe('bad bodies and Retry-After', () => {
  /** w1 polls every 2 s from 0; m1 is stored at 3000; the poll at 4000 is answered with the body cut short when `cut`. */
  function cutAnswer(cut: boolean): TraceBuilder {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1');
    b.polls(0, 4000);
    b.stored(3000, { id: 'm1', role: 'agent', owner: 'agent-1' });
    b.poll(4000);
    if (cut) b.add(4020, 'http.edge', { body: 'truncated', bytes: 50, entry: 0, id: 'w1/http#3', status: 200 });
    return b.widget(100, 'w1', []);
  }

  it('LIVE-7: an answer cut short lists no message; the same answer whole does', () => {
    expect(check('LIVE-7', cutAnswer(true), 6000).verdict).toBe('not-exercised');
    expect(check('LIVE-7', cutAnswer(false), 6000).verdict).toBe('fail');
  });

  /** w1 polls at 0 and 2000; the one at 2000 is answered by the edge 503 with `Retry-After: seconds`; the next poll is at `next`. */
  function retryAfter(seconds: number, next: number): TraceBuilder {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1');
    b.poll(0);
    const id = b.request(2000, 'w1', 'GET', '/api/users/alice%40example.com/chats');
    b.add(2020, 'http.edge', { entry: 0, id, retryAfter: seconds, status: 503 });
    b.add(2040, 'http.response', { id, status: 503, via: 'edge' });
    return b.poll(next);
  }

  it('LIVE-8: a widget may honour a Retry-After longer than 30 s; past it (or past 30 s without one) it fails', () => {
    expect(check('LIVE-8', retryAfter(60, 61_000), 63_000)).toMatchObject({ verdict: 'pass' });
    expect(check('LIVE-8', retryAfter(60, 63_000), 64_000).evidence).toMatch(
      /no poll between 2\.0 s and 63\.0 s \(poll w1\/http#3\); after poll w1\/http#2 was answered 503 with Retry-After: 60 at 2\.04 s the next was due by 62\.33 s/,
    );
    expect(check('LIVE-8', retryAfter(5, 40_000), 41_000).verdict).toBe('fail');
  });
});
