import { describe, expect, it } from 'vitest';
import { check, openA, TraceBuilder } from './trace-builder.js';

// The rule changes of issue #14 (docs/protocols/chat.md, "How the checkers read a trace"):
// one violating and one conforming trace per change.

/** Conversation A opened at 0 whose first socket is refused at 40 ms: the fallback runs. */
function down(): { b: TraceBuilder; ws: string } {
  const b = new TraceBuilder();
  b.open(0, 'A');
  const ws = b.connect(0, 'A');
  b.get(0, 'A');
  b.refuse(40, ws);
  return { b, ws };
}

/** The kernel's `bad-body` edge: exchange `id` was answered 200 with a captive portal's HTML. */
function htmlBody(b: TraceBuilder, t: number, id: string): void {
  b.add(t, 'http.edge', { body: 'html', entry: 0, id, status: 200 });
}

describe('CHAT-5 a stalled handshake is a failed connect', () => {
  /** A socket that never opens; the client gives up on it (close 1006) at `timeout`, polling then. */
  function stalled(timeout: number): { b: TraceBuilder; ws: string } {
    const b = new TraceBuilder();
    b.open(0, 'A');
    const ws = b.connect(0, 'A');
    b.get(0, 'A'); // the history load: a catch-up load, not a poll
    b.add(timeout, 'ws.close', { code: 1006, id: ws, side: 'client', wasClean: false, why: 'connect timeout' });
    return { b, ws };
  }

  it('fails a connect timeout of 8 s: the first poll is due by connect + 3 s + 3 s + T', () => {
    const { b, ws } = stalled(8000);
    b.get(8000, 'A');
    const f = check('CHAT-5', b.ctx({ endAt: 12_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`${ws} (conversation A) was still connecting at 3.0 s, 3 s after its connect at 0.0 s`);
    expect(f.evidence).toContain('by 6.29 s');
  });

  it('fails a handshake that hangs for the whole run with no poll', () => {
    const b = new TraceBuilder();
    b.open(0, 'A');
    b.connect(0, 'A');
    b.get(0, 'A');
    expect(check('CHAT-5', b.ctx({ endAt: 12_000 })).verdict).toBe('fail');
  });

  it('passes a 5 s connect timeout followed by a poll, and a poll while the handshake is pending', () => {
    const timeout = stalled(5000);
    timeout.b.get(5000, 'A');
    expect(check('CHAT-5', timeout.b.ctx({ endAt: 12_000 })).verdict).toBe('pass');
    const pending = new TraceBuilder();
    pending.open(0, 'A');
    pending.connect(0, 'A');
    pending.get(0, 'A');
    pending.get(3100, 'A');
    pending.get(6100, 'A');
    expect(check('CHAT-5', pending.ctx({ endAt: 12_000 })).verdict).toBe('pass');
  });
});

describe('CHAT-6 the user action that ends an auth error starts a new loop', () => {
  /** The loop stops at a 401 at 3.04 s; the user sends at 4 s and polling starts again at once. */
  function afterAuth(): TraceBuilder {
    const { b } = down();
    b.get(40, 'A');
    b.get(3040, 'A', 401);
    b.action(4000, 'send', { text: 'hi' });
    b.post(4000, 'A', 'hi', 'k1', 'm2');
    b.get(4000, 'A');
    return b;
  }

  it('passes a poll right after the send that ends the auth error (960 ms after the 401 poll)', () => {
    const b = afterAuth();
    b.get(6000, 'A');
    expect(check('CHAT-6', b.ctx({ endAt: 7000 })).verdict).toBe('pass');
  });

  it('fails when the old loop polls on beside the new one', () => {
    const b = afterAuth();
    const old = b.get(5040, 'A');
    const f = check('CHAT-6', b.ctx({ endAt: 7000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`poll ${old} GET /api/v1/consultations/A/messages at 5.04 s started only 1.04 s after poll`);
  });
});

describe('CHAT-8 the failure count resets only at a stable socket', () => {
  /** ws#1 opens at 40 and drops at 5 s (failure 1); ws#2 connects at 7 s, opens at 7.04 s and drops `uptime` later. */
  function secondSocketUp(uptime: number): { b: TraceBuilder; drop: number } {
    const { b, ws } = openA();
    b.dropped(5000, ws);
    b.get(5000, 'A');
    const ws2 = b.socket(7000, 'A');
    const drop = 7040 + uptime;
    b.dropped(drop, ws2);
    return { b, drop };
  }

  it('fails a 2 s backoff after a socket that died 2 s after its open (flapping: failure 2 in a row)', () => {
    const { b, drop } = secondSocketUp(2000);
    const ws3 = b.connect(drop + 2000, 'A');
    const f = check('CHAT-8', b.ctx({ endAt: drop + 5000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`${ws3} connected at 11.04 s`);
    expect(f.evidence).toContain('(failure 2 in a row); the backoff is 4.0 s');
  });

  it('passes a 4 s backoff after a socket that died 2 s after its open', () => {
    const { b, drop } = secondSocketUp(2000);
    b.connect(drop + 4000, 'A');
    expect(check('CHAT-8', b.ctx({ endAt: drop + 6000 })).verdict).toBe('pass');
  });

  it('fails a 4 s backoff after a socket that stayed open 11 s (it must reset the count)', () => {
    const { b, drop } = secondSocketUp(11_000);
    const ws3 = b.connect(drop + 4000, 'A');
    const f = check('CHAT-8', b.ctx({ endAt: drop + 6000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`${ws3} connected at 22.04 s`);
    expect(f.evidence).toContain('(failure 1 in a row); the backoff is 2.0 s');
  });

  it('passes a 2 s backoff after a socket that stayed open 11 s', () => {
    const { b, drop } = secondSocketUp(11_000);
    b.connect(drop + 2000, 'A');
    expect(check('CHAT-8', b.ctx({ endAt: drop + 6000 })).verdict).toBe('pass');
  });

  it('accepts either count after a socket open 6 s (it may reset)', () => {
    for (const wait of [2000, 4000]) {
      const { b, drop } = secondSocketUp(6000);
      b.connect(drop + wait, 'A');
      expect(check('CHAT-8', b.ctx({ endAt: drop + 6000 })).verdict, `reconnect after ${wait} ms`).toBe('pass');
    }
  });
});

describe('CHAT-12 what a fault took away is not required back', () => {
  /** "hello" sent at 3 s and stored as m2; the server restarts at 6 s with `state`; the end shows only m1. */
  function serverRestart(state: 'keep' | 'lose'): TraceBuilder {
    const { b } = openA();
    b.action(3000, 'send', { text: 'hello' });
    b.post(3000, 'A', 'hello', 'k1', 'm2');
    b.add(6000, 'server.restart', { state });
    b.snap(7000, 'A', [{ id: 'm1' }]);
    b.heal(10_000);
    return b;
  }

  it('passes a stored message the server forgot in a state-losing restart and the client no longer shows', () => {
    expect(check('CHAT-12', serverRestart('lose').ctx({ endAt: 80_000 })).verdict).toBe('pass');
  });

  it('fails the same missing message after a restart that kept the state', () => {
    const f = check('CHAT-12', serverRestart('keep').ctx({ endAt: 80_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('was shown not at all on c1 at 75.0 s; expected once');
  });

  /** "hello" sent offline at 3 s (no POST); the app restarts at 5 s (`wipe`: its storage lost) and reopens A. */
  function appRestart(wipe: 'lost' | 'fail' | 'none'): TraceBuilder {
    const { b } = openA();
    b.action(3000, 'send', { text: 'hello' });
    if (wipe === 'fail') b.add(3000, 'storage.fail', { node: 'c1', key: 'outbox', reason: 'quota' });
    b.action(5000, 'restart');
    b.add(5000, 'client.restart', { node: 'c1' });
    if (wipe === 'lost') b.add(5000, 'storage.lost', { node: 'c1' });
    b.open(5500, 'A');
    b.snap(5600, 'A', [{ id: 'm1' }]);
    b.heal(10_000);
    return b;
  }

  it('passes a send lost with a storage wiped at the restart, or whose storage write failed', () => {
    expect(check('CHAT-12', appRestart('lost').ctx({ endAt: 80_000 })).verdict).toBe('pass');
    expect(check('CHAT-12', appRestart('fail').ctx({ endAt: 80_000 })).verdict).toBe('pass');
  });

  it('fails a send lost across a restart that kept the storage', () => {
    const f = check('CHAT-12', appRestart('none').ctx({ endAt: 80_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('"hello" (sent once by c1 in conversation A, at 3.0 s)');
  });
});

describe('a 200 answer with a body the client cannot use is a failed poll', () => {
  it('CHAT-4: passes the retry of a catch-up load answered with HTML while the socket is healthy', () => {
    const { b } = openA();
    const load = b.get(40, 'A');
    htmlBody(b, 60, load);
    b.get(2040, 'A'); // the first retry of the failed load, after 2 s
    expect(check('CHAT-4', b.ctx({ endAt: 5000 })).verdict).toBe('pass');
  });

  it('CHAT-4: fails the same GET after a usable answer (a poll while the socket is healthy)', () => {
    const { b } = openA();
    b.get(40, 'A');
    const poll = b.get(2040, 'A');
    const f = check('CHAT-4', b.ctx({ endAt: 5000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`poll ${poll} GET`);
  });

  it('CHAT-18: fails a client whose polling stops at an HTML answer, passes one that polls on', () => {
    const stops = down();
    const html = stops.b.get(40, 'A');
    htmlBody(stops.b, 60, html);
    const f = check('CHAT-18', stops.b.ctx({ endAt: 30_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`${html} GET /api/v1/consultations/A/messages at 0.04 s ended (200 at 0.08 s)`);
    const goesOn = down();
    for (const t of [40, 3080, 6120, 9160, 12_200, 15_240, 18_280, 21_320, 24_360, 27_400]) htmlBody(goesOn.b, t + 20, goesOn.b.get(t, 'A'));
    expect(check('CHAT-18', goesOn.b.ctx({ endAt: 30_000 })).verdict).toBe('pass');
  });
});

describe('CHAT-20 Retry-After is kept (SHOULD)', () => {
  /** The fallback's poll at 40 ms is answered 503 with `Retry-After: seconds` at 80 ms. */
  function shed(seconds: number): TraceBuilder {
    const { b } = down();
    const shedPoll = b.get(40, 'A', 503);
    b.add(60, 'http.edge', { entry: 0, id: shedPoll, retryAfter: seconds, status: 503 });
    return b;
  }

  it('fails a poll 3 s after a Retry-After of 5 s', () => {
    const b = shed(5);
    const early = b.get(3080, 'A');
    const f = check('CHAT-20', b.ctx({ endAt: 20_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`${early} GET /api/v1/consultations/A/messages at 3.08 s`);
    expect(f.evidence).toContain('Retry-After: 5');
  });

  it('passes a poll once the wait passed, and a wait over 10 s capped at 10 s', () => {
    const b = shed(5);
    b.get(5080, 'A');
    expect(check('CHAT-20', b.ctx({ endAt: 20_000 })).verdict).toBe('pass');
    const capped = shed(120);
    capped.get(10_080, 'A');
    expect(check('CHAT-20', capped.ctx({ endAt: 20_000 })).verdict).toBe('pass');
  });

  it('is not exercised without a Retry-After answer', () => {
    const { b } = down();
    b.get(40, 'A', 503);
    b.get(3080, 'A');
    expect(check('CHAT-20', b.ctx({ endAt: 20_000 })).verdict).toBe('not-exercised');
  });
});
