import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { isLoopback, RealServer, RealServerError } from '../../src/real/server.js';
import { auth, chatServer, connect, json, sleep, steps, within } from './harness.js';

let server: RealServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Writes raw bytes to the API port and returns what came back before the server closed the connection. */
function raw(s: RealServer, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const url = new URL(s.urls.baseUrl);
    const sock = netConnect(Number(url.port), url.hostname, () => sock.write(text));
    let got = '';
    sock.on('data', (c) => (got += c.toString()));
    sock.on('error', reject);
    sock.on('close', () => resolve(got));
    setTimeout(() => sock.destroy(), 3000);
  });
}

describe('real-socket hardening: bad input is answered and recorded, the server survives', () => {
  it('answers oversized bodies 413, malformed JSON 400, bad and missing tokens 401', async () => {
    server = await chatServer([], { limits: { maxBodyBytes: 4096, maxFrameBytes: 4096 } });
    const base = `${server.urls.baseUrl}/api/v1/consultations/A/messages`;

    const big = await fetch(base, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ content: 'x'.repeat(10_000), clientMessageId: 'big' }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: 'payload_too_large' });
    expect(steps(server, 'http.edge')[0]).toMatchObject({
      status: 413,
      reason: expect.stringContaining('exceeds the limit of 4096 bytes'),
    });

    // A declared length over the limit is refused before the body is read.
    const declared = await raw(
      server,
      `POST /api/v1/consultations/A/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer token-c1\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\n\r\n{`,
    );
    expect(declared).toMatch(/^HTTP\/1\.1 413/);

    const malformed = await fetch(base, { method: 'POST', headers: json, body: '{"content": "hi", ' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: 'bad_request', reason: expect.stringContaining('not valid JSON') });

    const badToken = await fetch(base, { headers: { authorization: 'Bearer stolen' } });
    expect(badToken.status).toBe(401);
    const noToken = await fetch(base);
    expect(noToken.status).toBe(401);
    // A token that is not a client's is refused at the edge; a missing one is the protocol's to answer.
    expect(steps(server, 'http.edge').filter((e) => e.status === 401)).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('unknown token') }),
    ]);
    const rejected = steps(server, 'server.log').filter((e) => e.msg === 'request.rejected');
    expect(rejected.map((e) => [e.status, e.reason])).toEqual([
      [400, expect.stringContaining('not valid JSON')],
      [401, 'missing token'],
    ]);
    // Requests with a token that is not a client's are recorded under node "unknown".
    expect(steps(server, 'http.request').filter((e) => e.node === 'unknown')).toHaveLength(2);

    // Not HTTP at all: 400 and a log line; then the server still answers.
    expect(await raw(server, 'HELLO THERE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(steps(server, 'server.log').some((e) => e.msg === 'http.malformed-request')).toBe(true);
    const ok = await fetch(base, { headers: auth });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ messages: [] });
    expect(steps(server, 'server.error')).toEqual([]);
  });

  it('refuses bad upgrades, ignores malformed and unknown frames, closes oversized (1009) and invalid UTF-8 (1007) ones', async () => {
    server = await chatServer([], { limits: { maxBodyBytes: 4096, maxFrameBytes: 4096 } });

    const stolen = connect(server, '/api/v1/consultations/A/ws?token=stolen');
    expect((await stolen.closed).code).toBe(1006);
    expect(steps(server, 'ws.refuse').map((e) => e.status)).toEqual([401]);
    expect(steps(server, 'ws.fail')[0]).toMatchObject({ status: 401, reason: expect.stringContaining('unknown token') });

    const notWs = await raw(
      server,
      'GET /api/v1/consultations/A/ws?token=token-c1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    );
    expect(notWs).toMatch(/^HTTP\/1\.1 400/);
    expect(steps(server, 'ws.refuse').map((e) => e.status)).toEqual([401, 400]);

    const s = connect(server);
    await s.opened;
    s.ws.send('not json at all');
    s.ws.send(JSON.stringify({ type: 'bogus' }));
    s.ws.send(Buffer.from([1, 2, 3]));
    s.ws.send(JSON.stringify({ type: 'ping' }));
    expect(await s.frame((f) => f.includes('pong'))).toBe('{"type":"pong"}');
    const ignored = steps(server, 'server.log').filter((e) => e.msg === 'frame.ignored');
    expect(ignored.map((e) => e.reason)).toEqual(['not JSON', 'unknown frame type "bogus"', 'binary frame']);
    expect(steps(server, 'ws.send').filter((e) => e.dir === 'to-server')).toHaveLength(4);

    s.ws.send('x'.repeat(5000));
    expect(await within(s.closed, 3000)).toMatchObject({ code: 1009 });
    expect(steps(server, 'server.log').find((e) => e.msg === 'ws.frame-rejected')).toMatchObject({
      code: 1009,
      reason: expect.stringContaining('limit 4096 bytes'),
    });
    expect(steps(server, 'ws.closing').find((e) => e.side === 'server')).toMatchObject({ code: 1009 });

    const u = connect(server);
    await u.opened;
    u.ws.send(Buffer.from([0xff, 0xfe, 0xfd]), { binary: false });
    expect(await within(u.closed, 3000)).toMatchObject({ code: 1007 });

    // The server is still fine: a new socket gets its pong, REST answers.
    const again = connect(server);
    await again.opened;
    again.ws.send(JSON.stringify({ type: 'ping' }));
    expect(await again.frame((f) => f.includes('pong'))).toBeDefined();
    again.ws.close(1000);
    expect((await again.closed).code).toBe(1000);
    expect((await fetch(`${server.urls.baseUrl}/api/v1/consultations/A/messages`, { headers: auth })).status).toBe(200);
    expect(steps(server, 'server.error')).toEqual([]);
    await sleep(50);
    // As in the simulator: the server's end closes when the client's close frame arrives, the client's when the echo does.
    expect(
      steps(server, 'ws.closing')
        .filter((e) => e.id === 'c1/ws#4')
        .map((e) => [e.side, e.code]),
    ).toEqual([['client', 1000]]);
    expect(
      steps(server, 'ws.close')
        .filter((e) => e.id === 'c1/ws#4')
        .map((e) => [e.side, e.code, e.wasClean]),
    ).toEqual([
      ['server', 1000, true],
      ['client', 1000, true],
    ]);
  });

  it('answers a malformed event-sync stream request with the protocol error frame', async () => {
    server = await chatServer([], { protocol: 'event-sync', server: { options: { events: 10 } } });
    const s = connect(server, '/v1/sync/stream', auth);
    await s.opened;
    s.ws.send('{"type": "sync.stream.request", "since": ');
    const error = await s.frame((f) => f.includes('sync.stream.error'));
    expect(JSON.parse(error!)).toMatchObject({ type: 'sync.stream.error', code: 'BAD_REQUEST' });
    expect(steps(server, 'server.log').find((e) => e.msg === 'frame.ignored')).toMatchObject({ socket: 'c1/ws#1' });
    const noAuth = connect(server, '/v1/sync/stream');
    expect((await noAuth.closed).code).toBe(1006);
    expect(steps(server, 'ws.refuse').map((e) => e.status)).toEqual([401]);
    expect(steps(server, 'server.error')).toEqual([]);
  });

  it('guards the control endpoint: tokens, JSON, known actions', async () => {
    server = await chatServer();
    const c = server.urls.controlUrl;
    expect((await fetch(`${c}/next-action`)).status).toBe(401);
    expect((await fetch(`${c}/next-action`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const post = (path: string, body: string) => fetch(`${c}/${path}`, { method: 'POST', headers: json, body });
    expect((await post('snapshot', '{not json')).status).toBe(400);
    expect((await post('snapshot', '{}')).status).toBe(400);
    const unknown = await post('action', JSON.stringify({ do: 'dance' }));
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ reason: expect.stringContaining('openConversation, closeConversation, send, restart') });
    expect((await post('action', JSON.stringify({ do: 'send', args: { text: 'hi' }, state: { conversation: null } }))).status).toBe(204);
    expect((await fetch(`${c}/nothing`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${c}/action`, { headers: auth })).status).toBe(405);
    expect((await post('snapshot', JSON.stringify({ state: { conversation: null } }))).status).toBe(204); // unchanged: not recorded again
    expect(steps(server, 'client.action')).toEqual([expect.objectContaining({ node: 'c1', do: 'send', args: { text: 'hi' } })]);
    expect(steps(server, 'client.snapshot')).toHaveLength(1);
  });

  it('binds loopback only unless asked', async () => {
    expect(['127.0.0.1', '127.0.0.2', '::1', 'localhost', '[::1]'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.10', 'example.com'].some(isLoopback)).toBe(false);
    await expect(chatServer([], { host: '0.0.0.0' })).rejects.toThrow(RealServerError);
    const err: string[] = [];
    expect(
      await main(
        ['serve', '--protocol', 'chat', '--host', '0.0.0.0'],
        () => undefined,
        (s) => err.push(s),
      ),
    ).toBe(2);
    expect(err.join('\n')).toMatch(/refusing to bind 0\.0\.0\.0: .*pass --allow-remote/);
  });
});
