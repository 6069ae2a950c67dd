import { afterEach, describe, expect, it } from 'vitest';
import { getProtocol, protocols } from '../../src/conformance/registry.js';
import { resolveScenario } from '../../src/conformance/scenario.js';
import { RealServer } from '../../src/real/server.js';
import type { ServerEnv } from '../../src/sim/server-host.js';
import { auth, chatServer, connect, json, sleep, steps, within } from './harness.js';

// The real-world fault kinds (docs/fault-plan.md) over real sockets, seen from a real
// client (Node's fetch, the `ws` package) and in the trace. Timings are wall-clock
// milliseconds, with the tolerances of the other real tests: a lower bound the layer
// guarantees, an upper bound a busy machine stays far below.

let server: RealServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const messages = (s: RealServer) => `${s.urls.baseUrl}/api/v1/consultations/A/messages`;
const ping = JSON.stringify({ type: 'ping' });

/** The error code of a failed fetch (Node's fetch puts the socket's error in `cause`). */
async function fetchOutcome(p: Promise<Response>): Promise<string> {
  try {
    const r = await p;
    await r.text();
    return String(r.status);
  } catch (e) {
    for (let x: unknown = e; x; x = (x as { cause?: unknown }).cause) {
      const code = (x as { code?: unknown }).code;
      if (typeof code === 'string') return code;
    }
    return (e as Error).message;
  }
}

describe('real-world fault kinds over real sockets', () => {
  it('server-close: the client gets a clean close with the code and reason; the application hears it on the echo', async () => {
    server = await chatServer([{ kind: 'server-close', at: 300, code: 4000, reason: 'redeploy' }]);
    const s = connect(server);
    await s.opened;
    const t = performance.now();
    expect(await within(s.closed, 2000)).toEqual({ code: 4000, reason: 'redeploy' });
    expect(performance.now() - t).toBeLessThan(1500);
    await sleep(30);
    expect(steps(server, 'ws.closing')).toEqual([expect.objectContaining({ side: 'server', code: 4000, reason: 'redeploy', entry: 0 })]);
    expect(steps(server, 'ws.close').map((e) => [e.side, e.code, e.wasClean])).toEqual([
      ['client', 4000, true],
      ['server', 4000, true],
    ]);
  });

  it('idle-timeout: a silent socket is dropped (1006, no close frame) after `idle` ms; one with a heartbeat lives; the server is not told', async () => {
    server = await chatServer([{ kind: 'idle-timeout', at: 0, idle: 400 }]);
    const quiet = connect(server);
    const busy = connect(server, '/api/v1/consultations/B/ws?token=token-c1');
    await Promise.all([quiet.opened, busy.opened]);
    const t = performance.now();
    const beat = setInterval(() => busy.ws.send(ping), 100);
    try {
      const closed = await within(quiet.closed, 2500);
      const after = performance.now() - t;
      expect(closed).toMatchObject({ code: 1006 });
      expect(after).toBeGreaterThanOrEqual(330);
      expect(after).toBeLessThan(1500);
      await sleep(300);
      expect(busy.ws.readyState).toBe(1);
    } finally {
      clearInterval(beat);
    }
    const reset = steps(server, 'ws.reset');
    expect(reset).toEqual([expect.objectContaining({ id: 'c1/ws#1', side: 'client', reason: 'idle-timeout (fault entry 0): no frame for 400 ms' })]);
    // Half-open at the server: no close of the server's end was traced.
    expect(steps(server, 'ws.close').map((e) => [e.id, e.side])).toEqual([['c1/ws#1', 'client']]);
  });

  it('flapping: each socket opened during the window is reset `after` ms after opening; after the window one stays', async () => {
    server = await chatServer([{ kind: 'flapping', at: 0, duration: 900, after: 250 }]);
    const first = connect(server);
    await first.opened;
    const t = performance.now();
    expect(await within(first.closed, 2000)).toMatchObject({ code: 1006 });
    const lived = performance.now() - t;
    expect(lived).toBeGreaterThanOrEqual(200);
    expect(lived).toBeLessThan(1200);
    await sleep(Math.max(0, 1000 - (performance.now() - t)));
    const later = connect(server);
    await later.opened;
    expect(await within(later.closed, 500)).toBe('timeout');
    expect(steps(server, 'ws.reset')).toEqual([
      expect.objectContaining({ id: 'c1/ws#1', reason: 'flapping (fault entry 0): dropped 250 ms after opening' }),
    ]);
  });

  it('request-reset: the request fails with ECONNRESET and never reaches the server; the next one goes through', async () => {
    server = await chatServer([{ kind: 'request-reset', at: 0, method: 'POST', count: 1 }]);
    const post = (id: string) =>
      fetch(messages(server!), { method: 'POST', headers: json, body: JSON.stringify({ content: id, clientMessageId: id }) });
    expect(await fetchOutcome(post('r1'))).toBe('ECONNRESET');
    expect(await fetchOutcome(post('r2'))).toBe('201');
    const list = (await (await fetch(messages(server), { headers: auth })).json()) as { messages: { content: string }[] };
    expect(list.messages.map((m) => m.content)).toEqual(['r2']);
    expect(steps(server, 'http.edge')).toEqual([expect.objectContaining({ id: 'c1/http#1', entry: 0, reset: true })]);
    expect(steps(server, 'http.fail')).toEqual([expect.objectContaining({ id: 'c1/http#1', reason: 'reset' })]);
    expect(steps(server, 'http.serve').map((e) => e.id)).toEqual(['c1/http#2', 'c1/http#3']);
  });

  it('bad-body: a captive portal answers 200 text/html before the server; a truncated body arrives after the server acted', async () => {
    server = await chatServer([
      { kind: 'bad-body', at: 0, body: 'html', method: 'GET', count: 1 },
      { kind: 'bad-body', at: 0, body: 'truncated', method: 'POST', count: 1 },
    ]);
    const portal = await fetch(messages(server), { headers: auth });
    expect(portal.status).toBe(200);
    expect(portal.headers.get('content-type')).toBe('text/html; charset=utf-8');
    await expect(portal.json()).rejects.toThrow(SyntaxError);
    const cut = await fetch(messages(server), { method: 'POST', headers: json, body: JSON.stringify({ content: 'half', clientMessageId: 'h1' }) });
    expect(cut.status).toBe(201);
    const text = await cut.text();
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(text.length).toBeGreaterThan(10);
    const list = (await (await fetch(messages(server), { headers: auth })).json()) as { messages: { content: string }[] };
    expect(list.messages.map((m) => m.content)).toEqual(['half']);
    expect(steps(server, 'http.edge').map((e) => [e.id, e.body, e.status])).toEqual([
      ['c1/http#1', 'html', 200],
      ['c1/http#2', 'truncated', 201],
    ]);
    expect(steps(server, 'http.serve').map((e) => e.id)).toEqual(['c1/http#2', 'c1/http#3']);
  });

  it('retry-after: the edge answers 429 with Retry-After; the server never sees the request', async () => {
    server = await chatServer([{ kind: 'retry-after', at: 0, status: 429, seconds: 7, count: 1 }]);
    const r = await fetch(messages(server), { headers: auth });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(await r.text()).toBe('');
    expect((await fetch(messages(server), { headers: auth })).status).toBe(200);
    expect(steps(server, 'http.edge')).toEqual([expect.objectContaining({ id: 'c1/http#1', retryAfter: 7, status: 429, entry: 0 })]);
    expect(steps(server, 'http.serve').map((e) => e.id)).toEqual(['c1/http#2']);
  });

  it('message-too-big (to-server): a frame over the limit never reaches the application; the client gets a clean 1009', async () => {
    server = await chatServer([{ kind: 'message-too-big', at: 0, limit: 100, direction: 'to-server' }]);
    const s = connect(server);
    await s.opened;
    s.ws.send(ping);
    expect(await s.frame((f) => f.includes('pong'))).toBeDefined();
    s.ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(200) }));
    expect(await within(s.closed, 2000)).toEqual({ code: 1009, reason: 'Message Too Big' });
    await sleep(30);
    expect(steps(server, 'net.drop')).toEqual([
      expect.objectContaining({ id: 'c1/ws#1', n: 1, dir: 'to-server', reason: expect.stringMatching(/^message-too-big \(fault entry 0\): 2\d\d bytes > limit 100$/) }),
    ]);
    expect(steps(server, 'ws.closing')).toEqual([expect.objectContaining({ side: 'server', code: 1009, entry: 0, bytes: expect.any(Number) })]);
    expect(steps(server, 'ws.recv').filter((e) => e.dir === 'to-server').map((e) => e.n)).toEqual([0]);
  });

  it('message-too-big with the client side in it (direction both, the default) is refused before the run', async () => {
    await expect(chatServer([{ kind: 'message-too-big', at: 0, limit: 100 }])).rejects.toThrow(
      /entry 0 \(message-too-big\): cannot be applied over real sockets: direction both \(the default\) includes the client's own limit/,
    );
  });

  it('slow-consumer: frames held on the way (a delay spike) build a backlog; past it the server closes 1013 behind them', async () => {
    server = await chatServer([
      { kind: 'delay-spike', at: 0, extra: 600 },
      { kind: 'slow-consumer', at: 0, backlog: 60 },
    ]);
    const s = connect(server);
    await s.opened;
    for (let i = 0; i < 6; i++) s.ws.send(ping);
    expect(await within(s.closed, 4000)).toEqual({ code: 1013, reason: 'Try Again Later' });
    // The close frame queued behind what was unread: the client read some pongs first.
    expect(s.frames.filter((f) => f.includes('pong')).length).toBeGreaterThan(0);
    const closing = steps(server, 'ws.closing').find((e) => e.side === 'server');
    expect(closing).toMatchObject({ code: 1013, entry: 1 });
    expect(closing!.backlog as number).toBeGreaterThan(60);
  });

  it('token-expiry: the application hears of it through expireCredentials; the token is refused from then on', async () => {
    server = await chatServer([{ kind: 'token-expiry', at: 300 }], { protocol: 'event-sync' });
    const page = () => fetch(`${server!.urls.baseUrl}/v1/sync/events?limit=1`, { headers: auth });
    expect(await fetchOutcome(page())).toBe('200');
    await sleep(400);
    expect(await fetchOutcome(page())).toBe('401');
    expect(steps(server, 'server.log').filter((e) => e.msg === 'auth.expired')).toEqual([expect.objectContaining({ entry: 0 })]);
  });

  it('token-expiry on a server without the hook is refused before the run, however the plan came', async () => {
    // A server application without expireCredentials: the chat server with its hook taken away.
    const chat = getProtocol('chat');
    const hookless = {
      ...chat,
      server: (variant: string, options: Record<string, unknown>) => (env: ServerEnv) => {
        const { expireCredentials: _gone, ...app } = chat.server(variant, options)(env);
        return app;
      },
    };
    const scenario = { ...resolveScenario({ protocol: 'chat' }, 'test', protocols), faults: [{ kind: 'token-expiry' as const, at: 300 }] };
    await expect(RealServer.listen({ protocol: hookless, scenario, timed: false })).rejects.toThrow(
      /entry 0 \(token-expiry\): expected a fault kind the server supports \(chat's server does not support token-expiry: its application has no expireCredentials hook\)/,
    );
  });

  it('storage-failure is refused before the run: the client\'s storage is its own', async () => {
    await expect(chatServer([{ kind: 'storage-failure', at: 0, mode: 'quota' }])).rejects.toThrow(
      /entry 0 \(storage-failure\): cannot be applied over real sockets: the client's storage belongs to its own process/,
    );
  });

  it('scenario start: the server\'s clock starts there; a device clock (clock:) is refused', async () => {
    server = await chatServer([], { start: '2030-03-30T23:59:58Z' });
    const r = await fetch(messages(server), { method: 'POST', headers: json, body: JSON.stringify({ content: 'x', clientMessageId: 'x1' }) });
    const body = (await r.json()) as { message: { timestamp: string } };
    expect(body.message.timestamp.startsWith('2030-03-30T23:59:5')).toBe(true);
    expect(steps(server, 'sim.start')[0]!.startTime).toBe('2030-03-30T23:59:58.000Z');
    await server.close();
    server = undefined;
    await expect(chatServer([], { clock: { skew: 60_000 } })).rejects.toThrow(
      /clock: cannot be applied over real sockets: a real client reads its device's own clock/,
    );
  });
});
