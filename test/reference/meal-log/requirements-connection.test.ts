import { describe, expect, it } from 'vitest';
import { check, TraceBuilder } from './trace-builder.js';

// The connection requirements: MEAL-1, MEAL-2, MEAL-9, MEAL-12, MEAL-13, MEAL-14.
// T = 290 ms in these traces.

describe('MEAL-1: one socket, no connect while connecting', () => {
  it('fails a second connect while the first socket is still open', () => {
    const b = new TraceBuilder();
    const a = b.verifiedSocket(0);
    b.connect(1000);
    const f = check('MEAL-1', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`while ${a} (connected at 0.0 s, open since 0.04 s) was still open`);
  });
  it('passes a reconnect after the first socket closed', () => {
    const b = new TraceBuilder();
    const a = b.verifiedSocket(0);
    b.close(500, a);
    b.verifiedSocket(1500);
    expect(check('MEAL-1', b).verdict).toBe('pass');
  });
});

describe('MEAL-2: verified only after a server message', () => {
  it('fails a snapshot that shows the socket verified when it opened, before any server frame', () => {
    const b = new TraceBuilder();
    const a = b.connect(0);
    b.open(40, a).snap(40, [], { verified: true }).frame(60, a, { type: 'connected', userId: 'user-c1' });
    const f = check('MEAL-2', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('had not received any server message yet');
  });
  it('fails a snapshot that still shows a closed socket as verified', () => {
    const b = new TraceBuilder();
    const a = b.verifiedSocket(0);
    b.snap(40, [], { verified: true }).close(5000, a).snap(5000, [], { verified: true, outbox: 1 });
    expect(check('MEAL-2', b).evidence).toContain('was already closed with 1006');
  });
  it('passes verification after the connected frame', () => {
    const b = new TraceBuilder();
    b.verifiedSocket(0);
    b.snap(40, [], { verified: true });
    expect(check('MEAL-2', b).verdict).toBe('pass');
  });
});

describe('MEAL-9: reconnect with backoff; a verified reconnect stops polling', () => {
  /** Sockets refused one after another, each `gaps[i]` after the previous one failed (40 ms after its connect). */
  const refusals = (gaps: number[]): { b: TraceBuilder; t: number } => {
    const b = new TraceBuilder();
    b.failedSocket(0);
    let t = 40;
    for (const g of gaps) {
      b.failedSocket(t + g);
      t += g + 40;
    }
    return { b, t };
  };

  it('fails a reconnect sooner than the backoff (hammering)', () => {
    const { b } = refusals([1000, 100]);
    const f = check('MEAL-9', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(
      'reconnected (c1/ws#3) 100 ms after c1/ws#2 failed to connect at 1.08 s (refused); with k = 1 (reconnects already made since the launch, the last verification or a reset) the backoff allows 1.0 s–3.0 s',
    );
  });
  it('allows an immediate first reconnect, and each delay randomized by up to ±50 % (jitter)', () => {
    // nominal 1, 2, 4, 8 s: 0 ms, 1.2 s, 2.9 s, 5.5 s, 11 s
    const { b, t } = refusals([0, 1200, 2900, 5500, 11_000]);
    b.verifiedSocket(t + 16_000);
    expect(check('MEAL-9', b).verdict).toBe('pass');
  });
  it('fails a delay beyond 1.5 × the nominal one', () => {
    const { b } = refusals([1000, 2000, 6500]);
    expect(check('MEAL-9', b).evidence).toContain(
      'with k = 2 (reconnects already made since the launch, the last verification or a reset) the backoff allows 2.0 s–6.0 s',
    );
  });
  it('fails a client that never reconnects', () => {
    const b = new TraceBuilder();
    const a = b.verifiedSocket(0);
    b.close(10_000, a);
    expect(check('MEAL-9', b).evidence).toContain('never reconnected after c1/ws#1 closed with 1006 at 10.0 s');
  });
  it('fails a client that never reconnects after the OS closed its socket in the background', () => {
    const b = new TraceBuilder();
    const a = b.verifiedSocket(0);
    b.fault(5000, 20_000, 'app-background', { timers: 'suspend', closeSocketsAfter: 1000 }).close(6000, a);
    const f = check('MEAL-9', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('of the app being online and in the foreground again, by 21.5 s');
  });
  it('accepts a backoff reset by coming online while an attempt is in flight — and one that is not reset', () => {
    // three refusals (k = 3), then an attempt started just before the device is back online at 7.2 s
    const build = (next: number): TraceBuilder => {
      const { b } = refusals([1000, 2000]);
      const s = b.connect(7120);
      b.offline(5000, 7200).add(7500, 'ws.fail', { id: s, reason: 'refused', status: 503 });
      b.verifiedSocket(next);
      return b;
    };
    expect(check('MEAL-9', build(8500)).verdict).toBe('pass'); // reset: 1 s
    expect(check('MEAL-9', build(15_500)).verdict).toBe('pass'); // not reset: 8 s
  });
  it('accepts a backoff reset by coming online between two attempts, for the attempts after it', () => {
    // k = 2 when the device is back online at 5 s; the client connects at once, that attempt fails, and it waits 1 s (k = 0)
    const { b } = refusals([1000, 2000]);
    b.offline(3500, 5000).failedSocket(5000);
    b.verifiedSocket(5040 + 1000);
    expect(check('MEAL-9', b).verdict).toBe('pass');
  });
  it('counts k as the spec\u2019s worked example: reconnects already made since the launch or the last verification', () => {
    // T = 290 ms: k = 0 allows 0–1.79 s, k = 1 0.71–3.29 s, k = 2 1.71–6.29 s after the end.
    const build = (lastGap: number): TraceBuilder => {
      const b = new TraceBuilder();
      b.failedSocket(0); // #1 (the launch's connect) fails at 0.04 s: k = 0
      b.failedSocket(1040); // #2 after 1 s; fails at 1.08 s: k = 1
      b.failedSocket(3080); // #3 after 2 s; fails at 3.12 s: k = 2
      const v = b.verifiedSocket(7120); // #4 after 4 s; verified: the count restarts
      b.close(20_000, v); // #4 ends: k = 0
      b.failedSocket(21_000); // #5 after 1 s; fails at 21.04 s: k = 1 — #4's end counts
      b.verifiedSocket(21_040 + lastGap); // #6
      return b;
    };
    expect(check('MEAL-9', build(2000)).verdict).toBe('pass');
    const f = check('MEAL-9', build(300)); // fine for k = 0, too soon for k = 1
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('reconnected (c1/ws#6) 300 ms after c1/ws#5 failed to connect at 21.04 s (refused); with k = 1');
  });
  it('continues the worked example: an optional reset by coming back online', () => {
    // #6 fails at 23.08 s (k = 2); back online 1 s later, #7 connects at once: k = 0 or 2, the 1 s delay fits only 0.
    // #7 fails: k = 1 or 0 (0–3.29 s); #8 after 2 s fails: k = 2 or 1 (0.71–6.29 s).
    const build = (gap8: number, gap9: number): TraceBuilder => {
      const b = new TraceBuilder();
      b.failedSocket(0);
      b.failedSocket(1040);
      b.failedSocket(3080);
      b.close(20_000, b.verifiedSocket(7120));
      b.failedSocket(21_000);
      b.failedSocket(23_040);
      b.offline(23_080, 24_080).failedSocket(24_080);
      b.failedSocket(24_120 + gap8);
      b.verifiedSocket(24_160 + gap8 + gap9);
      return b;
    };
    expect(check('MEAL-9', build(2000, 5000)).verdict).toBe('pass');
    expect(check('MEAL-9', build(2000, 300)).evidence).toContain('with k = 1 or 2');
    expect(check('MEAL-9', build(3500, 2000)).evidence).toContain('with k = 0 or 1');
  });
  it('passes 1 s, then 2 s, then a verified socket', () => {
    const b = new TraceBuilder();
    const a = b.connect(0);
    b.close(100, a);
    const c = b.connect(1100);
    b.close(1200, c);
    b.verifiedSocket(3200);
    expect(check('MEAL-9', b).verdict).toBe('pass');
  });
  it('exempts the reconnect of a device coming back online', () => {
    const b = new TraceBuilder();
    const a = b.verifiedSocket(0);
    b.offline(5000, 8000).close(5000, a).verifiedSocket(8000);
    expect(check('MEAL-9', b).verdict).toBe('pass');
  });
  it('fails a poll while a reconnected socket is verified', () => {
    const b = new TraceBuilder();
    b.get(0);
    const a = b.connect(0);
    b.close(100, a);
    b.verifiedSocket(1100);
    b.get(5000);
    expect(check('MEAL-9', b).evidence).toContain('while c1/ws#2 (a reconnect) was verified since 1.14 s');
  });
});

describe('MEAL-12: connect before uploading', () => {
  it('fails an upload before the first connect of the app launch (the document\u2019s timeline)', () => {
    const b = new TraceBuilder();
    b.submit(0, 'eggs').post(0, 'L1', 'eggs');
    b.connect(300);
    const f = check('MEAL-12', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('before opening any WebSocket (it connected only at 0.3 s)');
  });
  it('judges every incarnation: after a restart the client connects again first', () => {
    const b = new TraceBuilder();
    b.connect(0);
    b.post(100, 'L1', 'eggs');
    b.restart(5000).post(5000, 'L1', 'eggs');
    expect(check('MEAL-12', b).verdict).toBe('fail');
    const ok = new TraceBuilder();
    ok.connect(0);
    ok.post(100, 'L1', 'eggs');
    ok.restart(5000).connect(5000);
    ok.post(5000, 'L1', 'eggs');
    expect(check('MEAL-12', ok).verdict).toBe('pass');
  });
  it('accepts a connect in the same instant as the upload, whichever the client called first', () => {
    const b = new TraceBuilder();
    b.submit(0, 'eggs').post(0, 'L1', 'eggs');
    b.connect(0);
    expect(check('MEAL-12', b).verdict).toBe('pass');
  });
});

describe('MEAL-13: the client uses the WebSocket', () => {
  it('fails a client that never connects (polling only)', () => {
    const b = new TraceBuilder();
    b.view(0).get(0).meal(2000, 'eggs').get(7000);
    const f = check('MEAL-13', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'c1 needed its WebSocket from 0.0 s (openNutritionView) but never connected to /ws/meal-logs: the connect was due within 1.29 s, by 1.29 s',
    );
  });
  it('fails a connect long after the need', () => {
    const b = new TraceBuilder();
    b.submit(500, 'eggs');
    b.connect(3000);
    expect(check('MEAL-13', b).evidence).toContain('needed its WebSocket from 0.5 s (submitMeal) but connected only at 3.0 s');
  });
  it('passes a connect at launch, or when NutritionView appears', () => {
    const atLaunch = new TraceBuilder();
    atLaunch.connect(0);
    atLaunch.view(5000);
    expect(check('MEAL-13', atLaunch).verdict).toBe('pass');
    const onView = new TraceBuilder();
    onView.view(5000);
    onView.connect(5000);
    expect(check('MEAL-13', onView).verdict).toBe('pass');
  });
  it('counts from the moment the device is online again when it was offline', () => {
    const b = new TraceBuilder();
    b.offline(0, 10_000).view(1000);
    b.connect(11_000);
    expect(check('MEAL-13', b).verdict).toBe('pass');
  });
  it('is not exercised when the client never needed its socket', () => {
    const b = new TraceBuilder();
    b.get(0);
    expect(check('MEAL-13', b).verdict).toBe('not-exercised');
  });
});

describe('MEAL-14: reconnect when the device is back online', () => {
  const offlineAfterView = (): TraceBuilder => {
    const b = new TraceBuilder();
    b.view(0);
    const a = b.verifiedSocket(0);
    return b.offline(5000, 15_000).close(5000, a);
  };
  it('fails a client that never reconnects after an offline period', () => {
    const b = offlineAfterView();
    const f = check('MEAL-14', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'c1 was back online at 15.0 s with no WebSocket, but never reconnected: the connect was due within 1.79 s, by 16.79 s',
    );
  });
  it('fails a reconnect that waits out an old backoff timer', () => {
    const b = offlineAfterView();
    b.connect(30_000);
    expect(check('MEAL-14', b).evidence).toContain('reconnected only at 30.0 s');
  });
  it('passes an immediate reconnect', () => {
    const b = offlineAfterView();
    b.verifiedSocket(15_000);
    expect(check('MEAL-14', b).verdict).toBe('pass');
  });
  it('judges a client that connected at launch, before anything needed the socket', () => {
    const b = new TraceBuilder();
    const a = b.verifiedSocket(0);
    b.offline(5000, 15_000).close(5000, a);
    expect(check('MEAL-14', b).verdict).toBe('fail');
  });
  it('takes the device back online when the window that took it offline ends (a window starting while offline changes nothing)', () => {
    const b = new TraceBuilder();
    b.view(0);
    const a = b.verifiedSocket(0);
    b.fault(5000, 15_000, 'client-offline', { sockets: 'stall' }).close(10_000, a).offline(8000, 20_000);
    b.connect(15_000);
    expect(check('MEAL-14', b).verdict).toBe('pass');
  });
  it('leaves a socket the OS closed in the background to MEAL-9: the app learns of the close only at the foreground, after it is back online', () => {
    // Background 5–40 s (the OS closes the socket at 15 s); offline 20–30 s, so back online at the foreground (40 s).
    const build = (reconnect: number): TraceBuilder => {
      const b = new TraceBuilder();
      b.view(0);
      const a = b.verifiedSocket(0);
      b.fault(5000, 40_000, 'app-background', { timers: 'suspend', closeSocketsAfter: 10_000 }).offline(20_000, 30_000);
      b.close(40_000, a).connect(reconnect);
      return b;
    };
    expect(check('MEAL-14', build(45_000)).verdict).toBe('not-exercised');
    expect(check('MEAL-9', build(41_000)).verdict).toBe('pass');
    const f = check('MEAL-9', build(45_000));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('reconnected (c1/ws#2) 5.0 s after c1/ws#1 closed with 1006 at 40.0 s; with k = 0');
  });
  it('does not judge a client whose socket is still open (it stalled), or one that never wanted a socket', () => {
    const stalled = new TraceBuilder();
    stalled.view(0);
    stalled.verifiedSocket(0);
    stalled.fault(5000, 15_000, 'client-offline', { sockets: 'stall' });
    expect(check('MEAL-14', stalled).verdict).toBe('not-exercised');
    const idle = new TraceBuilder();
    idle.offline(5000, 15_000);
    expect(check('MEAL-14', idle).verdict).toBe('not-exercised');
  });
});
