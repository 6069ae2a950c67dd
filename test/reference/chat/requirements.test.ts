import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { judge, type CheckContext } from '../../../src/conformance/requirement.js';
import type { ResolvedScenario } from '../../../src/conformance/scenario.js';
import { chatRequirements } from '../../../src/reference/chat/requirements.js';
import type { TraceEvent } from '../../../src/sim/trace.js';
import { check, openA, TraceBuilder, ts } from './trace-builder.js';

describe('chat requirement catalogue', () => {
  it('lists CHAT-1 … CHAT-20 with the level and sentence of docs/protocols/chat.md', () => {
    const doc = readFileSync(new URL('../../../docs/protocols/chat.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| (CHAT-\d+) \| (MUST|SHOULD) \| (.+?) \| (.+?) \|$/gm)].map((r) => ({
      id: r[1],
      level: r[2],
      text: r[3]!.replaceAll('`', ''),
    }));
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 20 }, (_, i) => `CHAT-${i + 1}`));
    expect(chatRequirements.map((r) => ({ id: r.id, level: r.level, text: r.text }))).toEqual(rows);
    for (const r of chatRequirements) {
      // A rule the source documents are silent on cites its standard instead, and is only a SHOULD (CHAT-20).
      if (r.level === 'SHOULD' && r.source.startsWith('RFC ')) expect(r.source).toMatch(/^RFC \d+ § .*chat-websocket-polling-fallback\.md § /);
      else expect(r.source).toMatch(/^chat-(websocket-polling-fallback|backend-sync-optimization)\.md § /);
      expect(['safety', 'liveness']).toContain(r.kind);
    }
  });

  it('never crashes on a trace it does not understand', () => {
    const events = [
      { t: 0, seq: 0, ev: 'sim.start' },
      { t: 1, seq: 1, ev: 'client.action', node: 'c1', do: 'openConversation', args: 'A' },
      { t: 1, seq: 2, ev: 'client.action', node: 'c1', do: 'openConversation', args: { conversation: 7 } },
      { t: 2, seq: 3, ev: 'client.snapshot', node: 'c1', state: null },
      { t: 3, seq: 4, ev: 'client.snapshot', node: 'c1', state: { conversation: 'A', messages: [null, 3, { id: 5, timestamp: 'never' }] } },
      { t: 4, seq: 5, ev: 'ws.connect', node: 'c1' },
      { t: 4, seq: 6, ev: 'ws.connect', id: 'c1/ws#1', node: 'c1', url: 42 },
      { t: 5, seq: 7, ev: 'ws.recv', id: 'c1/ws#9', dir: 'to-client', n: 'x' },
      { t: 6, seq: 8, ev: 'http.request', id: 'c1/http#1', node: 'c1', method: 'GET', url: '::not a url::' },
      { t: 7, seq: 9, ev: 'http.response', id: 'c1/http#1', status: '401' },
      { t: 8, seq: 10, ev: 'server.log', msg: 'message.stored', id: { nested: true } },
      { t: 9, seq: 11, ev: 'fault.start', kind: 'partition' },
      { t: 10, seq: 12, ev: 'fault.end', entry: 'x' },
      { t: 11, seq: 13, ev: 'client.action', node: 'c1', do: 'send', args: { text: 'hi' } },
      { t: 12, seq: 14, ev: 'net.hold', id: 'c1/ws#1', name: 'h' },
    ] as TraceEvent[];
    const ctx = { events, scenario: { network: 'nonsense' } as unknown as ResolvedScenario, healAt: 10, endAt: 20 };
    for (const r of chatRequirements) {
      const f = judge(r, ctx);
      expect(f.evidence).not.toMatch(/could not/);
      expect(['pass', 'not-exercised']).toContain(f.verdict);
    }
    const empty = { events: [], scenario: {} as ResolvedScenario, healAt: 0, endAt: 0 };
    for (const r of chatRequirements) expect(judge(r, empty).verdict).toBe('not-exercised');
  });
});

describe('CHAT-1 one socket, for the open conversation', () => {
  it('fails when a second socket connects while the first is still open', () => {
    const { b, ws } = openA();
    const second = b.connect(5000, 'A');
    const f = check('CHAT-1', b.ctx({ endAt: 6000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(second);
    expect(f.evidence).toContain(ws);
    expect(f.at).toBe(5000);
    expect(b.events[f.seq!]).toMatchObject({ ev: 'ws.connect', id: second });
  });

  it("fails when a socket connects to another conversation's url", () => {
    const b = new TraceBuilder();
    b.open(0, 'A');
    const ws = b.connect(0, 'B');
    const f = check('CHAT-1', b.ctx({ endAt: 1000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(
      `${ws} connected at 0.0 s to ws://lockstep.test/api/v1/consultations/B/ws?token=*** (conversation B) while conversation A was open`,
    );
  });

  it('passes a reconnect after the first socket closed, and a switch that closes the old socket in the same step', () => {
    const { b, ws } = openA();
    b.dropped(5000, ws);
    const ws2 = b.socket(7000, 'A');
    b.open(10_000, 'B');
    b.connect(10_000, 'B');
    b.clientClose(10_000, ws2);
    const f = check('CHAT-1', b.ctx({ endAt: 12_000 }));
    expect(f.verdict).toBe('pass');
  });

  it('is not exercised without sockets', () => {
    const b = new TraceBuilder();
    b.open(0, 'A');
    b.get(0, 'A');
    expect(check('CHAT-1', b.ctx({ endAt: 1000 })).verdict).toBe('not-exercised');
  });
});

describe('CHAT-2 no duplicate messages', () => {
  it('fails when a snapshot shows one id twice', () => {
    const { b } = openA();
    b.snap(5000, 'A', [
      { id: 'm1', t: 0 },
      { id: 'm2', t: 1 },
      { id: 'm2', t: 1 },
    ]);
    const f = check('CHAT-2', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('c1 showed message m2 2 times at 5.0 s');
    expect(b.events[f.seq!]!.ev).toBe('client.snapshot');
  });

  it('fails when the optimistic copy stays beside the acknowledged message', () => {
    const { b } = openA();
    b.action(3000, 'send', { text: 'hello' });
    b.snap(3000, 'A', [{ id: 'm1' }, { id: 'local:k1', role: 'user', content: 'hello', t: 3000, pending: true }]);
    b.post(3000, 'A', 'hello', 'k1', 'm2');
    b.snap(3040, 'A', [
      { id: 'm1' },
      { id: 'local:k1', role: 'user', content: 'hello', t: 3000, pending: true },
      { id: 'm2', role: 'user', content: 'hello', t: 3020 },
    ]);
    const f = check('CHAT-2', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('optimistic copy local:k1 beside its acknowledged message m2');
    expect(f.at).toBe(3040);
  });

  it('recognises the acknowledged copy by its clientMessageId, without server logs', () => {
    const { b } = openA();
    b.snap(3040, 'A', [
      { id: 'local:k7', pending: true, t: 3000 },
      { id: 'srv-1', cmid: 'k7', t: 3020 },
    ]);
    const f = check('CHAT-2', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('optimistic copy local:k7 beside another entry for the same send srv-1 (clientMessageId k7)');
  });

  it('passes when the optimistic copy is replaced', () => {
    const { b } = openA();
    b.action(3000, 'send', { text: 'hello' });
    b.snap(3000, 'A', [{ id: 'm1' }, { id: 'local:k1', role: 'user', content: 'hello', t: 3000, pending: true }]);
    b.post(3000, 'A', 'hello', 'k1', 'm2');
    b.snap(3040, 'A', [{ id: 'm1' }, { id: 'm2', role: 'user', content: 'hello', t: 3020 }]);
    expect(check('CHAT-2', b.ctx()).verdict).toBe('pass');
  });

  it('is not exercised when no message was ever shown', () => {
    const b = new TraceBuilder();
    b.open(0, 'A').snap(0, 'A', []);
    expect(check('CHAT-2', b.ctx()).verdict).toBe('not-exercised');
  });
});

describe('CHAT-3 ordered by timestamp', () => {
  /** The server stored m1, m2, m3 at 0, 2 and 4 s. */
  const storedA = (b: TraceBuilder): void => {
    b.stored(0, 'A', 'm1');
    b.stored(2000, 'A', 'm2');
    b.stored(4000, 'A', 'm3');
  };

  it('fails when a later message is shown first', () => {
    const { b } = openA();
    storedA(b);
    b.snap(5000, 'A', [
      { id: 'm1', t: 0 },
      { id: 'm3', t: 4000 },
      { id: 'm2', t: 2000 },
    ]);
    const f = check('CHAT-3', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`m3 (stored ${ts(4000)}) before m2 (stored ${ts(2000)}) at 5.0 s`);
    expect(f.seq).toBe(b.events.length - 1);
  });

  it('passes an ordered list, with a pending message at the bottom', () => {
    const { b } = openA();
    storedA(b);
    b.snap(5000, 'A', [
      { id: 'm1', t: 0 },
      { id: 'm2', t: 2000 },
      { id: 'm3', t: 4000 },
      { id: 'local:k9', t: 3000, pending: true },
    ]);
    expect(check('CHAT-3', b.ctx()).verdict).toBe('pass');
  });

  it('is not exercised with fewer than two messages', () => {
    const { b } = openA();
    expect(check('CHAT-3', b.ctx()).verdict).toBe('not-exercised');
  });
});

describe('CHAT-4 no poll while the first socket is healthy', () => {
  it('fails on a poll while the socket is open and heard from', () => {
    const { b, ws } = openA();
    b.frame(9100, ws, 0);
    const poll = b.get(12_000, 'A');
    const f = check('CHAT-4', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `poll ${poll} GET /api/v1/consultations/A/messages at 12.0 s while ${ws} was healthy (open since 0.04 s, last frame 9.1 s; H = 20.0 s)`,
    );
    expect(f.at).toBe(12_000);
    expect(b.events[f.seq!]).toMatchObject({ ev: 'http.request', id: poll });
  });

  it('passes the history load, a poll once the socket closed, and a poll after H of silence', () => {
    const { b, ws } = openA();
    b.get(25_000, 'A'); // silent since 0.04 s: no longer healthy
    b.dropped(30_000, ws);
    b.get(30_000, 'A');
    expect(check('CHAT-4', b.ctx({ endAt: 31_000 })).verdict).toBe('pass');
  });

  it('counts a retry of a failed catch-up load as that load, but not a GET after it succeeded', () => {
    const { b, ws } = openA();
    b.get(40, 'A', 503); // the catch-up load after the open fails
    b.frame(3000, ws, 0);
    b.get(3040, 'A'); // its retry, while the socket is healthy
    expect(check('CHAT-4', b.ctx({ endAt: 4000 })).verdict).toBe('pass');
    const poll = b.get(6040, 'A');
    const f = check('CHAT-4', b.ctx({ endAt: 7000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`poll ${poll} GET`);
  });

  it('is not exercised when the first socket never opened', () => {
    const b = new TraceBuilder();
    b.open(0, 'A');
    const ws = b.connect(0, 'A');
    b.refuse(40, ws);
    b.get(40, 'A');
    expect(check('CHAT-4', b.ctx({ endAt: 2000 })).verdict).toBe('not-exercised');
  });
});

describe('CHAT-5 fallback starts within 3 s + T', () => {
  it('fails when no poll follows a dropped socket in time', () => {
    const { b, ws } = openA();
    const drop = b.dropped(5000, ws);
    const late = b.get(10_000, 'A');
    const f = check('CHAT-5', b.ctx({ endAt: 12_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `${ws} (conversation A) closed with 1006 at 5.0 s (ws-reset (fault entry 0)) and no poll started within 3 s + T (3.29 s, by 8.29 s); the first poll was ${late} GET /api/v1/consultations/A/messages at 10.0 s`,
    );
    expect(f.seq).toBe(drop.seq);
  });

  it('passes an immediate poll, and a reconnect that opens before any poll', () => {
    const { b, ws } = openA();
    b.dropped(5000, ws);
    b.get(5000, 'A');
    const ws2 = b.socket(7000, 'A');
    b.dropped(20_000, ws2);
    b.socket(22_000, 'A');
    expect(check('CHAT-5', b.ctx({ endAt: 30_000 })).verdict).toBe('pass');
  });

  it('is not exercised when no socket failed, or the conversation was closed with it', () => {
    const { b, ws } = openA();
    b.action(5000, 'closeConversation');
    b.clientClose(5000, ws);
    expect(check('CHAT-5', b.ctx({ endAt: 10_000 })).verdict).toBe('not-exercised');
  });
});

describe('CHAT-6 one polling loop', () => {
  it('accepts a poll that overtakes a slow one of the same loop (a timer-driven loop may)', () => {
    const b = new TraceBuilder();
    b.open(0, 'A');
    const ws = b.connect(0, 'A');
    b.get(0, 'A');
    b.refuse(2000, ws); // a slow refusal: the first poll is no catch-up load
    const first = b.request(2000, 'GET', 'A'); // answered only at 9 s
    b.get(5000, 'A');
    b.add(9000, 'http.response', { id: first, status: 200 });
    expect(check('CHAT-6', b.ctx({ endAt: 10_000 })).verdict).toBe('pass');
  });

  it('fails when two loops poll 1 s apart', () => {
    const b = new TraceBuilder();
    b.open(0, 'A');
    const ws = b.connect(0, 'A');
    b.refuse(40, ws);
    b.get(40, 'A');
    b.get(3040, 'A');
    const ws2 = b.connect(2040, 'A');
    b.refuse(2080, ws2);
    const extra = b.get(4040, 'A');
    const f = check('CHAT-6', b.ctx({ endAt: 5000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`poll ${extra} GET /api/v1/consultations/A/messages at 4.04 s started only 1.0 s after poll`);
  });

  it('passes one loop, also restarting at once after a recovered socket fails again', () => {
    const b = new TraceBuilder();
    b.open(0, 'A');
    const ws = b.connect(0, 'A');
    b.get(0, 'A');
    b.refuse(40, ws);
    b.get(40, 'A');
    b.get(2040, 'A');
    const ws2 = b.socket(2040, 'A');
    b.dropped(3000, ws2);
    b.get(3000, 'A'); // 0.96 s after the last poll, but a socket opened in between
    b.get(5000, 'A');
    expect(check('CHAT-6', b.ctx({ endAt: 6000 })).verdict).toBe('pass');
  });

  it('is not exercised without two polls', () => {
    const { b } = openA();
    expect(check('CHAT-6', b.ctx()).verdict).toBe('not-exercised');
  });
});

describe('CHAT-7 polling stops on recovery', () => {
  function recovery(): { b: TraceBuilder; ws2: string } {
    const { b, ws } = openA();
    b.dropped(5000, ws);
    b.get(5000, 'A');
    const ws2 = b.connect(7000, 'A');
    b.get(7000, 'A');
    b.add(7020, 'ws.upgrade', { id: ws2, path: '/api/v1/consultations/A/ws' });
    b.wsOpen(7040, ws2);
    b.get(7040, 'A'); // the catch-up load right after the socket opened
    return { b, ws2 };
  }

  it('fails when polling goes on while the recovered socket is healthy', () => {
    const { b, ws2 } = recovery();
    const poll = b.get(9040, 'A');
    const f = check('CHAT-7', b.ctx());
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `poll ${poll} GET /api/v1/consultations/A/messages at 9.04 s while ${ws2} was healthy (open since 7.04 s, no frame yet; H = 20.0 s)`,
    );
    expect(f.at).toBe(9040);
  });

  it('passes when polling stops', () => {
    const { b, ws2 } = recovery();
    b.frame(20_000, ws2, 0);
    expect(check('CHAT-7', b.ctx({ endAt: 30_000 })).verdict).toBe('pass');
  });

  it('is not exercised without a recovery', () => {
    const { b } = openA();
    b.get(3000, 'A');
    expect(check('CHAT-7', b.ctx()).verdict).toBe('not-exercised');
  });
});

describe('CHAT-8 reconnect backoff', () => {
  /** Refused sockets: the first at 0, then one reconnect per entry of `waits`. */
  function failing(waits: number[]): TraceBuilder {
    const b = new TraceBuilder();
    b.open(0, 'A');
    let t = 0;
    let ws = b.connect(t, 'A');
    b.get(0, 'A');
    b.refuse(t + 40, ws);
    for (const w of waits) {
      t += 40 + w;
      ws = b.connect(t, 'A');
      b.refuse(t + 40, ws);
    }
    return b;
  }

  it('fails a reconnect 1 s after a failure', () => {
    const b = failing([1000]);
    const f = check('CHAT-8', b.ctx({ endAt: 3000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'c1/ws#2 connected at 1.04 s, 1.0 s after c1/ws#1 failed to connect at 0.04 s (upgrade refused with HTTP 503) (failure 1 in a row); the backoff is 2.0 s (±10 % + T: not before 1.55 s)',
    );
    expect(b.events[f.seq!]).toMatchObject({ ev: 'ws.connect', id: 'c1/ws#2' });
  });

  it('fails a sixth reconnect after five failed ones', () => {
    const b = failing([2000, 4000, 8000, 16_000, 32_000, 1000]);
    const f = check('CHAT-8', b.ctx({ endAt: 70_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('c1/ws#7 connected at 63.24 s: a reconnect attempt after 5 failed reconnects');
  });

  it('fails when no reconnect follows a failure', () => {
    const b = failing([]);
    const f = check('CHAT-8', b.ctx({ endAt: 10_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('no reconnect followed by 2.53 s');
  });

  it('passes 2/4/8/16/32 s and then no more attempts', () => {
    const b = failing([2000, 4000, 8000, 16_000, 32_000]);
    expect(check('CHAT-8', b.ctx({ endAt: 200_000 })).verdict).toBe('pass');
  });

  it('passes an immediate reconnect when the device comes back online (the counter resets)', () => {
    const b = failing([2000, 4000]);
    b.fault(7000, 0, 'client-offline', { duration: 3000 });
    b.add(10_000, 'fault.end', { entry: 0, kind: 'client-offline' });
    const ws = b.socket(10_000, 'A');
    b.dropped(12_000, ws);
    b.connect(14_000, 'A');
    expect(check('CHAT-8', b.ctx({ endAt: 15_000 })).verdict).toBe('pass');
  });

  it('accepts a count that goes on when a parked reconnect fires as the app returns to the foreground', () => {
    const backgrounded = (wait: number): TraceBuilder => {
      const { b, ws } = openA();
      b.dropped(10_000, ws); // failure 1: a reconnect in 2 s, but the app is suspended
      b.fault(10_500, 0, 'app-background', { duration: 9500, timers: 'suspend' });
      const ws2 = b.connect(20_000, 'A'); // the parked timer fires first ...
      b.add(20_000, 'fault.end', { entry: 0, kind: 'app-background' }); // ... then the foreground event
      b.refuse(20_040, ws2); // failure 2 by the client's count, failure 1 if it had reset
      b.connect(20_040 + wait, 'A');
      return b;
    };
    expect(check('CHAT-8', backgrounded(4000).ctx({ endAt: 30_000 })).verdict).toBe('pass');
    expect(check('CHAT-8', backgrounded(2000).ctx({ endAt: 30_000 })).verdict).toBe('pass');
    const f = check('CHAT-8', backgrounded(1000).ctx({ endAt: 30_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(
      '(failure 1 or 2 in a row); the backoff is 2.0 s (±10 % + T: not before 21.55 s) or 4.0 s (±10 % + T: not before 23.35 s)',
    );
  });

  it('is not exercised when no socket failed', () => {
    const { b } = openA();
    expect(check('CHAT-8', b.ctx({ endAt: 60_000 })).verdict).toBe('not-exercised');
  });
});

describe('CHAT-9 half-open sockets are abandoned', () => {
  it('fails when a half-open socket is kept past 1.1 × H + T', () => {
    const { b, ws } = openA();
    b.frame(8500, ws, 0);
    const halfOpen = b.add(10_000, 'ws.half-open', { direction: 'both', id: ws });
    const f = check('CHAT-9', b.ctx({ endAt: 60_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `${ws} (conversation A, open since 0.04 s) went half-open (both) at 10.0 s; its last frame arrived at 8.5 s, and it was not abandoned within 1.1 × H + T (22.29 s, by 32.29 s): never closed, no poll started`,
    );
    expect(f.seq).toBe(halfOpen.seq);
  });

  it('fails when a partition silences the socket for longer than H + T', () => {
    const { b } = openA();
    b.fault(10_000, 0, 'partition', { duration: 40_000 });
    b.add(50_000, 'fault.end', { entry: 0, kind: 'partition' });
    const f = check('CHAT-9', b.ctx({ endAt: 60_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('was cut off by a partition (fault entry 0) at 10.0 s');
  });

  it('passes a heartbeat close, and a switch to polling', () => {
    const { b, ws } = openA();
    b.add(10_000, 'ws.half-open', { direction: 'both', id: ws });
    b.clientClose(20_000, ws, 4000, 5000);
    b.get(20_000, 'A');
    expect(check('CHAT-9', b.ctx({ endAt: 60_000 })).verdict).toBe('pass');
    const o = openA();
    o.b.add(10_000, 'ws.half-open', { direction: 'both', id: o.ws });
    o.b.get(25_000, 'A');
    expect(check('CHAT-9', o.b.ctx({ endAt: 60_000 })).verdict).toBe('pass');
  });

  it('is not judged while timers may still be deferred by a throttled background', () => {
    const { b } = openA();
    b.fault(3000, 0, 'app-background', { duration: 27_000, timers: 'throttle' });
    b.add(30_000, 'fault.end', { entry: 0, kind: 'app-background' });
    b.fault(33_000, 1, 'partition', { duration: 40_000 });
    b.add(73_000, 'fault.end', { entry: 1, kind: 'partition' });
    expect(check('CHAT-9', b.ctx({ endAt: 80_000 })).verdict).toBe('not-exercised');
  });

  it('is not exercised without silence, or with a partition shorter than H + T', () => {
    const { b } = openA();
    expect(check('CHAT-9', b.ctx({ endAt: 60_000 })).verdict).toBe('not-exercised');
    const o = openA();
    o.b.fault(10_000, 0, 'partition', { duration: 5000 });
    o.b.add(15_000, 'fault.end', { entry: 0, kind: 'partition' });
    expect(check('CHAT-9', o.b.ctx({ endAt: 60_000 })).verdict).toBe('not-exercised');
  });
});

describe('CHAT-10 every stored message is delivered after the heal', () => {
  it('fails when a stored message is missing 65 s after the heal', () => {
    const { b } = openA();
    b.stored(0, 'A', 'm1');
    const stored = b.stored(5000, 'A', 'm2');
    b.heal(10_000);
    const f = check('CHAT-10', b.ctx({ endAt: 80_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe('message m2 (assistant, stored at 5.0 s for conversation A) was not visible on c1 at 75.0 s (heal + 65.0 s)');
    expect(f.seq).toBe(stored.seq);
  });

  it('passes when every stored message is visible', () => {
    const { b } = openA();
    b.stored(0, 'A', 'm1');
    b.stored(5000, 'A', 'm2');
    b.stored(6000, 'B', 'x1'); // another conversation
    b.snap(30_000, 'A', [
      { id: 'm1', t: 0 },
      { id: 'm2', t: 5000 },
    ]);
    b.heal(10_000);
    expect(check('CHAT-10', b.ctx({ endAt: 80_000 })).verdict).toBe('pass');
  });

  it('is not exercised when the run ends before the bound, or nothing was stored', () => {
    const { b } = openA();
    b.stored(5000, 'A', 'm2');
    b.heal(10_000);
    const f = check('CHAT-10', b.ctx({ endAt: 20_000 }));
    expect(f.verdict).toBe('not-exercised');
    expect(f.evidence).toContain('before the delivery bound');
    const o = openA();
    expect(check('CHAT-10', o.b.ctx({ endAt: 80_000 })).verdict).toBe('not-exercised');
  });
});

describe('CHAT-11 a closed conversation is left alone', () => {
  function switched(): { b: TraceBuilder; ws: string; wsB: string } {
    const { b, ws } = openA();
    b.stored(0, 'A', 'm1');
    b.open(10_000, 'B');
    const wsB = b.connect(10_000, 'B');
    b.get(10_000, 'B');
    return { b, ws, wsB };
  }

  it("fails when the old conversation's socket stays open", () => {
    const { b, ws } = switched();
    b.snap(10_000, 'B', []);
    const f = check('CHAT-11', b.ctx({ endAt: 20_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `${ws} for conversation A was still open 290 ms (T) after it was switched away from at 10.0 s (opened B): never closed`,
    );
    expect(b.events[f.seq!]).toMatchObject({ ev: 'client.action', do: 'openConversation' });
  });

  it('fails on a poll of the old conversation, and on its messages still shown', () => {
    const { b, ws } = switched();
    b.clientClose(10_000, ws);
    b.snap(10_000, 'B', []);
    const poll = b.get(12_000, 'A');
    b.snap(12_040, 'B', [{ id: 'm1', t: 0 }]);
    const f = check('CHAT-11', b.ctx({ endAt: 20_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(
      `${poll} GET /api/v1/consultations/A/messages at 12.0 s: a poll of conversation A after it was switched away from at 10.0 s (opened B)`,
    );
    expect(f.evidence).toContain('1 more violation');
    const o = switched();
    o.b.clientClose(10_000, o.ws);
    const g = check('CHAT-11', o.b.ctx({ endAt: 20_000 })); // the list was never cleared
    expect(g.verdict).toBe('fail');
    expect(g.evidence).toBe(
      'c1 still showed 1 message of conversation A (m1) at 10.29 s, after it was switched away from at 10.0 s (opened B)',
    );
  });

  it("allows the outbox to deliver the old conversation's queued message", () => {
    const { b, ws } = switched();
    b.clientClose(10_000, ws);
    b.snap(10_000, 'B', []);
    b.post(12_000, 'A', 'sent before the switch', 'k1', 'm9');
    expect(check('CHAT-11', b.ctx({ endAt: 20_000 })).verdict).toBe('pass');
  });

  it('passes a clean switch and a later return', () => {
    const { b, ws, wsB } = switched();
    b.clientClose(10_000, ws);
    b.snap(10_000, 'B', []);
    b.open(15_000, 'A');
    b.clientClose(15_000, wsB);
    b.socket(15_000, 'A');
    b.get(15_000, 'A');
    b.snap(15_040, 'A', [{ id: 'm1', t: 0 }]);
    expect(check('CHAT-11', b.ctx({ endAt: 20_000 })).verdict).toBe('pass');
  });

  it('is not exercised without a close or switch', () => {
    const { b } = openA();
    expect(check('CHAT-11', b.ctx()).verdict).toBe('not-exercised');
  });
});

describe('CHAT-12 a sent message is stored once and shown once', () => {
  it('fails when a retry uses a new clientMessageId', () => {
    const { b } = openA();
    b.action(3000, 'send', { text: 'hello' });
    b.post(3000, 'A', 'hello', 'k1', 'm2', 'c1', false);
    b.post(13_000, 'A', 'hello', 'k2', 'm3');
    const f = check('CHAT-12', b.ctx({ endAt: 80_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      '"hello" (sent once by c1 in conversation A, at 3.0 s) was stored 2 times: m2 (clientMessageId k1, c1/http#2 at 3.02 s), m3 (clientMessageId k2, c1/http#3 at 13.02 s)',
    );
    expect(b.events[f.seq!]).toMatchObject({ ev: 'server.log', id: 'm3' });
  });

  it('fails when the stored message is not shown after the heal', () => {
    const { b } = openA();
    b.action(3000, 'send', { text: 'hello' });
    b.snap(3000, 'A', [{ id: 'm1' }]); // the optimistic copy was dropped
    b.post(3000, 'A', 'hello', 'k1', 'm2');
    b.heal(10_000);
    const f = check('CHAT-12', b.ctx({ endAt: 80_000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe('"hello" (sent once by c1 in conversation A, at 3.0 s) was shown not at all on c1 at 75.0 s; expected once');
  });

  it('passes a retry that reuses the clientMessageId after a lost answer', () => {
    const { b } = openA();
    b.action(3000, 'send', { text: 'hello' });
    b.snap(3000, 'A', [{ id: 'm1' }, { id: 'local:k1', role: 'user', content: 'hello', t: 3000, pending: true }]);
    b.post(3000, 'A', 'hello', 'k1', 'm2', 'c1', false);
    b.post(13_000, 'A', 'hello', 'k1', null);
    b.snap(13_040, 'A', [{ id: 'm1' }, { id: 'm2', role: 'user', content: 'hello', t: 3020 }]);
    b.heal(20_000);
    expect(check('CHAT-12', b.ctx({ endAt: 90_000 })).verdict).toBe('pass');
  });

  it('is not exercised without sends', () => {
    const { b } = openA();
    expect(check('CHAT-12', b.ctx({ endAt: 80_000 })).verdict).toBe('not-exercised');
  });
});

describe('CHAT-13 adaptive polling intervals', () => {
  function polling(times: number[], send?: number): TraceBuilder {
    const b = new TraceBuilder();
    b.open(0, 'A');
    const ws = b.connect(0, 'A');
    b.get(0, 'A');
    b.refuse(40, ws);
    if (send !== undefined) b.action(send, 'send', { text: 'hi' });
    for (const t of times) b.get(t, 'A');
    return b;
  }

  it('fails a fixed 3 s interval when the user has not sent', () => {
    const b = polling([40, 3040, 6040]);
    const f = check('CHAT-13', b.ctx({ endAt: 7000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'polls c1/http#2 at 0.04 s and c1/http#3 at 3.04 s were 3.0 s apart (2.96 s after the first answered); the user had not sent, so the interval should be 10.0 s (±1.29 s) (and 1 more violation)',
    );
    expect(f.at).toBe(3040);
  });

  it('passes 2 s while the user is active and 10 s otherwise', () => {
    expect(check('CHAT-13', polling([40, 10_040, 20_040]).ctx({ endAt: 21_000 })).verdict).toBe('pass');
    expect(check('CHAT-13', polling([40, 2040, 4040, 6040], 20).ctx({ endAt: 7000 })).verdict).toBe('pass');
  });

  it('ignores a send made while no conversation was open', () => {
    const b = new TraceBuilder();
    b.open(0, 'A');
    b.refuse(40, b.connect(0, 'A'));
    b.action(500, 'closeConversation');
    b.action(600, 'send', { text: 'into the void' });
    b.open(1000, 'A');
    b.refuse(1040, b.connect(1000, 'A'));
    for (const t of [1040, 11_040, 21_040]) b.get(t, 'A');
    expect(check('CHAT-13', b.ctx({ endAt: 22_000 })).verdict).toBe('pass');
  });

  it('is not exercised with fewer than two polls', () => {
    expect(check('CHAT-13', polling([40]).ctx({ endAt: 7000 })).verdict).toBe('not-exercised');
  });
});

describe('CHAT-14 a 401 stops the client until the user acts', () => {
  function unauthorized(): TraceBuilder {
    const b = new TraceBuilder();
    b.open(0, 'A');
    const ws = b.connect(0, 'A');
    b.get(0, 'A');
    b.refuse(40, ws, 401);
    b.get(40, 'A', 401);
    return b;
  }

  it('fails on a poll after the 401', () => {
    const b = unauthorized();
    const poll = b.get(3080, 'A', 401);
    const f = check('CHAT-14', b.ctx({ endAt: 5000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      `${poll} GET /api/v1/consultations/A/messages at 3.08 s after c1/http#2 GET /api/v1/consultations/A/messages got 401 at 0.08 s, with no user action since`,
    );
    expect(b.events[f.seq!]).toMatchObject({ ev: 'http.request', id: poll });
  });

  it('fails on a reconnect after the 401', () => {
    const b = unauthorized();
    const ws = b.connect(2080, 'A');
    const f = check('CHAT-14', b.ctx({ endAt: 5000 }));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(`${ws} connected to ws://lockstep.test/api/v1/consultations/A/ws?token=*** at 2.08 s`);
  });

  it('passes when the client waits for the user', () => {
    const b = unauthorized();
    b.action(20_000, 'send', { text: 'again' });
    b.post(20_000, 'A', 'again', 'k1', 'm2');
    expect(check('CHAT-14', b.ctx({ endAt: 25_000 })).verdict).toBe('pass');
  });

  it('is not exercised without a 401', () => {
    const { b } = openA();
    expect(check('CHAT-14', b.ctx()).verdict).toBe('not-exercised');
  });
});
