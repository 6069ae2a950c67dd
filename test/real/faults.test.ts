import { afterEach, describe, expect, it } from 'vitest';
import type { RealServer } from '../../src/real/server.js';
import { auth, chatServer, connect, json, sleep, steps, within } from './harness.js';

// Each fault of the plan, realised on real sockets, seen from a real client (Node's fetch,
// the `ws` package) and in the trace. Timings are wall-clock milliseconds since the start.

let server: RealServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const messages = (s: RealServer, conversation = 'A') => `${s.urls.baseUrl}/api/v1/consultations/${conversation}/messages`;
const send = (s: RealServer, text: string, id: string) =>
  fetch(messages(s), { method: 'POST', headers: json, body: JSON.stringify({ content: text, clientMessageId: id }) });
const list = async (s: RealServer): Promise<string[]> =>
  ((await (await fetch(messages(s), { headers: auth })).json()) as { messages: { content: string }[] }).messages.map((m) => m.content);
const ping = JSON.stringify({ type: 'ping' });

describe('faults over real sockets', () => {
  it('latency: every delivery waits for the link (both ways, HTTP and WebSocket)', async () => {
    server = await chatServer([], { network: { link: { latency: 120 } } });
    let t = performance.now();
    expect((await fetch(messages(server), { headers: auth })).status).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(235);
    const s = connect(server);
    await s.opened;
    t = performance.now();
    s.ws.send(ping);
    expect(await s.frame((f) => f.includes('pong'))).toBeDefined();
    expect(performance.now() - t).toBeGreaterThanOrEqual(235);
  });

  it('ws-reset: both ends see 1006 at once', async () => {
    server = await chatServer([{ kind: 'ws-reset', at: 300 }]);
    const s = connect(server);
    await s.opened;
    const closed = await within(s.closed, 2000);
    expect(closed).toMatchObject({ code: 1006 });
    expect(steps(server, 'ws.reset')).toHaveLength(1);
    await sleep(20);
    expect(steps(server, 'ws.close').map((e) => [e.side, e.code])).toEqual([
      ['client', 1006],
      ['server', 1006],
    ]);
  });

  it('ws-half-open: nothing crosses, no close arrives, the TCP connection stays', async () => {
    server = await chatServer([{ kind: 'ws-half-open', at: 200 }]);
    const s = connect(server);
    await s.opened;
    await sleep(300);
    s.ws.send(ping);
    expect((await send(server, 'into the void', 'v1')).status).toBe(201);
    expect(await s.frame(() => true, 600)).toBeUndefined();
    expect(s.ws.readyState).toBe(1);
    s.ws.close(1000);
    expect(await within(s.closed, 600)).toBe('timeout'); // our close frame is never answered
    s.ws.terminate();
    await s.closed;
    await sleep(50);
    expect(steps(server, 'ws.half-open')).toEqual([expect.objectContaining({ id: 'c1/ws#1', direction: 'both' })]);
    const drops = steps(server, 'net.drop').filter((e) => e.reason === 'half-open');
    expect(drops.map((e) => [e.envelope, e.dir])).toEqual(
      expect.arrayContaining([
        ['ws.frame', 'to-server'],
        ['ws.frame', 'to-client'],
        ['ws.close', 'to-server'],
      ]),
    );
    // The client's close frame was seen (its close() is traced), the server never learned of it.
    expect(steps(server, 'ws.closing')).toEqual([expect.objectContaining({ side: 'client', code: 1000 })]);
    expect(steps(server, 'ws.close').filter((e) => e.side === 'server')).toEqual([]);
  });

  it('ws-refuse: upgrades are refused with the status while the window lasts', async () => {
    server = await chatServer([{ kind: 'ws-refuse', at: 0, duration: 400, status: 503 }]);
    const s = connect(server);
    expect((await s.closed).code).toBe(1006);
    await sleep(450);
    const t = connect(server);
    await t.opened;
    expect(steps(server, 'ws.refuse').map((e) => e.status)).toEqual([503]);
    expect(steps(server, 'ws.fail')[0]).toMatchObject({ reason: 'upgrade refused with HTTP 503', status: 503 });
  });

  it('http-status and http-timeout: answered by the edge, or never (before or after the server acted)', async () => {
    server = await chatServer([
      { kind: 'http-status', at: 0, duration: 300, status: 503, path: '/api/v1/consultations/*' },
      { kind: 'http-timeout', at: 300, method: 'GET', count: 1 },
      { kind: 'http-timeout', at: 300, method: 'POST', phase: 'response', count: 1 },
    ]);
    expect((await fetch(messages(server), { headers: auth })).status).toBe(503);
    await sleep(350);
    await expect(fetch(messages(server), { headers: auth, signal: AbortSignal.timeout(300) })).rejects.toThrow();
    await expect(
      fetch(messages(server), {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ content: 'maybe', clientMessageId: 'm' }),
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toThrow();
    expect(await list(server)).toEqual(['maybe']); // the server acted: "maybe delivered"
    await sleep(30);
    expect(steps(server, 'http.edge')).toEqual([expect.objectContaining({ status: 503, entry: 0 })]);
    expect(steps(server, 'net.drop').map((e) => [e.envelope, e.reason])).toEqual([
      ['http.request', 'http-timeout (fault entry 1)'],
      ['http.response', 'http-timeout (fault entry 2)'],
    ]);
    expect(steps(server, 'http.serve').map((e) => e.id)).toEqual(['c1/http#3', 'c1/http#4']);
    expect(steps(server, 'http.fail').map((e) => [e.id, e.reason])).toEqual([
      ['c1/http#2', 'aborted'],
      ['c1/http#3', 'aborted'],
    ]);
  });

  it('server-restart (1012, state kept): the socket gets "service restart", connections are refused (and traced) while down, state survives', async () => {
    server = await chatServer([{ kind: 'server-restart', at: 400, downtime: 400, closeCode: 1012, state: 'keep' }]);
    expect((await send(server, 'before', 'b1')).status).toBe(201);
    const s = connect(server);
    await s.opened;
    expect(await within(s.closed, 2000)).toMatchObject({ code: 1012 });
    // While down, a connection attempt fails (and is traced as refused); so does a reconnect.
    await expect(fetch(messages(server), { headers: auth })).rejects.toThrow('fetch failed');
    const again = connect(server);
    expect((await again.closed).code).toBe(1006);
    await sleep(500);
    expect(await list(server)).toEqual(['before']);
    expect(steps(server, 'server.restart')).toEqual([expect.objectContaining({ closeCode: 1012, state: 'keep', downtime: 400 })]);
    expect(steps(server, 'server.up')).toEqual([expect.objectContaining({ generation: 1 })]);
    expect(steps(server, 'http.refused')).toHaveLength(1);
    expect(steps(server, 'ws.refuse')).toEqual([expect.objectContaining({ id: 'c1/ws#2', status: 0 })]);
    expect(steps(server, 'ws.fail')).toEqual([expect.objectContaining({ id: 'c1/ws#2', reason: 'connection refused' })]);
  });

  it('server-restart (1006, state lost): a crash; the server comes back empty', async () => {
    server = await chatServer([{ kind: 'server-restart', at: 300, downtime: 200, state: 'lose' }]);
    expect((await send(server, 'lost', 'l1')).status).toBe(201);
    const s = connect(server);
    await s.opened;
    expect(await within(s.closed, 2000)).toMatchObject({ code: 1006 });
    await sleep(350);
    expect(await list(server)).toEqual([]);
  });

  it('partition: HTTP is lost; WebSocket frames stall and cross, in order, after the heal', async () => {
    server = await chatServer([{ kind: 'partition', at: 200, duration: 500 }]);
    const s = connect(server);
    await s.opened;
    await sleep(250);
    const t = performance.now();
    s.ws.send(ping);
    await expect(fetch(messages(server), { headers: auth, signal: AbortSignal.timeout(250) })).rejects.toThrow();
    expect(await s.frame((f) => f.includes('pong'), 2000)).toBeDefined();
    expect(performance.now() - t).toBeGreaterThanOrEqual(350);
    expect(steps(server, 'net.drop').map((e) => [e.envelope, e.reason])).toEqual([['http.request', 'partition']]);
  });

  it('hold and release: the held response waits; later exchanges overtake it', async () => {
    server = await chatServer([
      { kind: 'hold', at: 0, name: 'first-list', match: { envelope: 'http.response', path: '/api/v1/consultations/A/messages' } },
      { kind: 'release', at: 700, name: 'first-list' },
    ]);
    const t = performance.now();
    const held = fetch(messages(server), { headers: auth }).then(() => performance.now() - t);
    await sleep(100);
    expect((await fetch(`${server.urls.baseUrl}/api/v1/consultations/B/messages`, { headers: auth })).status).toBe(200);
    expect(await held).toBeGreaterThanOrEqual(650);
    expect(steps(server, 'net.hold')).toEqual([
      expect.objectContaining({ id: 'c1/http#1', envelope: 'http.response', name: 'first-list' }),
    ]);
    expect(steps(server, 'net.release')).toEqual([expect.objectContaining({ name: 'first-list', id: 'c1/http#1' })]);
  });

  it('duplicate and drop: a retrying proxy serves a request twice; a lossy link loses it', async () => {
    server = await chatServer([
      { kind: 'duplicate', at: 0, duration: 300, rate: 1 },
      { kind: 'drop', at: 300, rate: 1 },
    ]);
    expect((await send(server, 'once', 'd1')).status).toBe(201);
    await sleep(350);
    await expect(fetch(messages(server), { headers: auth, signal: AbortSignal.timeout(250) })).rejects.toThrow();
    await sleep(20);
    expect(steps(server, 'http.serve').map((e) => [e.id, e.dup ?? false])).toEqual([
      ['c1/http#1', false],
      ['c1/http#1', true],
    ]);
    expect(steps(server, 'server.log').filter((e) => e.msg === 'message.duplicate')).toHaveLength(1);
    expect(steps(server, 'http.discard')).toEqual([expect.objectContaining({ id: 'c1/http#1', reason: 'duplicate answer' })]);
    expect(steps(server, 'net.drop').map((e) => [e.id, e.reason])).toEqual([['c1/http#2', 'drop (fault entry 1)']]);
  });

  it('client-offline: requests fail at once, the socket is dropped, the server is not told', async () => {
    server = await chatServer([{ kind: 'client-offline', at: 300, duration: 400 }]);
    const s = connect(server);
    await s.opened;
    expect(await within(s.closed, 1000)).toMatchObject({ code: 1006 });
    const t = performance.now();
    await expect(fetch(messages(server), { headers: auth })).rejects.toThrow();
    expect(performance.now() - t).toBeLessThan(200);
    await sleep(450);
    expect((await fetch(messages(server), { headers: auth })).status).toBe(200);
    expect(steps(server, 'ws.close').map((e) => [e.side, e.why])).toEqual([['client', 'the network went offline']]);
    expect(steps(server, 'http.fail').map((e) => e.reason)).toEqual(['offline']);
  });
});
