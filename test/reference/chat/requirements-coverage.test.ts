import { describe, expect, it } from 'vitest';
import { check, openA, TraceBuilder } from './trace-builder.js';

// CHAT-15 … CHAT-19: behaviour the documents require that CHAT-1 … CHAT-14 left unjudged.
// Each has a violating and a conforming trace. T = 290 ms (20 ms links), H = 20 s.

describe('CHAT-15 the client uses the WebSocket', () => {
  it('fails a client that opens a conversation and only polls', () => {
    const b = new TraceBuilder();
    b.open(0, 'A');
    b.get(0, 'A');
    b.get(3000, 'A');
    b.get(6000, 'A');
    const f = check('CHAT-15', b.ctx({ endAt: 10_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'c1 opened conversation A at 0.0 s with nothing hindering a WebSocket, and no socket of it was open by 1.58 s (1 s + 2T = 1.58 s): it never connected one',
    );
    expect(b.events[f.seq!]).toMatchObject({ ev: 'client.action', do: 'openConversation' });
  });

  it('fails a client that drops its socket while nothing hinders it, so new messages reach no socket', () => {
    const { b, ws } = openA();
    b.clientClose(3000, ws);
    const stored = b.stored(5000, 'A', 'm2');
    const f = check('CHAT-15', b.ctx({ endAt: 10_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `1 message the server stored for conversation A while nothing hindered a WebSocket (m2, the first at 5.0 s) reached no socket of c1: ${ws} opened at 0.04 s and was closed by the client (code 1000) at 3.0 s`,
    );
    expect(f.seq).toBe(stored.seq);
  });

  it('passes a socket open at once that carries every new message', () => {
    const { b, ws } = openA();
    b.stored(5000, 'A', 'm2');
    b.pushed(5000, ws, 'm2', 'A', 0);
    const f = check('CHAT-15', b.ctx({ endAt: 10_000 }));
    expect(f.verdict).toBe('pass');
    expect(f.evidence).toContain('1 message stored meanwhile reached it');
  });

  it('stops judging delivery at the first hindrance, and does not judge an open under a fault', () => {
    const { b, ws } = openA();
    b.fault(4000, 0, 'partition', { duration: 10_000 });
    b.clientClose(4500, ws, 4000);
    b.stored(5000, 'A', 'm2'); // nobody could expect it over a socket now
    expect(check('CHAT-15', b.ctx({ endAt: 10_000 })).verdict).toBe('pass');
    const refused = new TraceBuilder();
    refused.fault(0, 0, 'ws-refuse', { duration: 60_000 });
    refused.open(0, 'A');
    refused.refuse(40, refused.connect(0, 'A'));
    expect(check('CHAT-15', refused.ctx({ endAt: 10_000 })).verdict).toBe('not-exercised');
  });
});

describe('CHAT-16 the WebSocket is tried again after coming back online', () => {
  function offline(): { b: TraceBuilder; ws: string } {
    const { b, ws } = openA();
    b.fault(10_000, 0, 'client-offline', { sockets: 'close' });
    b.dropped(10_000, ws);
    b.faultEnd(20_000, 0, 'client-offline');
    return { b, ws };
  }

  it('fails a client that never connects again after the device is back online', () => {
    const { b } = offline();
    b.get(20_000, 'A');
    const f = check('CHAT-16', b.ctx({ endAt: 60_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'c1 came back online at 20.0 s (fault entry 0) with conversation A open and no socket, and did not try the WebSocket again within 1.1 × 32 s + T (35.49 s, by 55.49 s); it never connected again',
    );
    expect(f.at).toBe(20_000);
  });

  it('passes a reconnect at once, and one at the next step of a backoff still running', () => {
    const now = offline();
    now.b.socket(20_000, 'A');
    expect(check('CHAT-16', now.b.ctx({ endAt: 60_000 })).verdict).toBe('pass');
    const later = offline();
    later.b.socket(50_000, 'A');
    expect(check('CHAT-16', later.b.ctx({ endAt: 60_000 })).verdict).toBe('pass');
  });

  it('is not exercised when the socket survived (stalled) or the run ends too soon', () => {
    const { b } = openA();
    b.fault(10_000, 0, 'client-offline', { sockets: 'stall' });
    b.faultEnd(20_000, 0, 'client-offline');
    expect(check('CHAT-16', b.ctx({ endAt: 60_000 })).verdict).toBe('not-exercised');
    const short = offline();
    expect(check('CHAT-16', short.b.ctx({ endAt: 30_000 })).verdict).toBe('not-exercised');
  });
});

describe('CHAT-17 polling is never faster than the 3 s interval', () => {
  function polling(times: number[], send?: number): TraceBuilder {
    const b = new TraceBuilder();
    b.open(0, 'A');
    b.get(0, 'A');
    b.refuse(40, b.connect(0, 'A'));
    if (send !== undefined) b.action(send, 'send', { text: 'hi' });
    for (const t of times) b.get(t, 'A');
    return b;
  }

  it('fails polls 500 ms apart', () => {
    const b = polling([40, 540, 1040, 1540]);
    const f = check('CHAT-17', b.ctx({ endAt: 2000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'poll c1/http#3 GET /api/v1/consultations/A/messages at 0.54 s started only 500 ms after poll c1/http#2 at 0.04 s, with no message sent within 30 s: at least 0.9 × 3 s − T = 2.41 s expected (and 2 more violations)',
    );
  });

  it('passes 3 s polls, polls 10 % early, and 2 s polls within 30 s after a send', () => {
    expect(check('CHAT-17', polling([40, 3040, 6040]).ctx({ endAt: 7000 })).verdict).toBe('pass');
    expect(check('CHAT-17', polling([40, 2740, 5440]).ctx({ endAt: 7000 })).verdict).toBe('pass');
    const fast = polling([40, 2040, 4040, 6040, 40_000, 43_000], 20);
    expect(check('CHAT-17', fast.ctx({ endAt: 44_000 })).verdict).toBe('pass');
  });

  it('fails 2 s polls long after the last send', () => {
    const b = polling([40, 2040, 34_000, 36_000], 20);
    const f = check('CHAT-17', b.ctx({ endAt: 37_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('at 36.0 s started only 2.0 s after poll');
  });

  it('is not exercised when every pair of polls falls within 30 s of a send', () => {
    expect(check('CHAT-17', polling([40, 2040], 20).ctx({ endAt: 3000 })).verdict).toBe('not-exercised');
  });
});

describe('CHAT-18 polling continues through errors', () => {
  function down(): TraceBuilder {
    const b = new TraceBuilder();
    b.open(0, 'A');
    b.get(0, 'A');
    b.refuse(40, b.connect(0, 'A'));
    return b;
  }

  it('fails a client that stops polling after a failed poll', () => {
    const b = down();
    const failed = b.get(40, 'A', 503);
    const f = check('CHAT-18', b.ctx({ endAt: 30_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `${failed} GET /api/v1/consultations/A/messages at 0.04 s ended (503 at 0.08 s) while no socket of conversation A was open, and no poll followed within 1.1 × 10 s + T (11.29 s, by 11.37 s): polling stopped`,
    );
  });

  it('passes polls that go on every 10 s through errors', () => {
    const b = down();
    for (const t of [40, 10_080, 20_120]) b.get(t, 'A', 503);
    expect(check('CHAT-18', b.ctx({ endAt: 30_000 })).verdict).toBe('pass');
  });

  it('is not exercised when a socket opens within the window, or before any socket failed', () => {
    const b = down();
    b.get(40, 'A', 503);
    b.socket(5000, 'A');
    expect(check('CHAT-18', b.ctx({ endAt: 30_000 })).verdict).toBe('not-exercised');
    const { b: healthy } = openA();
    expect(check('CHAT-18', healthy.ctx({ endAt: 30_000 })).verdict).toBe('not-exercised');
  });
});

describe('CHAT-19 a sent message is shown at once', () => {
  it('fails when the message appears only once the server has it', () => {
    const { b } = openA();
    const send = b.add(3000, 'client.action', { args: { text: 'hello' }, do: 'send', node: 'c1' });
    b.post(3000, 'A', 'hello', 'k1', 'm2');
    b.snap(3600, 'A', [{ id: 'm2', role: 'user', content: 'hello', t: 3020 }]);
    const f = check('CHAT-19', b.ctx({ endAt: 5000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'c1 sent "hello" at 3.0 s in conversation A, and it was not shown within T (290 ms, by 3.29 s); it appeared at 3.6 s',
    );
    expect(f.seq).toBe(send.seq);
  });

  it('passes an optimistic copy shown at once, and a second send of the same text', () => {
    const { b } = openA();
    b.action(3000, 'send', { text: 'hello' });
    b.snap(3000, 'A', [{ id: 'local:k1', role: 'user', content: 'hello', t: 3000, pending: true }]);
    b.action(4000, 'send', { text: 'hello' });
    b.snap(4000, 'A', [
      { id: 'local:k1', role: 'user', content: 'hello', t: 3000, pending: true },
      { id: 'local:k2', role: 'user', content: 'hello', t: 4000, pending: true },
    ]);
    expect(check('CHAT-19', b.ctx({ endAt: 5000 })).verdict).toBe('pass');
  });

  it('fails a second send of the same text that is not shown', () => {
    const { b } = openA();
    b.action(3000, 'send', { text: 'hello' });
    b.snap(3000, 'A', [{ id: 'local:k1', role: 'user', content: 'hello', t: 3000, pending: true }]);
    b.action(4000, 'send', { text: 'hello' });
    expect(check('CHAT-19', b.ctx({ endAt: 5000 })).verdict).toBe('fail');
  });

  it('is not exercised without a send while a conversation is open', () => {
    const { b } = openA();
    b.action(3000, 'closeConversation');
    b.action(3500, 'send', { text: 'into the void' });
    expect(check('CHAT-19', b.ctx({ endAt: 5000 })).verdict).toBe('not-exercised');
  });
});
