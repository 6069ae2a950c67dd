import { describe, expect, it } from 'vitest';
import { protocols } from '../../../src/conformance/registry.js';
import { parseScenario, ScenarioError } from '../../../src/conformance/scenario.js';
import {
  createLiveSupportServer,
  LiveServerOptionsError,
  parseLiveServerOptions,
  type LiveServerOptions,
} from '../../../src/reference/live-support/server.js';
import type { LiveServerDecisions } from '../../../src/reference/live-support/server-core.js';
import { liveSupportServerVariants } from '../../../src/reference/live-support/variants.js';
import {
  livePaths,
  parseChatList,
  parseMessageAck,
  parseServerFrame,
  routeOf,
  type ChatUpdatesFrame,
  type DashboardServerFrame,
  type LiveChat,
  type LiveMessage,
} from '../../../src/reference/live-support/wire.js';
import { Simulation, type SimulationOptions } from '../../../src/sim/simulation.js';
import type { TraceEvent } from '../../../src/sim/trace.js';
import type { SimWebSocket } from '../../../src/sim/transport/websocket.js';

// A small hand-written client drives the server through the simulated network. Default
// link: 20 ms each way, so a request sent at t is served at t+20 and answered at t+40; a
// socket opened at t is accepted at t+20 and open at t+40; its subscription arrives at
// t+60, and the current state (after the 20 ms `broadcastCost`) at t+100. Wall clock at
// t=0: 2025-01-15T09:00:00Z.

const ALICE = 'alice@example.com';
const CAROL = 'carol@example.com';

function setup(
  options: LiveServerOptions = {},
  variant: 'reference' | keyof typeof liveSupportServerVariants = 'reference',
  sim: Partial<SimulationOptions> = {},
): Simulation {
  const decisions: Partial<LiveServerDecisions> = variant === 'reference' ? {} : liveSupportServerVariants[variant]!.decisions;
  // No random broadcast failures unless a test asks for them.
  return new Simulation({
    seed: 3,
    server: createLiveSupportServer({ broadcastFailRate: 0, ...options }, decisions),
    clients: ['w1', 'd1', 'd2'],
    ...sim,
  });
}

interface Reply {
  at: number;
  status?: number;
  body?: unknown;
  error?: unknown;
}

interface RequestOptions {
  node?: string;
  method?: string;
  body?: string | object;
  /** Bearer token (default the node's); `null` sends none. */
  token?: string | null;
}

/** Sends a request at virtual time `t` and records when and how it settles. */
function request(sim: Simulation, t: number, path: string, o: RequestOptions = {}): Reply {
  const out: Reply = { at: -1 };
  const node = o.node ?? 'w1';
  sim.at(t, node, 'test-request', () => {
    const env = sim.env(node);
    const token = o.token === undefined ? env.token : o.token;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    env.fetch(path, { method: o.method ?? (body === undefined ? 'GET' : 'POST'), headers, body }).then(
      async (res) => {
        out.at = sim.now;
        out.status = res.status;
        const text = await res.text();
        out.body = text ? JSON.parse(text) : undefined;
      },
      (error: unknown) => {
        out.at = sim.now;
        out.error = error;
      },
    );
  });
  return out;
}

const widgetSend = (sim: Simulation, t: number, email: string, chat: string, content: string) =>
  request(sim, t, livePaths.widgetSend(email, chat), { body: { content } });
const agentSend = (sim: Simulation, t: number, chat: string, content: string, user = 'agent-1', node = 'd1') =>
  request(sim, t, livePaths.agentSend(chat), { node, body: { content, dashboard_user_id: user } });

interface Dashboard {
  /** `<t> open`, `<t> subscribed`, `<t> updates <n users>`, `<t> pong`, `<t> close <code>`. */
  log: string[];
  updates: { at: number; frame: ChatUpdatesFrame }[];
  ws?: SimWebSocket;
}

/** Opens `/ws/dashboard` at `t` and subscribes to chat_updates once open (unless `subscribe: false`). */
function dashboard(sim: Simulation, t: number, o: { node?: string; token?: string; subscribe?: boolean; path?: string } = {}): Dashboard {
  const d: Dashboard = { log: [], updates: [] };
  const node = o.node ?? 'd1';
  sim.at(t, node, 'test-connect', () => {
    const env = sim.env(node);
    const ws = new env.WebSocket(o.path ?? livePaths.socket(o.token ?? env.token));
    d.ws = ws;
    ws.onopen = () => {
      d.log.push(`${sim.now} open`);
      if (o.subscribe !== false) ws.send(JSON.stringify({ type: 'subscribe', channel: 'chat_updates' }));
    };
    ws.onclose = (e) => d.log.push(`${sim.now} close ${e.code}`);
    ws.onmessage = (e) => {
      const f: DashboardServerFrame = parseServerFrame(e.data);
      if (f.type === 'chat_updates') {
        d.updates.push({ at: sim.now, frame: f });
        d.log.push(`${sim.now} updates ${f.data.users.length}`);
      } else d.log.push(`${sim.now} ${f.type}`);
    };
  });
  return d;
}

function logs(sim: Simulation, msg: string): TraceEvent[] {
  return sim.trace.events().filter((e) => e.ev === 'server.log' && e.msg === msg);
}

function chats(r: Reply): LiveChat[] {
  expect(r.status).toBe(200);
  return parseChatList(r.body);
}

const ids = (list: readonly LiveMessage[]) => list.map((m) => m.id);

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('the widget endpoints', () => {
  it('lists a customer’s chats with their seeded messages, and 404s an unknown customer', async () => {
    const sim = setup();
    const a = request(sim, 0, livePaths.chats(ALICE), { token: null });
    const x = request(sim, 0, livePaths.chats('nobody@example.com'));
    await sim.run(1000);
    const list = chats(a);
    expect(list.map((c) => c.chat_id)).toEqual(['chat-a1', 'chat-a2']);
    expect(list[0]!.messages.map((m) => [m.id, m.role])).toEqual([
      ['chat-a1-s1', 'user'],
      ['chat-a1-s2', 'agent'],
    ]);
    expect(a.at).toBe(40);
    expect(x.status).toBe(404);
    expect(x.body).toMatchObject({ error: 'user_not_found' });
    expect(logs(sim, 'customer.seeded').map((e) => [e.email, e.dashboard_user_id])).toEqual([
      [ALICE, 'agent-1'],
      ['bob@example.com', 'agent-1'],
      [CAROL, 'agent-2'],
      ['dave@example.com', 'agent-2'],
    ]);
  });

  it('stores a customer message (201, at once), lists it, and creates a new chat on first use', async () => {
    const sim = setup();
    const s = widgetSend(sim, 100, ALICE, 'chat-a1', 'where is my order?');
    const n = widgetSend(sim, 100, ALICE, 'chat-a9', 'a new chat');
    const other = widgetSend(sim, 100, ALICE, 'chat-c1', 'not my chat');
    const g = request(sim, 500, livePaths.chats(ALICE));
    await sim.run(1000);
    expect(s.status).toBe(201);
    expect(s.at).toBe(140);
    const m = parseMessageAck(s.body);
    expect(m).toMatchObject({ role: 'user', content: 'where is my order?', timestamp: '2025-01-15T09:00:00.120Z' });
    expect(n.status).toBe(201);
    expect(other.status).toBe(409);
    const list = chats(g);
    expect(list.map((c) => c.chat_id)).toEqual(['chat-a1', 'chat-a2', 'chat-a9']);
    expect(ids(list[0]!.messages)).toEqual(['chat-a1-s1', 'chat-a1-s2', m.id]);
    expect(logs(sim, 'chat.created').map((e) => e.chat_id)).toEqual(['chat-a9']);
    const stored = logs(sim, 'message.stored').filter((e) => !e.seeded);
    expect(stored[0]).toMatchObject({
      id: m.id,
      chat_id: 'chat-a1',
      email: ALICE,
      dashboard_user_id: 'agent-1',
      role: 'user',
      request: 'w1/http#1',
    });
  });

  it('rejects bad sends with a reason', async () => {
    const sim = setup();
    const empty = request(sim, 0, livePaths.widgetSend(ALICE, 'chat-a1'), { body: '' });
    const notJson = request(sim, 0, livePaths.widgetSend(ALICE, 'chat-a1'), { body: '{' });
    const noContent = request(sim, 0, livePaths.widgetSend(ALICE, 'chat-a1'), { body: { text: 'x' } });
    const put = request(sim, 0, livePaths.chats(ALICE), { method: 'PUT', body: '{}' });
    const nowhere = request(sim, 0, '/api/elsewhere');
    const socketOverHttp = request(sim, 0, '/ws/dashboard');
    await sim.run(1000);
    expect([empty, notJson, noContent].map((r) => r.status)).toEqual([400, 400, 400]);
    expect((notJson.body as { reason: string }).reason).toMatch(/not valid JSON/);
    expect(put.status).toBe(405);
    expect(nowhere.status).toBe(404);
    expect(socketOverHttp.status).toBe(426);
    expect(logs(sim, 'request.rejected')).toHaveLength(6);
  });
});

describe('the dashboard endpoints', () => {
  it('lets an agent send into their own customer’s chat only, with a token', async () => {
    const sim = setup();
    const ok = agentSend(sim, 0, 'chat-a1', 'hello Alice');
    const foreign = agentSend(sim, 0, 'chat-c1', 'hello Carol', 'agent-1');
    const noToken = request(sim, 0, livePaths.agentSend('chat-a1'), {
      node: 'd1',
      token: null,
      body: { content: 'x', dashboard_user_id: 'agent-1' },
    });
    const badToken = request(sim, 0, livePaths.agentSend('chat-a1'), {
      node: 'd1',
      token: 'nope',
      body: { content: 'x', dashboard_user_id: 'agent-1' },
    });
    const noUser = request(sim, 0, livePaths.agentSend('chat-a1'), { node: 'd1', body: { content: 'x' } });
    const unknown = agentSend(sim, 0, 'chat-zz', 'x');
    await sim.run(1000);
    expect(ok.status).toBe(201);
    expect(parseMessageAck(ok.body).role).toBe('agent');
    expect(foreign.status).toBe(403);
    expect(noToken.status).toBe(401);
    expect(badToken.status).toBe(401);
    expect(noUser.status).toBe(400);
    expect(unknown.status).toBe(404);
  });

  it('replaces a message in place: same count, new id, the old id gone', async () => {
    const sim = setup();
    const r = request(sim, 0, livePaths.agentReplace('chat-a1', 'chat-a1-s2'), {
      node: 'd1',
      method: 'PUT',
      body: { content: 'corrected', dashboard_user_id: 'agent-1' },
    });
    const missing = request(sim, 0, livePaths.agentReplace('chat-a1', 'nope'), {
      node: 'd1',
      method: 'PUT',
      body: { content: 'x', dashboard_user_id: 'agent-1' },
    });
    const post = request(sim, 0, livePaths.agentReplace('chat-a1', 'chat-a1-s1'), {
      node: 'd1',
      body: { content: 'x', dashboard_user_id: 'agent-1' },
    });
    const g = request(sim, 500, livePaths.chats(ALICE));
    await sim.run(1000);
    expect(r.status).toBe(200);
    const m = parseMessageAck(r.body);
    expect(m).toMatchObject({ role: 'agent', content: 'corrected' });
    expect(ids(chats(g)[0]!.messages)).toEqual(['chat-a1-s1', m.id]);
    expect(missing.status).toBe(404);
    expect(post.status).toBe(405);
    expect(logs(sim, 'message.replaced')).toEqual([
      expect.objectContaining({
        id: m.id,
        old: 'chat-a1-s2',
        chat_id: 'chat-a1',
        email: ALICE,
        dashboard_user_id: 'agent-1',
        request: 'd1/http#1',
      }),
    ]);
  });
});

describe('the dashboard socket', () => {
  it('refuses an upgrade without a known token or on another path', async () => {
    const sim = setup();
    const bad = dashboard(sim, 0, { token: 'nope' });
    const elsewhere = dashboard(sim, 0, { path: '/ws/other?token=token-d1', node: 'd2' });
    await sim.run(1000);
    expect(bad.log).toEqual(['40 close 1006']);
    expect(elsewhere.log).toEqual(['40 close 1006']);
    expect(logs(sim, 'upgrade.rejected').map((e) => e.status)).toEqual([401, 404]);
  });

  it('confirms the subscription, sends the current state at once, then broadcasts every 2 s', async () => {
    const sim = setup();
    const d = dashboard(sim, 100);
    await sim.run(5000);
    expect(d.log.slice(0, 3)).toEqual(['140 open', '180 subscribed', '200 updates 4']);
    // Background cycle: every 2 s from the server's start, plus the broadcast cost and one trip.
    expect(d.updates.map((u) => u.at)).toEqual([200, 2040, 4040]);
    const users = d.updates[0]!.frame.data.users;
    expect(users.map((u) => [u.email, u.dashboard_user_id])).toEqual([
      [ALICE, 'agent-1'],
      ['bob@example.com', 'agent-1'],
      [CAROL, 'agent-2'],
      ['dave@example.com', 'agent-2'],
    ]);
    expect(users[0]).toMatchObject({ _id: 'u1', name: 'Alice', category: 'human-chats', status: 'active' });
    expect(d.updates[0]!.frame.data.timestamp).toBe('2025-01-15T09:00:00.180Z');
    expect(logs(sim, 'dashboard.subscribed')).toEqual([expect.objectContaining({ socket: 'd1/ws#1', channel: 'chat_updates' })]);
  });

  it('broadcasts at once on every send, without holding up the answer (non-blocking)', async () => {
    const sim = setup();
    const d = dashboard(sim, 0);
    const s = widgetSend(sim, 500, ALICE, 'chat-a1', 'quick');
    const a = agentSend(sim, 900, 'chat-a1', 'quick answer');
    await sim.run(1900);
    expect(s.at).toBe(540); // answered when served (520) + one trip
    expect(a.at).toBe(940);
    // Served at 520: broadcast after 20 ms, frames arrive 20 ms later; likewise for the agent.
    expect(d.updates.map((u) => u.at)).toEqual([100, 560, 960]);
    const m = parseMessageAck(s.body);
    expect(d.updates[1]!.frame.data.users[0]!.chats[0]!.messages.map((x) => x.id)).toContain(m.id);
    const starts = logs(sim, 'broadcast.start');
    expect(starts.map((e) => e.trigger)).toEqual(['subscribe', 'widget-message', 'agent-message']);
    // The answer is on its way before the broadcast completes.
    const respond = sim.trace.events().find((e) => e.ev === 'http.respond' && e.id === 'w1/http#1')!;
    const sent = logs(sim, 'broadcast.sent').find((e) => e.broadcast === starts[1]!.broadcast)!;
    expect(respond.seq).toBeLessThan(sent.seq);
  });

  it('puts the most recently active customers first, at most broadcastLimit, each chat’s last messageLimit messages', async () => {
    const sim = setup({ broadcastLimit: 2, messageLimit: 1 });
    const d = dashboard(sim, 0);
    widgetSend(sim, 500, CAROL, 'chat-c2', 'carol speaks');
    await sim.run(700);
    const users = d.updates.at(-1)!.frame.data.users;
    expect(users.map((u) => u.email)).toEqual([CAROL, ALICE]);
    expect(users[0]!.chats.map((c) => c.messages.length)).toEqual([1, 1]);
    expect(users[0]!.chats[1]!.messages[0]!.content).toBe('carol speaks');
  });

  it('answers pings and logs frames it does not understand', async () => {
    const sim = setup();
    const d = dashboard(sim, 0);
    sim.at(100, 'd1', 'test-frames', () => {
      d.ws!.send(JSON.stringify({ type: 'ping' }));
      d.ws!.send('not json');
      d.ws!.send(JSON.stringify({ type: 'subscribe', channel: 'other' }));
    });
    await sim.run(500);
    expect(d.log).toContain('140 pong');
    expect(logs(sim, 'frame.ignored').map((e) => e.reason)).toEqual(['not JSON', 'unknown channel "other"']);
  });

  it('a failed broadcast sends nothing and never fails the send', async () => {
    const sim = setup({ broadcastFailRate: 1 });
    const d = dashboard(sim, 0);
    const s = widgetSend(sim, 500, ALICE, 'chat-a1', 'still stored');
    await sim.run(3000);
    expect(s.status).toBe(201);
    expect(s.at).toBe(540);
    expect(d.updates).toEqual([]);
    expect(logs(sim, 'broadcast.failed').length).toBeGreaterThanOrEqual(3);
    expect(logs(sim, 'broadcast.sent')).toEqual([]);
  });

  it('draws broadcast failures from the server’s seeded stream', async () => {
    const run = async (seed: number) => {
      const sim = setup({ broadcastFailRate: 0.5 }, 'reference', { seed });
      dashboard(sim, 0);
      await sim.run(40_000);
      return logs(sim, 'broadcast.failed').map((e) => e.broadcast);
    };
    const a = await run(11);
    expect(a.length).toBeGreaterThan(3);
    expect(a.length).toBeLessThan(18);
    expect(await run(11)).toEqual(a);
  });
});

describe('restarts', () => {
  it('keeps state and re-arms the background cycle after a restart that keeps state', async () => {
    const sim = setup({}, 'reference', { faults: [{ kind: 'server-restart', at: 3000, downtime: 500, state: 'keep' }] });
    const s = widgetSend(sim, 100, ALICE, 'chat-a1', 'before');
    const g = request(sim, 4000, livePaths.chats(ALICE));
    const d = dashboard(sim, 3600);
    await sim.run(8000);
    const m = parseMessageAck(s.body);
    expect(ids(chats(g)[0]!.messages)).toContain(m.id);
    // After the restart at 3 s, the cycle restarts at 3.5 s: 5.5 s, 7.5 s (+ cost + trip).
    expect(d.updates.map((u) => u.at)).toEqual([3700, 5540, 7540]);
  });

  it('starts from the seeded customers after a restart that loses state, with new message ids', async () => {
    const sim = setup({}, 'reference', { faults: [{ kind: 'server-restart', at: 3000, downtime: 500, state: 'lose' }] });
    widgetSend(sim, 100, ALICE, 'chat-a1', 'lost');
    const s = widgetSend(sim, 4000, ALICE, 'chat-a1', 'after');
    const g = request(sim, 4500, livePaths.chats(ALICE));
    await sim.run(5000);
    const m = parseMessageAck(s.body);
    expect(m.id).toBe('g1-m1');
    expect(ids(chats(g)[0]!.messages)).toEqual(['chat-a1-s1', 'chat-a1-s2', 'g1-m1']);
    expect(logs(sim, 'customer.seeded')).toHaveLength(8);
  });
});

describe('token expiry (the expireCredentials hook)', () => {
  it('closes the node\u2019s sockets with 4001, then refuses its upgrades and REST calls with 401; the widget and other nodes are untouched', async () => {
    const sim = setup({}, 'reference', { faults: [{ kind: 'token-expiry', at: 1000, node: 'd1' }] });
    const d1 = dashboard(sim, 0);
    const d2 = dashboard(sim, 0, { node: 'd2' });
    const again = dashboard(sim, 1500);
    const send = agentSend(sim, 1500, 'chat-a1', 'after the expiry');
    const other = agentSend(sim, 1500, 'chat-c1', 'from d2', 'agent-2', 'd2');
    const poll = request(sim, 1500, livePaths.chats(ALICE));
    await sim.run(2500);
    expect(d1.log.filter((l) => l.includes('close'))).toEqual(['1020 close 4001']);
    expect(d2.log.some((l) => l.includes('close'))).toBe(false);
    expect(again.log).toEqual(['1540 close 1006']);
    expect(send.status).toBe(401);
    expect(send.body).toMatchObject({ error: 'token_expired' });
    expect(other.status).toBe(201);
    expect(chats(poll)).toHaveLength(2);
    expect(logs(sim, 'upgrade.rejected').map((e) => e.reason)).toEqual(['token expired']);
  });

  it('stays expired across a restart that loses state (the kernel tells the new server again)', async () => {
    const sim = setup({}, 'reference', {
      faults: [
        { kind: 'token-expiry', at: 500 },
        { kind: 'server-restart', at: 1000, downtime: 200, state: 'lose' },
      ],
    });
    const send = agentSend(sim, 1500, 'chat-a1', 'after the restart');
    await sim.run(2000);
    expect(send.status).toBe(401);
  });
});

describe('server variants', () => {
  it('broadcast-only-on-timer: a send triggers no broadcast; the dashboard learns of it from the cycle', async () => {
    const sim = setup({}, 'broadcast-only-on-timer');
    const d = dashboard(sim, 0);
    widgetSend(sim, 500, ALICE, 'chat-a1', 'waits for the cycle');
    await sim.run(2500);
    expect(logs(sim, 'broadcast.start').map((e) => e.trigger)).toEqual(['subscribe', 'timer']);
    expect(d.updates.map((u) => u.at)).toEqual([100, 2040]);
  });

  it('broadcast-blocks-send: the answer waits for the broadcast, and is 500 when it fails', async () => {
    const slow = setup({ broadcastCost: 300 }, 'broadcast-blocks-send');
    const s = widgetSend(slow, 500, ALICE, 'chat-a1', 'slow');
    await slow.run(1500);
    expect(s.status).toBe(201);
    expect(s.at).toBe(840); // served at 520, broadcast done at 820
    const failing = setup({ broadcastFailRate: 1 }, 'broadcast-blocks-send');
    const f = widgetSend(failing, 500, ALICE, 'chat-a1', 'stored, yet answered 500');
    const g = request(failing, 700, livePaths.chats(ALICE));
    await failing.run(1500);
    expect(f.status).toBe(500);
    expect(chats(g)[0]!.messages.map((m) => m.content)).toContain('stored, yet answered 500');
  });

  it('are built by the protocol by name; anything else is refused', () => {
    const p = protocols.get('live-support')!;
    expect(Object.keys(p.serverVariants)).toEqual(['broadcast-only-on-timer', 'broadcast-blocks-send']);
    expect(typeof p.server('broadcast-blocks-send', {})).toBe('function');
    expect(() => p.server('nope', {})).toThrow(/no server variant "nope"/);
  });
});

describe('options and wire validation', () => {
  it('reports every bad option with its field', () => {
    const e = thrown(() =>
      parseLiveServerOptions(
        {
          broadcastIntervall: 1,
          broadcastCost: -1,
          broadcastFailRate: 2,
          customers: [
            { email: 'x', dashboard_user_id: '' },
            { email: 'a@b', dashboard_user_id: 'u', chats: [1] },
          ],
          tokens: [],
        },
        'opts',
      ),
    ) as LiveServerOptionsError;
    expect(e).toBeInstanceOf(LiveServerOptionsError);
    expect(e.problems.map((p) => p.field)).toEqual([
      'broadcastIntervall',
      'broadcastCost',
      'broadcastFailRate',
      'tokens',
      'customers[0].email',
      'customers[0].dashboard_user_id',
      'customers[1].chats',
    ]);
    expect(e.message).toMatch(/did you mean "broadcastInterval"/);
  });

  it('rejects a scenario with bad server options, naming server.options.<field>', () => {
    const e = thrown(() =>
      parseScenario('protocol: live-support\nserver: { options: { messageLimit: 0 } }\n', 'x.yaml', protocols),
    ) as ScenarioError;
    expect(e).toBeInstanceOf(ScenarioError);
    expect(e.message).toContain('server.options.messageLimit');
  });

  it('routes paths and validates frames and bodies at the boundary', () => {
    expect(routeOf('/api/users/alice%40example.com/chats')).toEqual({ kind: 'chats', email: ALICE });
    expect(routeOf('/api/dashboard/chats/c%201/messages/m1')).toEqual({ kind: 'agent-replace', chat: 'c 1', message: 'm1' });
    expect(routeOf('/ws/dashboard?token=x')).toEqual({ kind: 'socket' });
    expect(routeOf('/api/users/%E0%A4%A/chats')).toBeUndefined();
    expect(() => parseServerFrame('{"type":"chat_updates","data":{"users":[{"email":1}],"timestamp":"t"}}')).toThrow(/email/);
    expect(() =>
      parseServerFrame('{"type":"chat_updates","data":{"users":[{"email":"a","dashboard_user_id":5,"chats":[]}],"timestamp":"t"}}'),
    ).toThrow(/dashboard_user_id/);
    expect(parseServerFrame('{"type":"chat_updates","data":{"users":[{"email":"a","chats":[]}],"timestamp":"t"}}').type).toBe(
      'chat_updates',
    );
    expect(() => parseServerFrame('{"type":"nope"}')).toThrow(/unknown dashboard frame/);
    expect(() => parseChatList({ chats: [{ chat_id: 'c', messages: [{ id: 'm', role: 'bot', content: '', timestamp: '' }] }] })).toThrow(
      /role/,
    );
    expect(() => parseMessageAck({})).toThrow(/message must be an object/);
  });
});
