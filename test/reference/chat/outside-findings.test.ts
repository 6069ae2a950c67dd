import { describe, expect, it } from 'vitest';
import { check, openA, TraceBuilder, url } from './trace-builder.js';

// Findings of the outside team's two independent clients (test/independent/chat): each
// checker change has a trace it must still fail and the permitted behaviour it now accepts.
// Default link: T = 290 ms.

/** A request answered `status` after `after` ms. */
function answered(b: TraceBuilder, t: number, method: string, conversation: string, status: number, after = 40): string {
  const id = b.request(t, method, conversation);
  b.add(t + after, 'http.response', { id, status, bytes: 20 });
  return id;
}

describe('a 4001 close starts the auth-error excuse for a client that then stops', () => {
  /** Conversation A open, its socket closed by the server with 4001 at 20 s (close event at 20.03 s). */
  function revoked(): { b: TraceBuilder; ws: string } {
    const { b, ws } = openA();
    b.serverClose(20_000, ws);
    return { b, ws };
  }

  it('CHAT-5: excuses the missing fallback of a client that stops at once', () => {
    const { b } = revoked();
    expect(check('CHAT-5', b.ctx({ endAt: 60_000 })).verdict).toBe('not-exercised');
  });

  it('CHAT-5: fails a client that does not stop and falls back late', () => {
    const { b, ws } = revoked();
    const late = answered(b, 26_000, 'GET', 'A', 401);
    const f = check('CHAT-5', b.ctx({ endAt: 60_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `${ws} (conversation A) closed with 4001 at 20.03 s (unauthorized) and no poll started within 3 s + T (3.29 s, by 23.32 s); the first poll was ${late} GET /api/v1/consultations/A/messages at 26.0 s`,
    );
  });

  it('CHAT-5: excuses a client that stops on a 401 answering its POST before the deadline, not one that stops on a 500', () => {
    const stops = openA();
    stops.b.dropped(5000, stops.ws);
    answered(stops.b, 5500, 'POST', 'A', 401);
    expect(check('CHAT-5', stops.b.ctx({ endAt: 20_000 })).verdict).toBe('not-exercised');
    const quits = openA();
    quits.b.dropped(5000, quits.ws);
    answered(quits.b, 5500, 'POST', 'A', 500);
    expect(check('CHAT-5', quits.b.ctx({ endAt: 20_000 })).verdict).toBe('fail');
  });

  it('CHAT-8: excuses the missing reconnect of a client that stops at once', () => {
    const { b } = revoked();
    expect(check('CHAT-8', b.ctx({ endAt: 60_000 })).verdict).toBe('not-exercised');
  });

  it('CHAT-8: fails a client that goes on (a poll) but never reconnects', () => {
    const { b, ws } = revoked();
    b.request(20_100, 'GET', 'A'); // never answered: no 401 to learn from
    const f = check('CHAT-8', b.ctx({ endAt: 60_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `${ws} (conversation A) closed with 4001 at 20.03 s (unauthorized) (failure 1 in a row) and no reconnect followed by 22.52 s (backoff 2.0 s ±10 % + T)`,
    );
  });

  it('CHAT-10: excuses a message missing on a client that stopped, not on one that went on', () => {
    const stopped = revoked();
    stopped.b.stored(25_000, 'A', 'm2');
    stopped.b.heal(30_000);
    expect(check('CHAT-10', stopped.b.ctx({ endAt: 100_000 })).verdict).toBe('not-exercised');
    const went = revoked();
    went.b.request(20_100, 'GET', 'A');
    went.b.stored(25_000, 'A', 'm2');
    went.b.heal(30_000);
    const f = check('CHAT-10', went.b.ctx({ endAt: 100_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('message m2 (assistant, stored at 25.0 s for conversation A) was not visible on c1 at 95.0 s');
  });

  it('CHAT-14: a 4001 close is no trigger (the client may learn of it from its next 401)', () => {
    const { b } = revoked();
    const poll = answered(b, 20_100, 'GET', 'A', 401);
    expect(check('CHAT-14', b.ctx({ endAt: 60_000 })).verdict).toBe('pass');
    answered(b, 23_000, 'GET', 'A', 401); // after the 401 of its own poll: a violation
    const f = check('CHAT-14', b.ctx({ endAt: 60_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`after ${poll} GET /api/v1/consultations/A/messages got 401 at 20.14 s`);
  });
});

describe('CHAT-14: a 401 answering a request of an earlier session', () => {
  /** A slow poll of A at 5 s, answered 401 at 9 s; `switchAt`: the user opens B before the answer. */
  function late401(switchAt?: number): TraceBuilder {
    const b = new TraceBuilder();
    b.open(0, 'A');
    b.refuse(40, b.connect(0, 'A'));
    b.get(0, 'A');
    answered(b, 5000, 'GET', 'A', 401, 4000);
    if (switchAt !== undefined) {
      b.open(switchAt, 'B');
      b.refuse(switchAt + 40, b.connect(switchAt, 'B'));
      b.get(switchAt, 'B');
    }
    b.add(12_000, 'http.request', { id: 'c1/http#99', method: 'GET', node: 'c1', url: url(switchAt !== undefined ? 'B' : 'A') });
    return b;
  }

  it('fails a request after a 401 answering a request of the same session', () => {
    const f = check('CHAT-14', late401().ctx({ endAt: 20_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('c1/http#99 GET /api/v1/consultations/A/messages at 12.0 s after c1/http#2');
  });

  it('does not start CHAT-14 for the new session when the 401 answers the left conversation', () => {
    expect(check('CHAT-14', late401(7000).ctx({ endAt: 20_000 })).verdict).toBe('not-exercised');
  });
});

describe('CHAT-8 and CHAT-16: a count that went on through a return online', () => {
  /**
   * Refused sockets ws#1 … ws#4 at 0/2/4/8 s backoff (ws#4 fails at 14.16 s); the device is
   * offline 16–20 s with no socket; the 16 s backoff still running fires ws#5 at 30.16 s
   * (refused at 30.2 s: failure 5 by the continued count, 1 by a reset one); then `next`
   * (ms after 30.2 s), when given, connects ws#6, refused too.
   */
  function wentOn(next?: number): TraceBuilder {
    const b = new TraceBuilder();
    b.open(0, 'A');
    b.get(0, 'A');
    b.fault(16_000, 0, 'client-offline', { sockets: 'close' });
    b.faultEnd(20_000, 0, 'client-offline');
    let t = 0;
    b.refuse(t + 40, b.connect(t, 'A'));
    for (const w of [2000, 4000, 8000, 16_000]) {
      t += 40 + w;
      b.refuse(t + 40, b.connect(t, 'A'));
    }
    if (next !== undefined) b.refuse(30_200 + next + 40, b.connect(30_200 + next, 'A'));
    return b;
  }

  it('CHAT-8: accepts the continued count — the 32 s step, then no attempt after the 6th failure', () => {
    expect(check('CHAT-8', wentOn(32_000).ctx({ endAt: 150_000 })).verdict).toBe('pass');
  });

  it('CHAT-8: accepts stopping after the 6th failure by the continued count when the reset count is still open', () => {
    // The app returns to the foreground at 40 s, after ws#5 failed: ws#6 (the 32 s step,
    // still running) is free of the bounds, and after its failure the count is 6 (went on)
    // or 1–2 (reset): stopping is allowed.
    const b = wentOn();
    b.fault(35_000, 1, 'app-background');
    b.faultEnd(40_000, 1, 'app-background');
    b.refuse(62_240, b.connect(62_200, 'A'));
    expect(check('CHAT-8', b.ctx({ endAt: 150_000 })).verdict).toBe('pass');
  });

  it('CHAT-8: judges a client by the count its reconnect showed — the reset count must go on', () => {
    const f = check('CHAT-8', wentOn(2000).ctx({ endAt: 150_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'c1/ws#6 (conversation A) failed to connect at 32.24 s (upgrade refused with HTTP 503) (failure 2 in a row) and no reconnect followed by 36.93 s (backoff 4.0 s ±10 % + T)',
    );
  });

  it('CHAT-8: still requires the 5th attempt of the continued count', () => {
    const f = check('CHAT-8', wentOn().ctx({ endAt: 150_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('(failure 1 or 5 in a row) and no reconnect followed by 65.69 s');
  });

  it('CHAT-16: the pending backoff step is the retry after the return; once spent, the next return needs a new attempt', () => {
    const b = wentOn(32_000); // ws#6 fails at 62.24 s: 6th in a row, the client stops
    expect(check('CHAT-16', b.ctx({ endAt: 150_000 })).verdict).toBe('pass');
    b.fault(70_000, 1, 'client-offline', { sockets: 'close' });
    b.faultEnd(80_000, 1, 'client-offline');
    const f = check('CHAT-16', b.ctx({ endAt: 150_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('c1 came back online at 80.0 s (fault entry 1) with conversation A open and no socket');
    b.refuse(80_040, b.connect(80_000, 'A'));
    expect(check('CHAT-16', b.ctx({ endAt: 150_000 })).verdict).toBe('pass');
    expect(check('CHAT-8', b.ctx({ endAt: 150_000 })).verdict).toBe('pass');
  });
});

describe('CHAT-13: offline intervals and sends at the instant of a poll', () => {
  /** A refused socket; polls at `times` (each answered 40 ms later). */
  function polling(times: number[]): TraceBuilder {
    const b = new TraceBuilder();
    b.open(0, 'A');
    b.refuse(40, b.connect(0, 'A'));
    b.get(0, 'A');
    for (const t of times) b.get(t, 'A');
    return b;
  }

  it('fails a 15 s interval while the device was online', () => {
    const f = check('CHAT-13', polling([40, 10_040, 25_040]).ctx({ endAt: 30_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('polls c1/http#3 at 10.04 s and c1/http#4 at 25.04 s were 15.0 s apart');
  });

  it('does not judge an interval overlapping a client-offline window (polls may be held)', () => {
    const b = polling([40, 10_040, 25_040]);
    b.fault(15_000, 0, 'client-offline', { sockets: 'close' });
    b.faultEnd(25_040, 0, 'client-offline');
    expect(check('CHAT-13', b.ctx({ endAt: 30_000 })).verdict).toBe('pass');
  });

  /** A poll at 31 s timing out at 39 s (last send at 20 ms: E = 5 s), a send at `sendAt`, the next poll at 41.55 s. */
  function hurried(sendAt: number): TraceBuilder {
    const b = new TraceBuilder();
    b.open(0, 'A');
    b.action(20, 'send', { text: 'first' });
    b.refuse(40, b.connect(0, 'A'));
    b.get(0, 'A');
    b.get(31_000, 'A', 504, 8000);
    b.action(sendAt, 'send', { text: 'second' });
    b.get(41_550, 'A');
    return b;
  }

  it('counts a send at the same instant as the next poll as between the two (any shorter wait, from either end)', () => {
    // 10.55 s from the first poll's start, 2.55 s from its end: shorter than 5 s from its end.
    expect(check('CHAT-13', hurried(41_550).ctx({ endAt: 45_000 })).verdict).toBe('pass');
  });

  it('fails the same wait when the send came after the next poll', () => {
    const f = check('CHAT-13', hurried(41_551).ctx({ endAt: 45_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('were 10.55 s apart (2.55 s after the first answered)');
  });
});

describe('reopening the conversation already open (docs: "Details the documents leave open")', () => {
  it('is a new session: CHAT-15 wants a socket connected after the reopen; a kept socket fails it', () => {
    const kept = openA();
    kept.b.open(5000, 'A');
    expect(check('CHAT-15', kept.b.ctx({ endAt: 10_000 })).verdict).toBe('fail');
    const fresh = openA();
    fresh.b.open(5000, 'A');
    fresh.b.clientClose(5000, fresh.ws);
    fresh.b.socket(5000, 'A');
    expect(check('CHAT-15', fresh.b.ctx({ endAt: 10_000 })).verdict).toBe('pass');
    expect(check('CHAT-1', fresh.b.ctx({ endAt: 10_000 })).verdict).toBe('pass');
  });
});
