import { describe, expect, it } from 'vitest';
import { ALICE, CAROL, check, TraceBuilder } from './trace-builder.js';

// T = 290 ms (default 20 ms links), P = 2 s, B = 30 s.

describe('LIVE-4: a dashboard shows only its own customers', () => {
  it('passes a dashboard showing its own customers', () => {
    const b = new TraceBuilder().connect(0, 'd1', 'agent-1').dashboard(100, 'd1', 'agent-1', [
      { email: ALICE, ids: [] },
      { email: 'bob@example.com', ids: [] },
    ]);
    expect(check('LIVE-4', b, 5000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails a dashboard showing another agent’s customer, by the server’s record (not the snapshot’s)', () => {
    const b = new TraceBuilder().connect(0, 'd1', 'agent-1').dashboard(100, 'd1', 'agent-1', [
      { email: ALICE, owner: 'agent-1', ids: [] },
      { email: CAROL, owner: 'agent-1', ids: [] },
    ]);
    const f = check('LIVE-4', b, 5000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'd1, the dashboard of agent-1, showed 1 customer of other dashboard users at 0.1 s: carol@example.com (agent-2)',
    );
  });

  it('takes the identity from the action, not from the snapshot', () => {
    const b = new TraceBuilder().connect(0, 'd1', 'agent-1').dashboard(100, 'd1', 'agent-2', [{ email: CAROL, owner: 'agent-2', ids: [] }]);
    expect(check('LIVE-4', b, 5000).verdict).toBe('fail');
  });

  it('fails a customer the server never had', () => {
    const b = new TraceBuilder()
      .connect(0, 'd1', 'agent-1')
      .dashboard(100, 'd1', 'agent-1', [{ email: 'zed@example.com', owner: 'agent-1', ids: [] }]);
    expect(check('LIVE-4', b, 5000).evidence).toMatch(/zed@example\.com \(not a customer of the server\)/);
  });

  it('is not exercised when no dashboard shows a customer', () => {
    expect(check('LIVE-4', new TraceBuilder().connect(0, 'd1', 'agent-1').dashboard(100, 'd1', 'agent-1', []), 5000).verdict).toBe(
      'not-exercised',
    );
  });
});

/** d1 (agent-1) subscribed from 60 ms; a frame listing alice's `ids` sent at 1000, arriving at 1020. */
function frameTo(ids: string[], shown: string[] | undefined, o: { at?: number } = {}): TraceBuilder {
  const b = new TraceBuilder().connect(0, 'd1', 'agent-1');
  const s = b.socket(0, 'd1');
  b.frame(1000, s, [
    { email: ALICE, ids },
    { email: CAROL, owner: 'agent-2', ids: ['chat-c1-s1'] },
  ]);
  if (shown) b.dashboard(o.at ?? 1020, 'd1', 'agent-1', [{ email: ALICE, ids: shown }]);
  return b;
}

describe('LIVE-9: a dashboard shows each broadcast it receives', () => {
  it('passes a dashboard that shows the frame’s own messages at once (or within T)', () => {
    expect(check('LIVE-9', frameTo(['chat-a1-s1', 'm9'], ['chat-a1-s1', 'm9']), 5000)).toMatchObject({ verdict: 'pass' });
    expect(check('LIVE-9', frameTo(['chat-a1-s1', 'm9'], ['chat-a1-s1', 'm9'], { at: 1300 }), 5000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails a dashboard that keeps an outdated view (a count-based refresh missing a replacement)', () => {
    const b = frameTo(['chat-a1-s1', 'm9'], ['chat-a1-s1', 'chat-a1-s2'], { at: 500 });
    const f = check('LIVE-9', b, 5000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'd1, the dashboard of agent-1, did not show m9 within T (290 ms) of the chat_updates frame that reached it over d1/ws#1 at 1.02 s (data.timestamp 2025-01-15T09:00:01.000Z)',
    );
  });

  it('fails a dashboard that shows none of its customers', () => {
    expect(check('LIVE-9', frameTo(['chat-a1-s1'], undefined), 5000).evidence).toMatch(/did not show alice@example\.com \(the customer\)/);
  });

  it('lets a view skip a frame a newer one made outdated', () => {
    const b = frameTo(['chat-a1-s1', 'chat-a1-s2'], undefined);
    b.frame(1100, 'd1/ws#1', [{ email: ALICE, ids: ['chat-a1-s1', 'm9'] }]);
    b.dashboard(1120, 'd1', 'agent-1', [{ email: ALICE, ids: ['chat-a1-s1', 'm9'] }]);
    expect(check('LIVE-9', b, 5000)).toMatchObject({ verdict: 'pass' });
  });

  it('does not judge frames of another agent, a socket that closes, or an opt-in intermediary', () => {
    const other = new TraceBuilder().connect(0, 'd1', 'agent-1');
    other.frame(1000, other.socket(0), [{ email: CAROL, owner: 'agent-2', ids: ['chat-c1-s1'] }]);
    expect(check('LIVE-9', other, 5000).verdict).toBe('not-exercised');
    const closed = frameTo(['m9'], undefined).socketClosed(1100, 'd1/ws#1');
    expect(check('LIVE-9', closed, 5000).verdict).toBe('not-exercised');
    const proxy = frameTo(['m9'], undefined).fault(0, 0, 'ws-intermediary', { reorder: 0.5 }).faultEnd(900, 0, 'ws-intermediary');
    expect(check('LIVE-9', proxy, 5000).verdict).toBe('not-exercised');
  });
});

describe('LIVE-10: an opened dashboard uses the WebSocket', () => {
  it('passes a dashboard the server logs as subscribed within 2 s + T', () => {
    const b = new TraceBuilder().connect(0, 'd1', 'agent-1');
    b.socket(10);
    expect(check('LIVE-10', b, 5000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails a dashboard that never connects, or polls instead', () => {
    const none = new TraceBuilder().connect(0, 'd1', 'agent-1');
    expect(check('LIVE-10', none, 5000).evidence).toBe(
      'd1 opened the dashboard as agent-1 at 0.0 s, but the server logged no chat_updates subscription of it within 2 s + T (2.29 s, by 2.29 s): it opened no /ws/dashboard socket',
    );
    const polling = new TraceBuilder().connect(0, 'd1', 'agent-1').polls(0, 3000, 1000, 'd1');
    expect(check('LIVE-10', polling, 5000).evidence).toMatch(/it opened no \/ws\/dashboard socket \(it made 3 GET requests instead\)/);
  });

  it('fails a socket that never subscribes', () => {
    const b = new TraceBuilder().connect(0, 'd1', 'agent-1');
    b.socket(10, 'd1', { subscribe: false });
    expect(check('LIVE-10', b, 5000).evidence).toMatch(/its socket d1\/ws#1 never subscribed to chat_updates/);
  });

  it('is not judged while a fault can hold the socket back, nor when the user closes the dashboard first', () => {
    const fault = new TraceBuilder()
      .connect(0, 'd1', 'agent-1')
      .fault(1000, 0, 'ws-refuse', { status: 503 })
      .faultEnd(4000, 0, 'ws-refuse');
    expect(check('LIVE-10', fault, 9000).verdict).toBe('not-exercised');
    const closed = new TraceBuilder().connect(0, 'd1', 'agent-1').action(1000, 'd1', 'disconnectDashboard');
    expect(check('LIVE-10', closed, 9000).verdict).toBe('not-exercised');
  });

  it('is not judged on a re-open that keeps a connecting socket the network silenced (half-open) before it; judged without the fault', () => {
    const stalled = (halfOpen: boolean) => {
      const b = new TraceBuilder().connect(0, 'd1', 'agent-1');
      b.add(0, 'ws.connect', { id: 'd1/ws#1', node: 'd1', url: 'ws://lockstep.test/ws/dashboard?token=***' });
      if (halfOpen) b.add(1, 'ws.half-open', { id: 'd1/ws#1', direction: 'both' });
      return b.connect(1500, 'd1', 'agent-1');
    };
    expect(check('LIVE-10', stalled(true), 9000).verdict).toBe('not-exercised');
    expect(check('LIVE-10', stalled(false), 9000).evidence).toMatch(/at 1\.5 s, .*it kept d1\/ws#1, which never subscribed to chat_updates/);
  });
});

/** d1 (agent-1) subscribed from 60 ms over d1/ws#1, which a reset closes at 5000; a fault blocks reconnecting until `clearAt`. */
function lost(clearAt?: number): TraceBuilder {
  const b = new TraceBuilder().connect(0, 'd1', 'agent-1');
  b.socket(0);
  b.fault(5000, 0, 'ws-reset').socketClosed(5000, 'd1/ws#1');
  if (clearAt !== undefined) b.fault(5000, 1, 'server-restart', { downtime: clearAt - 5000 }).add(clearAt, 'server.up', { generation: 1 });
  return b;
}

describe('LIVE-11: a dashboard reconnects after losing its socket', () => {
  it('passes a reconnect after a backoff, and one at once when the server is back', () => {
    const backoff = lost();
    backoff.socket(6000);
    expect(check('LIVE-11', backoff, 40_000)).toMatchObject({ verdict: 'pass' });
    const back = lost(12_000);
    back.socket(12_000);
    expect(check('LIVE-11', back, 40_000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails a dashboard that never reconnects', () => {
    const f = check('LIVE-11', lost(), 40_000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'd1, the dashboard of agent-1, lost its subscribed socket d1/ws#1 at 5.0 s (closed with 1006), but had no subscribed socket again within 30 s + T (30.29 s, by 35.29 s)',
    );
  });

  it('counts 30 s + T from the end of the fault that kept it from reconnecting', () => {
    const b = lost(12_000);
    b.socket(43_000);
    expect(check('LIVE-11', b, 45_000).evidence).toMatch(
      /and nothing stood in the way after 12\.0 s, but had no subscribed socket again within 30 s \+ T \(30\.29 s, by 42\.29 s\); it subscribed again at 43\.06 s/,
    );
    expect(check('LIVE-11', b, 42_000).verdict).toBe('not-exercised');
  });

  it('does not judge a socket the user closed, nor a dashboard the app restart ended', () => {
    const closed = new TraceBuilder().connect(0, 'd1', 'agent-1');
    closed.socket(0);
    closed.action(5000, 'd1', 'disconnectDashboard').socketClosed(5010, 'd1/ws#1', 1000);
    expect(check('LIVE-11', closed, 40_000).verdict).toBe('not-exercised');
    const restarted = lost().restart(6000, 'd1');
    expect(check('LIVE-11', restarted, 40_000).verdict).toBe('not-exercised');
  });
});

describe('restored dashboards', () => {
  it('keep the identity they had before the restart when they reconnect on their own', () => {
    const b = new TraceBuilder().connect(0, 'd1', 'agent-1');
    b.socket(0);
    b.restart(500, 'd1');
    b.socket(500);
    b.dashboard(600, 'd1', 'agent-2', [{ email: CAROL, owner: 'agent-2', ids: [] }]);
    const f = check('LIVE-4', b, 8000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(/^d1, the dashboard of agent-1, showed 1 customer/);
  });
});
