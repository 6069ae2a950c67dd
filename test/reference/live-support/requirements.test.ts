import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { judge, type CheckContext, type Finding } from '../../../src/conformance/requirement.js';
import type { ResolvedScenario } from '../../../src/conformance/scenario.js';
import { liveSupportRequirements } from '../../../src/reference/live-support/requirements.js';
import type { TraceEvent } from '../../../src/sim/trace.js';

// Hand-built traces, shaped as the kernel and the reference server record them
// (docs/trace-format.md, docs/protocols/live-support.md). The default link is 20 ms each
// way, so T = 250 ms + 2 × 20 ms = 290 ms; P = 2 s; A + T = 540 ms.

const ALICE = 'alice@example.com';
const CAROL = 'carol@example.com';
const enc = encodeURIComponent;

/**
 * A tiny trace builder. Steps may be added out of time order; `ctx()` sorts them by time,
 * keeping the call order within one instant, and numbers them (`seq`).
 */
class TraceBuilder {
  readonly events: TraceEvent[] = [];
  private http = 0;
  private ws = 0;

  constructor(readonly clients: string[] = ['w1', 'd1']) {
    this.add(0, 'sim.start', { seed: 1, startTime: '2025-01-15T09:00:00.000Z', clients, origin: 'http://lockstep.test' });
    for (const [email, owner, chats] of [
      [ALICE, 'agent-1', ['chat-a1', 'chat-a2']],
      ['bob@example.com', 'agent-1', ['chat-b1']],
      [CAROL, 'agent-2', ['chat-c1']],
    ] as const) {
      this.log(0, 'customer.seeded', { email, dashboard_user_id: owner, chats });
      for (const chat of chats)
        for (const k of [1, 2])
          this.log(0, 'message.stored', {
            id: `${chat}-s${k}`,
            chat_id: chat,
            email,
            dashboard_user_id: owner,
            role: k === 1 ? 'user' : 'agent',
            seeded: true,
          });
    }
  }

  add(t: number, ev: string, fields: Record<string, unknown> = {}): TraceEvent {
    const e: TraceEvent = { t, seq: -1, ev, ...fields };
    this.events.push(e);
    return e;
  }
  log(t: number, msg: string, fields: Record<string, unknown> = {}): this {
    this.add(t, 'server.log', { ...fields, msg });
    return this;
  }
  action(t: number, node: string, what: string, args?: Record<string, unknown>): this {
    this.add(t, 'client.action', { args, do: what, node });
    return this;
  }
  mount(t: number, node: string, email: string, chat: string): this {
    return this.action(t, node, 'mountWidget', { email, chat });
  }
  connect(t: number, node: string, user: string): this {
    return this.action(t, node, 'connectDashboard', { dashboardUserId: user });
  }
  widget(t: number, node: string, ids: string[], o: { mounted?: boolean; email?: string; chat?: string } = {}): this {
    const state = {
      chatId: o.chat ?? 'chat-a1',
      email: o.email ?? ALICE,
      messages: ids.map((id) => ({ content: `text of ${id}`, id, role: 'user' })),
      mounted: o.mounted ?? true,
      role: 'widget',
    };
    this.add(t, 'client.snapshot', { node, state });
    return this;
  }
  dashboard(t: number, node: string, user: string, users: { email: string; owner?: string; ids?: string[] }[]): this {
    const state = {
      connection: 'open',
      dashboardUserId: user,
      role: 'dashboard',
      subscribed: true,
      users: users.map((u) => ({ chats: [{ chat_id: 'c', messages: u.ids ?? [] }], dashboard_user_id: u.owner ?? null, email: u.email })),
    };
    this.add(t, 'client.snapshot', { node, state });
    return this;
  }
  /** `http.request` of `node`; returns the exchange id. */
  request(t: number, node: string, method: string, path: string): string {
    const id = `${node}/http#${++this.http}`;
    this.add(t, 'http.request', { id, method, node, url: `http://lockstep.test${path}` });
    return id;
  }
  /** A poll answered 40 ms later (served at +20). */
  poll(t: number, node = 'w1', email = ALICE): this {
    const path = `/api/users/${enc(email)}/chats`;
    const id = this.request(t, node, 'GET', path);
    this.add(t + 20, 'http.serve', { id, method: 'GET', path });
    this.add(t + 20, 'http.respond', { id, status: 200, bytes: 100 });
    this.add(t + 40, 'http.response', { id, status: 200, bytes: 100 });
    return this;
  }
  /** Polls every `every` ms from `from` while `< to`. */
  polls(from: number, to: number, every = 2000, node = 'w1', email = ALICE): this {
    for (let t = from; t < to; t += every) this.poll(t, node, email);
    return this;
  }
  stored(t: number, f: { id: string; chat?: string; email?: string; owner?: string; role?: string; request?: string }): this {
    return this.log(t, 'message.stored', {
      chat_id: f.chat ?? 'chat-a1',
      dashboard_user_id: f.owner ?? 'agent-1',
      email: f.email ?? ALICE,
      id: f.id,
      request: f.request,
      role: f.role ?? 'user',
    });
  }
  /** A dashboard socket connected at t, open at t+40, subscribed at t+60; returns its id. */
  socket(t: number, node = 'd1'): string {
    const id = `${node}/ws#${++this.ws}`;
    this.add(t, 'ws.connect', { id, node, url: 'ws://lockstep.test/ws/dashboard?token=***' });
    this.add(t + 20, 'ws.accept', { id });
    this.add(t + 40, 'ws.open', { id });
    this.log(t + 60, 'dashboard.subscribed', { socket: id, channel: 'chat_updates' });
    return id;
  }
  fault(t: number, entry: number, kind: string, params: Record<string, unknown> = {}): this {
    this.add(t, 'fault.start', { entry, kind, ...params });
    return this;
  }
  faultEnd(t: number, entry: number, kind: string): this {
    this.add(t, 'fault.end', { entry, kind });
    return this;
  }
  ctx(endAt: number): CheckContext {
    const events = this.events
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.t - b.e.t || a.i - b.i)
      .map(({ e }, seq) => Object.assign(e, { seq }));
    const scenario = { network: {}, clients: this.clients } as unknown as ResolvedScenario;
    return { events, scenario, healAt: endAt, endAt };
  }
}

function check(id: string, b: TraceBuilder, endAt: number): Finding {
  const r = liveSupportRequirements.find((q) => q.id === id)!;
  return judge(r, b.ctx(endAt));
}

describe('the catalogue', () => {
  it('lists LIVE-1 … LIVE-7 with the level, sentence and source of docs/protocols/live-support.md', () => {
    const doc = readFileSync(new URL('../../../docs/protocols/live-support.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| (LIVE-\d+) +\| (MUST|SHOULD) +\| (.+?) +\| (.+?) +\|$/gm)].map((r) => ({
      id: r[1],
      level: r[2],
      text: r[3],
      source: r[4],
    }));
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 7 }, (_, i) => `LIVE-${i + 1}`));
    expect(liveSupportRequirements.map((r) => ({ id: r.id, level: r.level, text: r.text, source: r.source }))).toEqual(rows);
  });

  it('has LIVE-1 … LIVE-7, one checker each, LIVE-5 and LIVE-6 about the server', () => {
    expect(liveSupportRequirements.map((r) => r.id)).toEqual(['LIVE-1', 'LIVE-2', 'LIVE-3', 'LIVE-4', 'LIVE-5', 'LIVE-6', 'LIVE-7']);
    expect(liveSupportRequirements.filter((r) => r.subject === 'server').map((r) => r.id)).toEqual(['LIVE-5', 'LIVE-6']);
    for (const r of liveSupportRequirements) {
      expect(r.level).toBe('MUST');
      expect(r.source).toMatch(/^live-support-chat-polling-fixes\.md § /);
      expect(typeof r.check).toBe('function');
    }
  });

  it('never throws on a trace it does not understand', () => {
    const b = new TraceBuilder();
    b.add(1, 'client.snapshot', { node: 'w1', state: { users: 'x', messages: [null, 3, { id: {} }] } });
    b.add(2, 'client.action', { node: 'w1', do: 'mountWidget', args: { email: 5 } });
    b.add(3, 'server.log', { msg: 'message.stored', id: 7 });
    b.add(4, 'http.request', { id: 'w1/http#9', node: 'w1', url: '%%%' });
    b.add(5, 'server.log', { msg: 'broadcast.start', broadcast: 'x' });
    for (const r of liveSupportRequirements) expect(['pass', 'not-exercised']).toContain(judge(r, b.ctx(10_000)).verdict);
  });
});

describe('LIVE-1: one polling loop, first poll at once, every 2 s', () => {
  it('passes a loop that polls at mount and every 2 s', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 8000);
    expect(check('LIVE-1', b, 8000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails a second, overlapping loop (polls closer than 2 s − T)', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 8000).polls(60, 8000);
    const f = check('LIVE-1', b, 8000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(
      /poll w1\/http#5 at 0\.06 s started only 60 ms after poll w1\/http#1 at 0\.0 s .*: more than one polling loop/,
    );
    expect(f.at).toBe(60);
  });

  it('fails a first poll that waits for the interval', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(2000, 8000);
    expect(check('LIVE-1', b, 8000).evidence).toMatch(/no poll within T \(290 ms\) of the mount or chat change; the first came at 2\.0 s/);
  });

  it('fails a loop that stops while the widget stays mounted, and a slower beat', () => {
    const stopped = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 4000);
    expect(check('LIVE-1', stopped, 12_000).evidence).toMatch(/polling stopped after poll w1\/http#2 at 2\.0 s/);
    const slow = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 12_000, 3000);
    expect(check('LIVE-1', slow, 12_000).evidence).toMatch(/3\.0 s between poll/);
  });

  it('does not judge the spacing across the app’s background time, and ends a session at unmount', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').poll(0);
    b.fault(1000, 0, 'app-background', { node: 'w1', timers: 'suspend' }).faultEnd(11_000, 0, 'app-background');
    b.polls(11_000, 14_000).action(13_500, 'w1', 'unmountWidget');
    expect(check('LIVE-1', b, 20_000)).toMatchObject({ verdict: 'pass' });
  });

  it('is not exercised without a mounted widget', () => {
    expect(check('LIVE-1', new TraceBuilder(), 5000).verdict).toBe('not-exercised');
  });
});

describe('LIVE-2: no stale update after unmount or chat change', () => {
  const mounted = (): TraceBuilder => new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').widget(40, 'w1', ['chat-a1-s1', 'chat-a1-s2']);

  it('passes an unmount after which nothing changes and nothing polls', () => {
    const b = mounted().poll(0);
    b.action(2001, 'w1', 'unmountWidget').widget(2001, 'w1', [], { mounted: false });
    b.poll(2000, 'w1', ALICE); // in flight at the unmount, answered at 2040: ignored
    expect(check('LIVE-2', b, 10_000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails a state update from an answer that arrived after unmount', () => {
    const b = mounted().poll(0);
    b.poll(2000);
    b.action(2001, 'w1', 'unmountWidget').widget(2001, 'w1', [], { mounted: false });
    b.widget(2040, 'w1', ['chat-a1-s1', 'chat-a1-s2'], { mounted: false });
    const f = check('LIVE-2', b, 10_000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(
      /w1 showed messages chat-a1-s1, chat-a1-s2 at 2\.04 s, after .* was unmounted at 2\.001 s \(the answer of w1\/http#2, started 2\.0 s, had just arrived\)/,
    );
  });

  it('fails a poll after unmount', () => {
    const b = mounted().poll(0);
    b.action(1000, 'w1', 'unmountWidget').poll(2000);
    expect(check('LIVE-2', b, 10_000).evidence).toMatch(
      /poll w1\/http#2 GET \/api\/users\/alice%40example\.com\/chats at 2\.0 s: .* was unmounted at 1\.0 s/,
    );
  });

  it('passes a chat change whose old messages linger until the new chat’s answer replaces them', () => {
    const b = mounted().action(2001, 'w1', 'switchChat', { chat: 'chat-a2' });
    b.widget(2001, 'w1', ['chat-a1-s1', 'chat-a1-s2'], { chat: 'chat-a2' }).widget(2040, 'w1', ['chat-a2-s1', 'chat-a2-s2'], {
      chat: 'chat-a2',
    });
    expect(check('LIVE-2', b, 10_000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails old-chat messages coming back after the chat changed', () => {
    const b = mounted().action(2001, 'w1', 'switchChat', { chat: 'chat-a2' });
    b.widget(2001, 'w1', [], { chat: 'chat-a2' }).widget(2040, 'w1', ['chat-a1-s1', 'chat-a1-s2'], { chat: 'chat-a2' });
    expect(check('LIVE-2', b, 10_000).evidence).toMatch(
      /w1 showed chat-a1's messages chat-a1-s1, chat-a1-s2 at 2\.04 s, after .* was changed to chat-a2 at 2\.001 s/,
    );
  });

  it('fails a poll of the old email after the widget moved to another customer', () => {
    const b = mounted().mount(2001, 'w1', CAROL, 'chat-c1').poll(2001, 'w1', CAROL).poll(4000, 'w1', ALICE);
    expect(check('LIVE-2', b, 10_000).evidence).toMatch(/for the old email/);
  });

  it('is not exercised without an unmount or a change', () => {
    expect(check('LIVE-2', mounted(), 10_000).verdict).toBe('not-exercised');
  });
});

/** A widget on alice / chat-a1 from 0, polling, and a message `id` put in the chat at 1000. */
function delivered(kind: 'replaced' | 'agent', shownAt: number | undefined): TraceBuilder {
  const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 6000).widget(40, 'w1', ['chat-a1-s1', 'chat-a1-s2']);
  if (kind === 'replaced')
    b.log(1000, 'message.replaced', {
      id: 'm9',
      old: 'chat-a1-s2',
      chat_id: 'chat-a1',
      email: ALICE,
      dashboard_user_id: 'agent-1',
      role: 'agent',
      request: 'd1/http#1',
    });
  else b.stored(1000, { id: 'm9', role: 'agent', request: 'd1/http#1' });
  if (shownAt !== undefined) b.widget(shownAt, 'w1', kind === 'replaced' ? ['chat-a1-s1', 'm9'] : ['chat-a1-s1', 'chat-a1-s2', 'm9']);
  return b;
}

describe('LIVE-3: a replaced message is shown', () => {
  it('passes when the replacement shows up at the next poll', () => {
    expect(check('LIVE-3', delivered('replaced', 2040), 8000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails when the widget keeps the replaced message (same count)', () => {
    const f = check('LIVE-3', delivered('replaced', undefined), 8000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(
      /the replacement m9 \(chat-a1, stored at 1\.0 s\) was not shown by w1's widget .* within 2 s \+ T \(2\.29 s, by 3\.29 s\); it still showed chat-a1-s2/,
    );
  });

  it('does not judge a window a fault touched', () => {
    const b = delivered('replaced', undefined).fault(500, 0, 'partition').faultEnd(1500, 0, 'partition');
    expect(check('LIVE-3', b, 8000).verdict).toBe('not-exercised');
  });
});

describe('LIVE-4: a dashboard shows only its own customers', () => {
  it('passes a dashboard showing its own customers', () => {
    const b = new TraceBuilder().connect(0, 'd1', 'agent-1').dashboard(100, 'd1', 'agent-1', [
      { email: ALICE, owner: 'agent-1' },
      { email: 'bob@example.com', owner: 'agent-1' },
    ]);
    expect(check('LIVE-4', b, 5000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails a dashboard showing another agent’s customer, by the server’s record', () => {
    const b = new TraceBuilder()
      .connect(0, 'd1', 'agent-1')
      .dashboard(100, 'd1', 'agent-1', [{ email: ALICE, owner: 'agent-1' }, { email: CAROL }]);
    const f = check('LIVE-4', b, 5000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'd1, the dashboard of agent-1, showed 1 customer of other dashboard users at 0.1 s: carol@example.com (agent-2)',
    );
  });

  it('judges a customer the server never logged by the dashboard_user_id shown', () => {
    const b = new TraceBuilder()
      .connect(0, 'd1', 'agent-1')
      .dashboard(100, 'd1', 'agent-1', [{ email: 'zed@example.com', owner: 'agent-9' }]);
    expect(check('LIVE-4', b, 5000).verdict).toBe('fail');
  });

  it('is not exercised when no dashboard shows a customer', () => {
    expect(check('LIVE-4', new TraceBuilder().connect(0, 'd1', 'agent-1').dashboard(100, 'd1', 'agent-1', []), 5000).verdict).toBe(
      'not-exercised',
    );
  });
});

/** d1 (agent-1) subscribed from 60 ms; alice's message m9 stored at 1000; d1 shows it at `shownAt`. */
function broadcastTo(shownAt: number | undefined, o: { failed?: boolean; owner?: string } = {}): TraceBuilder {
  const b = new TraceBuilder().connect(0, 'd1', 'agent-1');
  b.socket(0, 'd1');
  b.dashboard(100, 'd1', 'agent-1', [{ email: ALICE, owner: 'agent-1', ids: ['chat-a1-s1'] }]);
  b.stored(1000, { id: 'm9', request: 'w1/http#1', owner: o.owner });
  b.log(1000, 'broadcast.start', { broadcast: 2, trigger: 'widget-message', message: 'm9', request: 'w1/http#1' });
  b.log(1020, o.failed ? 'broadcast.failed' : 'broadcast.sent', { broadcast: 2, sockets: ['d1/ws#1'] });
  if (shownAt !== undefined) b.dashboard(shownAt, 'd1', 'agent-1', [{ email: ALICE, owner: 'agent-1', ids: ['chat-a1-s1', 'm9'] }]);
  return b;
}

describe('LIVE-5: a sent message reaches the dashboard at once', () => {
  it('passes when the immediate broadcast shows it within A + T', () => {
    expect(check('LIVE-5', broadcastTo(1040), 8000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails when it shows up only with the background cycle', () => {
    const f = check('LIVE-5', broadcastTo(2040), 8000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'customer message m9 (alice@example.com / chat-a1, stored at 1.0 s) did not reach d1, the dashboard of agent-1, within A + T (540 ms, by 1.54 s) over d1/ws#1; it appeared at 2.04 s, 1.04 s after it was stored',
    );
  });

  it('excuses a message whose broadcast failed, and does not judge other agents’ dashboards', () => {
    expect(check('LIVE-5', broadcastTo(undefined, { failed: true }), 8000).verdict).toBe('not-exercised');
    expect(check('LIVE-5', broadcastTo(undefined, { owner: 'agent-2' }), 8000).verdict).toBe('not-exercised');
  });

  it('does not judge a socket whose stream a fault stalled shortly before', () => {
    const b = broadcastTo(2040).fault(300, 0, 'partition').faultEnd(900, 0, 'partition');
    expect(check('LIVE-5', b, 8000).verdict).toBe('not-exercised');
  });
});

/** A customer send served at 1020, stored, its broadcast done at 1040; answered at `respondAt` with `status`. */
function send(respondAt: number, status = 201): TraceBuilder {
  const b = new TraceBuilder();
  const id = b.request(1000, 'w1', 'POST', `/api/users/${enc(ALICE)}/chats/chat-a1/messages`);
  b.add(1020, 'http.serve', { id, method: 'POST', path: `/api/users/${enc(ALICE)}/chats/chat-a1/messages` });
  b.stored(1020, { id: 'm9', request: id });
  b.log(1020, 'broadcast.start', { broadcast: 2, trigger: 'widget-message', message: 'm9', request: id });
  if (respondAt === 1020) b.add(1020, 'http.respond', { id, status });
  b.log(1040, 'broadcast.sent', { broadcast: 2, sockets: [] });
  if (respondAt > 1020) b.add(respondAt, 'http.respond', { id, status });
  b.add(respondAt + 20, 'http.response', { id, status });
  return b;
}

describe('LIVE-6: a broadcast never fails or delays the send', () => {
  it('passes a send answered before its broadcast completed', () => {
    expect(check('LIVE-6', send(1020), 5000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails a send answered only after its broadcast', () => {
    expect(check('LIVE-6', send(1040), 5000).evidence).toBe(
      'send w1/http#1 (message m9, stored at 1.02 s) was answered at 1.04 s, only after its broadcast #2 (started 1.02 s) was sent at 1.04 s: the send waited 20 ms for the broadcast',
    );
  });

  it('fails a stored send answered with an error', () => {
    const f = check('LIVE-6', send(1020, 500), 5000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(/was answered 500 at 1\.02 s: a stored message must be answered as sent/);
  });

  it('is not exercised without a stored send', () => {
    expect(check('LIVE-6', new TraceBuilder(), 5000).verdict).toBe('not-exercised');
  });
});

describe('LIVE-7: an agent’s message reaches the widget within 2 s', () => {
  it('passes when the next poll shows it', () => {
    expect(check('LIVE-7', delivered('agent', 2040), 8000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails when the widget shows it too late', () => {
    const f = check('LIVE-7', delivered('agent', 4040), 8000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(/agent message m9 \(chat-a1, stored at 1\.0 s\) was not shown .* by 3\.29 s\); it appeared at 4\.04 s/);
  });

  it('is not judged for a widget on another chat', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a2').polls(0, 6000).stored(1000, { id: 'm9', role: 'agent' });
    expect(check('LIVE-7', b, 8000).verdict).toBe('not-exercised');
  });
});

describe('restored clients', () => {
  it('treat a widget that remounted itself after a restart as a session from the restart', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 3000);
    b.action(3000, 'w1', 'restart').add(3000, 'client.restart', { node: 'w1', incarnation: 1 });
    b.widget(3000, 'w1', [], { mounted: true }).polls(3000, 9000).polls(3050, 9000);
    const f = check('LIVE-1', b, 9000);
    expect(f.verdict).toBe('fail'); // the restored session runs two loops
    expect(f.evidence).toMatch(/from 3\.0 s/);
  });

  it('take the identity of a dashboard that reconnected itself after a restart', () => {
    const b = new TraceBuilder().connect(0, 'd1', 'agent-1');
    b.action(500, 'd1', 'restart').add(500, 'client.restart', { node: 'd1', incarnation: 1 });
    b.socket(500, 'd1');
    b.dashboard(600, 'd1', 'agent-1', [{ email: ALICE, owner: 'agent-1' }]);
    b.stored(1000, { id: 'm9' }).dashboard(2040, 'd1', 'agent-1', [{ email: ALICE, owner: 'agent-1', ids: ['m9'] }]);
    expect(check('LIVE-5', b, 8000).verdict).toBe('fail');
  });
});
