import { describe, expect, it } from 'vitest';
import { check, openA, TraceBuilder, ts } from './trace-builder.js';

// The audit of issue #12: no checker trusts what the client says about itself where the
// trace or the server's log holds the truth, and none rejects a design the spec permits.
// T = 290 ms and H = 20 s throughout (the builder's default link is 20 ms each way).

/** Pongs every 15 s on `ws` from `from` to `to`: the socket stays healthy. */
function heartbeat(b: TraceBuilder, ws: string, from: number, to: number): void {
  let n = 0;
  for (let t = from; t <= to; t += 15_000) b.frame(t, ws, n++);
}

describe('CHAT-4 catch-up loads are judged from the trace, with a bounded retry', () => {
  it('fails GETs every 190 ms during a REST outage while the socket is healthy (they are polls, not retries)', () => {
    const { b, ws } = openA();
    heartbeat(b, ws, 15_000, 60_000);
    b.get(40, 'A', 503); // the catch-up load after ws.open: it fails
    const first = b.get(230, 'A', 503);
    for (let t = 420; t < 60_000; t += 190) b.get(t, 'A', 503);
    const f = check('CHAT-4', b.ctx({ endAt: 61_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`poll ${first} GET /api/v1/consultations/A/messages at 0.23 s while ${ws} was healthy`);
    expect(f.evidence).toMatch(/and 31\d more violations/);
  });

  it('passes retries of a failed catch-up load after 2, 4, 8, 16, 32 and then every 32 s', () => {
    const { b, ws } = openA();
    heartbeat(b, ws, 15_000, 130_000);
    for (const t of [40, 2040, 6040, 14_040, 30_040, 62_040, 94_040, 126_040]) b.get(t, 'A', 503);
    expect(check('CHAT-4', b.ctx({ endAt: 131_000 })).verdict).toBe('pass');
  });

  it('fails a retry that comes sooner than its backoff, or while the failed attempt is still in flight', () => {
    const early = openA();
    heartbeat(early.b, early.ws, 15_000, 30_000);
    early.b.get(40, 'A', 503);
    early.b.get(2040, 'A', 503); // 1st retry after 2 s: fine
    const soon = early.b.get(4040, 'A', 503); // 2nd retry after 2 s: 4 s were due
    const f = check('CHAT-4', early.b.ctx({ endAt: 31_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`poll ${soon} GET`);
    const overlap = openA();
    heartbeat(overlap.b, overlap.ws, 15_000, 30_000);
    overlap.b.get(40, 'A', 503, 6000); // fails only at 6.04 s
    const eager = overlap.b.get(3040, 'A');
    const g = check('CHAT-4', overlap.b.ctx({ endAt: 31_000 }));
    expect(g.verdict).toBe('fail');
    expect(g.evidence).toContain(`poll ${eager} GET`);
  });

  it('counts one catch-up load per load point: a second GET right after the socket opened is a poll', () => {
    const { b } = openA();
    b.get(40, 'A'); // the load after ws.open
    const second = b.get(500, 'A');
    const f = check('CHAT-4', b.ctx({ endAt: 2000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`poll ${second} GET`);
  });
});

describe('CHAT-2 and CHAT-3 judge by server ids, not the client’s pending flag', () => {
  it('CHAT-2 fails an optimistic copy that claims not to be pending, beside the stored message', () => {
    const { b } = openA();
    b.action(3000, 'send', { text: 'hello' });
    b.post(3000, 'A', 'hello', 'k1', 'm2');
    b.snap(3040, 'A', [
      { id: 'draft-7', cmid: 'k1', role: 'user', content: 'hello', t: 3000, pending: false },
      { id: 'm2', role: 'user', content: 'hello', t: 3020 },
    ]);
    const f = check('CHAT-2', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('optimistic copy draft-7 beside its acknowledged message m2 (clientMessageId k1)');
  });

  it('CHAT-2 passes two stored messages with one clientMessageId (stored again after the server lost its state)', () => {
    const { b } = openA();
    b.post(3000, 'A', 'hello', 'k1', 'm2');
    b.post(9000, 'A', 'hello', 'k1', 'g1-m1');
    b.snap(9040, 'A', [
      { id: 'm2', cmid: 'k1', role: 'user', content: 'hello', t: 3020 },
      { id: 'g1-m1', cmid: 'k1', role: 'user', content: 'hello', t: 9020 },
    ]);
    expect(check('CHAT-2', b.ctx()).verdict).toBe('pass');
  });

  it('CHAT-2 ignores a state that lasted 0 ms (the copy replaced within the same instant)', () => {
    const { b } = openA();
    b.post(3000, 'A', 'hello', 'k1', 'm2');
    b.snap(3040, 'A', [
      { id: 'local:k1', role: 'user', content: 'hello', t: 3000, pending: true },
      { id: 'm2', cmid: 'k1', role: 'user', content: 'hello', t: 3020 },
    ]);
    b.snap(3040, 'A', [{ id: 'm2', cmid: 'k1', role: 'user', content: 'hello', t: 3020 }]);
    expect(check('CHAT-2', b.ctx()).verdict).toBe('pass');
  });

  it('CHAT-3 fails a client that marks every entry pending to dodge the order check', () => {
    const { b } = openA();
    b.stored(1000, 'A', 'm2');
    b.stored(2000, 'A', 'm3');
    b.snap(5000, 'A', [
      { id: 'm3', t: 2000, pending: true },
      { id: 'm2', t: 1000, pending: true },
    ]);
    const f = check('CHAT-3', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`m3 (stored ${ts(2000)}) before m2 (stored ${ts(1000)})`);
  });

  it("CHAT-3 judges the server's timestamps, not the ones the client shows", () => {
    const { b } = openA();
    b.stored(1000, 'A', 'm2');
    b.stored(2000, 'A', 'm3');
    // Shown in server order, with the client's own (local, later-looking) times: fine.
    b.snap(5000, 'A', [
      { id: 'm2', t: 9000 },
      { id: 'm3', t: 8000 },
    ]);
    expect(check('CHAT-3', b.ctx()).verdict).toBe('pass');
    const o = openA();
    o.b.stored(1000, 'A', 'm2');
    o.b.stored(2000, 'A', 'm3');
    // Out of server order, though the shown times look sorted: a violation.
    o.b.snap(5000, 'A', [
      { id: 'm3', t: 1000 },
      { id: 'm2', t: 2000 },
    ]);
    expect(check('CHAT-3', o.b.ctx()).verdict).toBe('fail');
  });
});

describe('CHAT-10 and CHAT-12 count what is shown, whatever pending says', () => {
  it('CHAT-10 counts a stored message shown with pending: true as visible', () => {
    const { b } = openA();
    b.stored(5000, 'A', 'm2');
    b.snap(6000, 'A', [{ id: 'm2', t: 5000, pending: true }]);
    b.heal(10_000);
    expect(check('CHAT-10', b.ctx({ endAt: 80_000 })).verdict).toBe('pass');
  });

  it('CHAT-12 fails a send shown twice: its stored message and a copy that claims not to be pending', () => {
    const { b } = openA();
    b.action(3000, 'send', { text: 'hello' });
    b.post(3000, 'A', 'hello', 'k1', 'm2');
    b.snap(3040, 'A', [
      { id: 'm2', role: 'user', content: 'hello', t: 3020 },
      { id: 'copy-1', role: 'user', content: 'hello', t: 3000 },
    ]);
    b.heal(10_000);
    const f = check('CHAT-12', b.ctx({ endAt: 80_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('was shown 2 times on c1 at 75.0 s (m2, copy-1); expected once');
  });
});

describe('permitted designs are accepted', () => {
  it('CHAT-1 and CHAT-11 accept an old socket closed asynchronously within T of a switch', () => {
    const { b, ws } = openA();
    b.open(10_000, 'B');
    b.connect(10_000, 'B');
    b.clientClose(10_200, ws); // after an await, 200 ms later
    b.snap(10_000, 'B', []);
    const ctx = b.ctx({ endAt: 20_000 });
    expect(check('CHAT-1', ctx).verdict).toBe('pass');
    expect(check('CHAT-11', ctx).verdict).toBe('pass');
  });

  it('CHAT-1 still fails an old socket left open beyond T', () => {
    const { b, ws } = openA();
    b.open(10_000, 'B');
    b.connect(10_000, 'B');
    b.clientClose(10_400, ws);
    const f = check('CHAT-1', b.ctx({ endAt: 20_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`${ws} (conversation A) was still open 290 ms (T) after c1 opened conversation B at 10.0 s`);
  });

  it('CHAT-5 lets a client hold its polls while the device is offline', () => {
    const { b, ws } = openA();
    b.fault(5000, 0, 'client-offline', { sockets: 'close' });
    b.dropped(5000, ws);
    b.faultEnd(20_000, 0, 'client-offline');
    b.get(20_000, 'A');
    expect(check('CHAT-5', b.ctx({ endAt: 30_000 })).verdict).not.toBe('fail');
  });

  it('CHAT-9 accepts a heartbeat that needs 10 % longer than 20 s', () => {
    const { b, ws } = openA();
    b.add(10_000, 'ws.half-open', { direction: 'both', id: ws });
    b.clientClose(31_900, ws, 4000, 5000); // 21.9 s after it went silent: within 1.1 × H + T = 22.29 s
    expect(check('CHAT-9', b.ctx({ endAt: 60_000 })).verdict).toBe('pass');
  });

  it('CHAT-13 accepts polling intervals with 10 % of jitter', () => {
    const b = new TraceBuilder();
    b.open(0, 'A');
    b.refuse(40, b.connect(0, 'A'));
    for (const t of [40, 9_240, 20_140, 29_340]) b.get(t, 'A');
    expect(check('CHAT-13', b.ctx({ endAt: 30_000 })).verdict).toBe('pass');
  });
});
