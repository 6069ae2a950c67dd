import { describe, expect, it } from 'vitest';
import {
  ChatServerOptionsError,
  chatRevokedCloseCode,
  createChatServer,
  parseChatServerOptions,
  type ChatServerOptions,
} from '../../../src/reference/chat/server.js';
import {
  createChatState,
  drawChatConfig,
  handleFrame,
  handleHttp,
  listAnswer,
  resolveChatConfig,
  stampOf,
} from '../../../src/reference/chat/server-core.js';
import { Random } from '../../../src/sim/random.js';
import { chatPaths, parseMessageList, parseSendAck, parseServerFrame, type ChatMessage } from '../../../src/reference/chat/wire.js';
import { Simulation, type SimulationOptions } from '../../../src/sim/simulation.js';
import type { TraceEvent } from '../../../src/sim/trace.js';
import type { SimWebSocket } from '../../../src/sim/transport/websocket.js';

// A small hand-written client drives the server through the simulated network. Default
// link: 20 ms each way, so a request sent at t is served at t+20 and answered at t+40;
// a socket opened at t is accepted at t+20 and open at t+40. Wall clock at t=0:
// 2025-01-15T09:00:00.000Z.

const A = 'conv-a';
const B = 'conv-b';

// These tests time the documented defaults: with no option at all the server would draw
// its world from the seed (as in property runs), so they pin one option.
function setup(options: ChatServerOptions = {}, sim: Partial<SimulationOptions> = {}): Simulation {
  const pinned = Object.keys(options).length > 0 ? options : { aiDelay: 2000 };
  return new Simulation({ seed: 5, server: createChatServer(pinned), clients: ['c1', 'c2'], ...sim });
}

const stamp = (t: number) => new Date(Date.UTC(2025, 0, 15, 9, 0, 0) + t).toISOString();

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
  /** The bearer token (default the node's); `null` sends no Authorization header. */
  token?: string | null;
  path?: string;
}

/** Sends a request at virtual time `t` as a task of the client node, and records when and how it settles. */
function request(sim: Simulation, t: number, conversation: string, o: RequestOptions = {}): Reply {
  const out: Reply = { at: -1 };
  const node = o.node ?? 'c1';
  sim.at(t, node, 'test-request', () => {
    const env = sim.env(node);
    const token = o.token === undefined ? env.token : o.token;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    env
      .fetch(o.path ?? chatPaths.messages(conversation), { method: o.method ?? (body === undefined ? 'GET' : 'POST'), headers, body })
      .then(
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

const send = (sim: Simulation, t: number, conversation: string, content: string, clientMessageId: string, node = 'c1') =>
  request(sim, t, conversation, { node, body: { content, clientMessageId } });

interface Socket {
  /** `<t> open`, `<t> message <id> <role>`, `<t> pong`, `<t> error`, `<t> close <code>`. */
  log: string[];
  messages: ChatMessage[];
  ws?: SimWebSocket;
}

/** Opens a socket on `conversation` at virtual time `t`. */
function connect(sim: Simulation, t: number, conversation: string, o: { node?: string; token?: string; path?: string } = {}): Socket {
  const s: Socket = { log: [], messages: [] };
  const node = o.node ?? 'c1';
  sim.at(t, node, 'test-connect', () => {
    const env = sim.env(node);
    const ws = new env.WebSocket(o.path ?? chatPaths.socket(conversation, o.token ?? env.token));
    s.ws = ws;
    ws.onopen = () => s.log.push(`${sim.now} open`);
    ws.onerror = () => s.log.push(`${sim.now} error`);
    ws.onclose = (e) => s.log.push(`${sim.now} close ${e.code}`);
    ws.onmessage = (e) => {
      const frame = parseServerFrame(e.data);
      if (frame.type === 'pong') s.log.push(`${sim.now} pong`);
      else {
        s.messages.push(frame.message);
        s.log.push(`${sim.now} message ${frame.message.id} ${frame.message.role}`);
      }
    };
  });
  return s;
}

function logs(sim: Simulation, msg: string): TraceEvent[] {
  return sim.trace.events().filter((e) => e.ev === 'server.log' && e.msg === msg);
}

function list(r: Reply): ChatMessage[] {
  expect(r.status).toBe(200);
  return parseMessageList(r.body);
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('chat server: REST', () => {
  it('lists an empty conversation, stores a sent message (201) with a server id and timestamp, lists it', async () => {
    const sim = setup();
    const empty = request(sim, 0, A);
    const sent = send(sim, 100, A, 'hello', 'cm-1');
    const after = request(sim, 200, A);
    await sim.run(1000);
    expect(empty).toMatchObject({ at: 40, status: 200, body: { messages: [] } });
    expect(sent.status).toBe(201);
    expect(sent.at).toBe(140);
    const message = parseSendAck(sent.body);
    expect(message).toEqual({
      id: 'm1',
      conversationId: A,
      role: 'user',
      content: 'hello',
      timestamp: stamp(120),
      clientMessageId: 'cm-1',
    });
    expect(message.timestamp).toBe('2025-01-15T09:00:00.120Z');
    expect(list(after)).toEqual([message]);
    expect(logs(sim, 'message.stored').map((e) => [e.t, e.id, e.conversation, e.role, e.clientMessageId, e.content])).toEqual([
      [120, 'm1', A, 'user', 'cm-1', 'hello'],
    ]);
  });

  it('is idempotent on clientMessageId: 201 then 200 with the stored message, one message, one AI reply', async () => {
    const sim = setup();
    const first = send(sim, 0, A, 'hello', 'cm-1');
    const again = send(sim, 500, A, 'hello (retry)', 'cm-1');
    const sameIdOtherConversation = send(sim, 600, B, 'hello', 'cm-1');
    const listed = request(sim, 5000, A);
    await sim.run(6000);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(sameIdOtherConversation.status).toBe(201);
    const messages = list(listed);
    expect(messages.map((m) => [m.id, m.role, m.content])).toEqual([
      ['m1', 'user', 'hello'],
      // m2 is the message in conversation B (ids are server-wide).
      ['m3', 'assistant', 'Reply to: hello'],
    ]);
    expect(logs(sim, 'message.duplicate').map((e) => [e.t, e.id, e.clientMessageId, e.conversation, e.sameContent])).toEqual([
      [520, 'm1', 'cm-1', A, false],
    ]);
    expect(logs(sim, 'message.stored').filter((e) => e.conversation === A)).toHaveLength(2);
  });

  it('keeps messages ordered by timestamp, AI replies interleaved where they were stored', async () => {
    const sim = setup({ aiDelay: 300 });
    send(sim, 0, A, 'one', 'cm-1');
    send(sim, 100, A, 'two', 'cm-2');
    send(sim, 1000, A, 'three', 'cm-3');
    const listed = request(sim, 2000, A);
    await sim.run(3000);
    const messages = list(listed);
    expect(messages.map((m) => m.content)).toEqual(['one', 'two', 'Reply to: one', 'Reply to: two', 'three', 'Reply to: three']);
    expect(messages.map((m) => m.timestamp)).toEqual([20, 120, 320, 420, 1020, 1320].map(stamp));
    expect(messages.map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  });

  it('answers 400 with a reason to malformed bodies and stores nothing', async () => {
    const sim = setup();
    const bodies = [
      '{"content": "x", ',
      '',
      '[1]',
      '{"content": 3, "clientMessageId": "a"}',
      '{"content": "x"}',
      '{"content": "x", "clientMessageId": ""}',
    ];
    const replies = bodies.map((b, i) => request(sim, i * 10, A, { method: 'POST', body: b }));
    const listed = request(sim, 500, A);
    await sim.run(1000);
    expect(replies.map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 400]);
    expect(replies.map((r) => (r.body as { error: string; reason: string }).reason)).toEqual([
      'the body is not valid JSON; expected JSON {"content": string, "clientMessageId": string}',
      'the body is empty; expected JSON {"content": string, "clientMessageId": string}',
      'the body is an array; expected JSON {"content": string, "clientMessageId": string}',
      '"content" must be a string; found a number',
      '"clientMessageId" must be a non-empty string; found nothing',
      '"clientMessageId" must be a non-empty string; found an empty string',
    ]);
    expect((replies[0]!.body as { error: string }).error).toBe('bad_request');
    expect(list(listed)).toEqual([]);
    expect(logs(sim, 'message.stored')).toEqual([]);
    expect(logs(sim, 'request.rejected').map((e) => e.status)).toEqual([400, 400, 400, 400, 400, 400]);
  });

  it('answers 404 to unknown paths, 405 to other methods, 426 to plain requests on the socket path', async () => {
    const sim = setup();
    const unknown = request(sim, 0, A, { path: '/api/v1/conversations/x/messages' });
    const method = request(sim, 0, A, { method: 'DELETE' });
    const plain = request(sim, 0, A, { path: `/api/v1/consultations/${A}/ws` });
    await sim.run(100);
    expect(unknown).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(method).toMatchObject({ status: 405, body: { error: 'method_not_allowed' } });
    expect(plain).toMatchObject({ status: 426, body: { error: 'upgrade_required' } });
  });
});

describe('chat server: authentication', () => {
  it('answers 401 {"error":"unauthorized"} to a bad, missing or query-string-only token on REST', async () => {
    const sim = setup();
    const bad = request(sim, 0, A, { token: 'nope' });
    const missing = request(sim, 0, A, { token: null });
    const queryOnly = request(sim, 0, A, { token: null, path: `${chatPaths.messages(A)}?token=token-c1` });
    const badSend = request(sim, 0, A, { token: 'nope', body: { content: 'x', clientMessageId: 'cm-1' } });
    const good = request(sim, 0, A, { token: 'token-anything' });
    await sim.run(100);
    for (const r of [bad, missing, queryOnly, badSend]) expect(r).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(good.status).toBe(200);
    expect(logs(sim, 'message.stored')).toEqual([]);
  });

  it('refuses an upgrade with a bad token with 401: the client sees error + close 1006', async () => {
    const sim = setup();
    const bad = connect(sim, 0, A, { token: 'nope' });
    const good = connect(sim, 0, A);
    await sim.run(100);
    expect(bad.log).toEqual(['40 error', '40 close 1006']);
    expect(good.log).toEqual(['40 open']);
    expect(
      sim.trace
        .events()
        .filter((e) => e.ev === 'ws.refuse')
        .map((e) => e.status),
    ).toEqual([401]);
    expect(logs(sim, 'upgrade.rejected').map((e) => [e.status, e.reason])).toEqual([[401, 'unknown token']]);
  });

  it('refuses upgrades to unknown paths with 404', async () => {
    const sim = setup();
    const wrong = connect(sim, 0, A, { path: '/ws?token=token-c1' });
    const messagesPath = connect(sim, 0, A, { path: `${chatPaths.messages(A)}?token=token-c1` });
    await sim.run(100);
    expect(wrong.log).toEqual(['40 error', '40 close 1006']);
    expect(messagesPath.log).toEqual(['40 error', '40 close 1006']);
    expect(
      sim.trace
        .events()
        .filter((e) => e.ev === 'ws.refuse')
        .map((e) => e.status),
    ).toEqual([404, 404]);
  });

  it('`tokens` lists the accepted tokens', async () => {
    const sim = setup({ tokens: ['token-c1', 'special'] });
    const c1 = request(sim, 0, A);
    const c2 = request(sim, 0, A, { node: 'c2' });
    const special = request(sim, 0, A, { token: 'special' });
    const ws2 = connect(sim, 0, A, { node: 'c2' });
    await sim.run(100);
    expect([c1.status, c2.status, special.status]).toEqual([200, 401, 200]);
    expect(ws2.log).toEqual(['40 error', '40 close 1006']);
  });

  it('`revokeAt`: from then on REST and upgrades get 401 and open sockets are closed with 4001', async () => {
    const sim = setup({ revokeAt: 1000 });
    const ws = connect(sim, 0, A);
    const before = request(sim, 960, A);
    const at = request(sim, 980, A);
    const later = connect(sim, 1500, A);
    await sim.run(3000);
    expect(before.status).toBe(200);
    expect(at).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(chatRevokedCloseCode).toBe(4001);
    expect(ws.log).toEqual(['40 open', '1020 close 4001']);
    expect(later.log).toEqual(['1540 error', '1540 close 1006']);
    expect(logs(sim, 'auth.revoked').map((e) => [e.t, e.revokeAt, e.sockets])).toEqual([[1000, 1000, ['c1/ws#1']]]);
    expect(logs(sim, 'upgrade.rejected').map((e) => e.reason)).toEqual(['token revoked']);
  });
});

describe('chat server: WebSocket pushes', () => {
  it('pushes every stored message to every socket of its conversation and to no other', async () => {
    const sim = setup({ aiDelay: 1000 });
    const a1 = connect(sim, 0, A);
    const a2 = connect(sim, 0, A, { node: 'c2' });
    const b = connect(sim, 0, B);
    const sent = send(sim, 100, A, 'hi', 'cm-1');
    await sim.run(3000);
    expect(sent.status).toBe(201);
    expect(a1.log).toEqual(['40 open', '140 message m1 user', '1140 message m2 assistant']);
    expect(a2.log).toEqual(['40 open', '140 message m1 user', '1140 message m2 assistant']);
    expect(b.log).toEqual(['40 open']);
    expect(a1.messages[0]).toEqual(parseSendAck(sent.body));
    expect(a1.messages[1]).toEqual({ id: 'm2', conversationId: A, role: 'assistant', content: 'Reply to: hi', timestamp: stamp(1120) });
    expect(logs(sim, 'message.pushed').map((e) => [e.t, e.id, e.socket, e.conversation])).toEqual([
      [120, 'm1', 'c1/ws#1', A],
      [120, 'm1', 'c2/ws#1', A],
      [1120, 'm2', 'c1/ws#1', A],
      [1120, 'm2', 'c2/ws#1', A],
    ]);
  });

  it('does not push to a socket after it closed', async () => {
    const sim = setup({ aiDelay: 1000 });
    const a = connect(sim, 0, A);
    sim.at(500, 'c1', 'close', () => a.ws!.close(1000));
    send(sim, 600, A, 'hi', 'cm-1');
    await sim.run(3000);
    expect(a.log).toEqual(['40 open', '540 close 1000']);
    expect(logs(sim, 'message.pushed')).toEqual([]);
  });

  it('the AI answers after the default 2000 ms and the reply is pushed', async () => {
    const sim = setup();
    const a = connect(sim, 0, A);
    send(sim, 100, A, 'I need help finding motivation', 'cm-1');
    await sim.run(5000);
    expect(a.log).toEqual(['40 open', '140 message m1 user', '2140 message m2 assistant']);
    expect(a.messages[1]!.content).toBe('Reply to: I need help finding motivation');
    const stored = logs(sim, 'message.stored');
    expect(stored.map((e) => [e.t, e.id, e.role, e.clientMessageId, e.replyTo])).toEqual([
      [120, 'm1', 'user', 'cm-1', undefined],
      [2120, 'm2', 'assistant', undefined, 'm1'],
    ]);
    expect(logs(sim, 'ai.scheduled').map((e) => [e.t, e.replyTo, e.dueAt])).toEqual([[120, 'm1', 2120]]);
  });

  it('with no socket connected the AI reply is only stored, and visible over GET', async () => {
    const sim = setup({ aiDelay: 1500 });
    send(sim, 0, A, 'hello', 'cm-1');
    const early = request(sim, 1400, A);
    const late = request(sim, 1600, A);
    await sim.run(3000);
    expect(list(early).map((m) => m.id)).toEqual(['m1']);
    expect(list(late).map((m) => [m.id, m.role, m.content, m.timestamp])).toEqual([
      ['m1', 'user', 'hello', stamp(20)],
      ['m2', 'assistant', 'Reply to: hello', stamp(1520)],
    ]);
    expect(logs(sim, 'message.pushed')).toEqual([]);
  });

  it('`aiDelay` as {min, max} draws each delay from the server stream: within bounds, same seed same delays', async () => {
    const run = async (seed: number) => {
      const sim = setup({ aiDelay: { min: 1000, max: 4000 } }, { seed });
      for (let i = 0; i < 8; i++) send(sim, i * 10, A, `m${i}`, `cm-${i}`);
      await sim.run(10_000);
      return { delays: logs(sim, 'ai.scheduled').map((e) => (e.dueAt as number) - e.t), hash: sim.trace.hash() };
    };
    const one = await run(1);
    expect(one.delays).toHaveLength(8);
    for (const d of one.delays) (expect(d).toBeGreaterThanOrEqual(1000), expect(d).toBeLessThanOrEqual(4000));
    expect(new Set(one.delays).size).toBeGreaterThan(1);
    expect(await run(1)).toEqual(one);
    expect((await run(2)).delays).not.toEqual(one.delays);
  });

  it('answers ping with pong and ignores (and logs) unknown frames, keeping the socket open', async () => {
    const sim = setup();
    const a = connect(sim, 0, A);
    sim.at(100, 'c1', 'frames', () => {
      a.ws!.send('{"type":"ping"}');
      a.ws!.send('{"type":"subscribe","conversation":"conv-b"}');
      a.ws!.send('ping');
      a.ws!.send(new Uint8Array([1, 2]));
      a.ws!.send('{"type":"ping","n":2}');
    });
    await sim.run(1000);
    expect(a.log).toEqual(['40 open', '140 pong', '140 pong']);
    expect(a.ws!.readyState).toBe(1);
    expect(logs(sim, 'frame.ignored').map((e) => [e.socket, e.reason])).toEqual([
      ['c1/ws#1', 'unknown frame type "subscribe"'],
      ['c1/ws#1', 'not JSON'],
      ['c1/ws#1', 'binary frame'],
    ]);
  });
});

describe('chat server: restarts', () => {
  it('state keep: messages and idempotency survive, and the AI reply pending at the restart still arrives on time', async () => {
    const sim = setup({}, { faults: [{ kind: 'server-restart', at: 1000, downtime: 500, state: 'keep' }] });
    send(sim, 100, A, 'hello', 'cm-1');
    const first = connect(sim, 0, A);
    const again = connect(sim, 1600, A);
    const retry = send(sim, 1700, A, 'hello', 'cm-1');
    const listed = request(sim, 2500, A);
    await sim.run(4000);
    expect(first.log).toEqual(['40 open', '140 message m1 user', '1020 error', '1020 close 1006']);
    expect(again.log).toEqual(['1640 open', '2140 message m2 assistant']);
    expect(retry.status).toBe(200);
    expect(list(listed).map((m) => [m.id, m.role, m.timestamp])).toEqual([
      ['m1', 'user', stamp(120)],
      ['m2', 'assistant', stamp(2120)],
    ]);
    expect(logs(sim, 'ai.rearmed').map((e) => [e.t, e.replies])).toEqual([[1500, ['m1']]]);
  });

  it('state keep: a reply that fell due during the downtime is stored as soon as the server is up', async () => {
    const sim = setup({ aiDelay: 500 }, { faults: [{ kind: 'server-restart', at: 200, downtime: 1000, state: 'keep' }] });
    send(sim, 0, A, 'hello', 'cm-1');
    const listed = request(sim, 1300, A);
    await sim.run(2000);
    expect(list(listed).map((m) => [m.id, m.timestamp])).toEqual([
      ['m1', stamp(20)],
      ['m2', stamp(1200)],
    ]);
  });

  it('state keep: the revocation is re-armed too', async () => {
    const sim = setup({ revokeAt: 2000 }, { faults: [{ kind: 'server-restart', at: 500, downtime: 500, state: 'keep' }] });
    const ws = connect(sim, 1100, A);
    await sim.run(3000);
    expect(ws.log).toEqual(['1140 open', '2020 close 4001']);
  });

  it('state keep: a revocation that fell due during the downtime is logged once the server is up', async () => {
    const sim = setup({ revokeAt: 700 }, { faults: [{ kind: 'server-restart', at: 500, downtime: 500, state: 'keep' }] });
    const after = request(sim, 1100, A);
    await sim.run(3000);
    expect(after.status).toBe(401);
    expect(logs(sim, 'auth.revoked').map((e) => [e.t, e.sockets])).toEqual([[1000, []]]);
  });

  it('state lose: a fresh server, the pending reply is gone, ids are not reused', async () => {
    const sim = setup({}, { faults: [{ kind: 'server-restart', at: 1000, downtime: 500, state: 'lose' }] });
    send(sim, 100, A, 'hello', 'cm-1');
    const afterRestart = request(sim, 1600, A);
    const resend = send(sim, 1700, A, 'hello', 'cm-1');
    const listed = request(sim, 5000, A);
    await sim.run(6000);
    expect(list(afterRestart)).toEqual([]);
    expect(resend.status).toBe(201);
    expect(list(listed).map((m) => [m.id, m.role])).toEqual([
      ['g1-m1', 'user'],
      ['g1-m2', 'assistant'],
    ]);
    expect(logs(sim, 'ai.rearmed')).toEqual([]);
  });
});

describe('chat server: options', () => {
  it('accepts valid options', () => {
    expect(parseChatServerOptions({}, 's.yaml')).toEqual({});
    expect(parseChatServerOptions({ aiDelay: 0, revokeAt: 5000, tokens: ['a'] }, 's.yaml')).toEqual({
      aiDelay: 0,
      revokeAt: 5000,
      tokens: ['a'],
    });
    expect(parseChatServerOptions({ aiDelay: { min: 100, max: 100 } }, 's.yaml')).toEqual({ aiDelay: { min: 100, max: 100 } });
  });

  it('rejects bad options, every problem at once, naming the field, what was expected and what was found', () => {
    const e = thrown(() =>
      parseChatServerOptions({ aiDelay: -5, revokeAt: 'soon', tokens: ['ok', 3], aiDelai: 1 }, 'scenarios/chat/x.yaml'),
    );
    expect(e).toBeInstanceOf(ChatServerOptionsError);
    expect((e as ChatServerOptionsError).problems.map((p) => p.field)).toEqual(['aiDelai', 'aiDelay', 'revokeAt', 'tokens[1]']);
    expect(e.message.split('\n')).toEqual([
      'scenarios/chat/x.yaml: field "aiDelai": expected one of the chat server options aiDelay, revokeAt, tokens (did you mean "aiDelay"?), found the number 1',
      'scenarios/chat/x.yaml: field "aiDelay": expected a whole number of ms ≥ 0, or a mapping {min, max} of such numbers, found the number -5',
      'scenarios/chat/x.yaml: field "revokeAt": expected a whole number of virtual ms ≥ 0, found the string "soon"',
      'scenarios/chat/x.yaml: field "tokens[1]": expected a non-empty string, found the number 3',
    ]);
  });

  it('rejects bad aiDelay ranges and empty token lists', () => {
    const msg = (o: Record<string, unknown>) => thrown(() => parseChatServerOptions(o, 'opts')).message;
    expect(msg({ aiDelay: { min: 500, max: 100 } })).toBe(
      'opts: field "aiDelay.max": expected a number ≥ aiDelay.min (500), found the number 100',
    );
    expect(msg({ aiDelay: { min: 1 } })).toBe('opts: field "aiDelay.max": expected a whole number of ms ≥ 0, found nothing');
    expect(msg({ aiDelay: { min: 1, max: 2, mean: 1 } })).toBe(
      'opts: field "aiDelay.mean": expected only "min" and "max", found the number 1',
    );
    expect(msg({ aiDelay: '2s' })).toBe(
      'opts: field "aiDelay": expected a whole number of ms ≥ 0, or a mapping {min, max} of such numbers, found the string "2s"',
    );
    expect(msg({ tokens: [] })).toBe('opts: field "tokens": expected a non-empty list of token strings, found a list of 0');
    expect(msg({ tokens: 'token-c1' })).toBe(
      'opts: field "tokens": expected a non-empty list of token strings, found the string "token-c1"',
    );
    expect(msg({ revokeAt: 1.5 })).toBe('opts: field "revokeAt": expected a whole number of virtual ms ≥ 0, found the number 1.5');
  });

  it('createChatServer validates its options at once', () => {
    expect(() => createChatServer({ aiDelay: { min: 5, max: 1 } })).toThrow(
      'createChatServer options: field "aiDelay.max": expected a number ≥ aiDelay.min (5), found the number 1',
    );
  });
});

describe('chat server core (sans-IO)', () => {
  it('decides requests and frames without a simulation', () => {
    const state = createChatState();
    const config = resolveChatConfig({ aiDelay: 10 });
    const random = { int: () => expect.unreachable('no draw for a fixed delay') as number };
    const req = { id: 'r1', method: 'POST', path: chatPaths.messages(A), token: 'token-x', body: '{"content":"hi","clientMessageId":"k"}' };
    const out = handleHttp(state, config, req, { now: 5, timestamp: stamp(5) }, random);
    expect(out.result.status).toBe(201);
    expect(out.effects.map((e) => (e.type === 'log' ? `log ${e.event}` : e.type))).toEqual([
      'log message.stored',
      'push',
      'log ai.scheduled',
      'arm-reply',
    ]);
    expect(state.pending).toEqual([{ replyTo: 'm1', conversation: A, content: 'hi', dueAt: 15 }]);
    const dup = handleHttp(state, config, req, { now: 6, timestamp: stamp(6) }, random);
    expect(dup.result.status).toBe(200);
    expect(dup.effects.map((e) => e.type)).toEqual(['log']);
    expect(handleFrame('s', '{"type":"ping"}', false).result).toEqual({ type: 'pong' });
  });
});

describe('chat server: the drawn world (no options, as property runs build it)', () => {
  const world = (seed: number) => {
    const sim = new Simulation({ seed, server: createChatServer(), clients: ['c1'] });
    return sim;
  };

  it('draws its world from the seed and logs it: the same seed, the same world', async () => {
    const a = world(11);
    const b = world(11);
    await a.run(10);
    await b.run(10);
    const [wa] = logs(a, 'server.world');
    expect(wa).toBeDefined();
    expect(logs(b, 'server.world')[0]).toEqual(wa);
    // Over many seeds every dimension takes each of its values.
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const c = drawChatConfig(new Random(seed, 'server/world'));
      seen.add(`ai:${c.aiDelay.max <= 2000 ? (c.aiDelay.min === 2000 ? 'fixed' : 'short') : c.aiDelay.max > 5000 ? 'long' : 'short'}`);
      seen
        .add(`ts:${c.timestampResolution}`)
        .add(`ties:${c.tieOrder}`)
        .add(`slow:${c.latency.slowShare > 0}`)
        .add(`pong:${c.pongDelay.max > 0}`);
    }
    expect([...seen].sort()).toEqual(
      [
        'ai:fixed',
        'ai:long',
        'ai:short',
        'pong:false',
        'pong:true',
        'slow:false',
        'slow:true',
        'ties:reversed',
        'ties:stored',
        'ts:1',
        'ts:1000',
      ].sort(),
    );
  });

  it('a server given any option keeps the documented defaults and draws nothing', () => {
    const c = resolveChatConfig(
      { revokeAt: 5000 },
      { int: () => expect.unreachable('no draw') as number, chance: () => expect.unreachable('no draw') as boolean },
    );
    expect(c).toMatchObject({
      drawn: false,
      aiDelay: { min: 2000, max: 2000 },
      timestampResolution: 1,
      tieOrder: 'stored',
      pongDelay: { min: 0, max: 0 },
    });
  });

  it('whole-second timestamps make messages tie; ties may be listed reversed (the spec leaves their order open)', () => {
    expect(stampOf({ timestampResolution: 1000 }, Date.UTC(2025, 0, 15, 9, 0, 2, 999))).toBe('2025-01-15T09:00:02.000Z');
    expect(stampOf({ timestampResolution: 1 }, Date.UTC(2025, 0, 15, 9, 0, 2, 999))).toBe('2025-01-15T09:00:02.999Z');
    const m = (id: string, s: number) => ({ id, conversationId: A, role: 'user' as const, content: id, timestamp: stamp(s * 1000) });
    const stored = [m('m1', 1), m('m2', 2), m('m3', 2), m('m4', 2), m('m5', 3)];
    expect(listAnswer(stored, 'stored').map((x) => x.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(listAnswer(stored, 'reversed').map((x) => x.id)).toEqual(['m1', 'm4', 'm3', 'm2', 'm5']);
  });
});
