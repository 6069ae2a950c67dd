import { connect as netConnect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RealServer } from '../../src/real/server.js';
import { auth, chatServer, connect, json, steps } from './harness.js';

// What hostile peers on loopback were measured to do to `lockstep serve` (issue #21): each
// is answered with a clear 4xx, recorded, and leaves no unhandled rejection behind.

let server: RealServer | undefined;
const rejections: unknown[] = [];
const onRejection = (r: unknown): void => void rejections.push(r);
beforeEach(() => {
  rejections.length = 0;
  process.on('unhandledRejection', onRejection);
});
afterEach(async () => {
  process.off('unhandledRejection', onRejection);
  await server?.close();
  server = undefined;
});

/** Writes raw bytes to `port` and returns what came back within `ms`. */
function raw(port: string, text: string, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const sock = netConnect(Number(port), '127.0.0.1', () => sock.write(text));
    let got = '';
    sock.on('data', (c) => (got += c.toString()));
    sock.on('error', () => resolve(got));
    sock.on('close', () => resolve(got));
    setTimeout(() => {
      sock.destroy();
      resolve(got);
    }, ms);
  });
}

const upgradeHeaders =
  'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';
const messages = '/api/v1/consultations/A/messages';

describe('tokens: only the run clients’ tokens are accepted', () => {
  it('answers 401 to a token-* that is not a client’s, on REST and on the upgrade, at the edge', async () => {
    server = await chatServer();
    const rest = await fetch(`${server.urls.baseUrl}${messages}`, { headers: { authorization: 'Bearer token-zz' } });
    expect(rest.status).toBe(401);
    expect(await rest.json()).toMatchObject({ error: 'unauthorized', reason: expect.stringContaining('unknown token') });
    // A known header token does not let an unknown query token through (a protocol may read either).
    const mixed = await fetch(`${server.urls.baseUrl}${messages}?token=token-c2`, { headers: auth });
    expect(mixed.status).toBe(401);

    const ws = connect(server, '/api/v1/consultations/A/ws?token=token-zz');
    expect((await ws.closed).code).toBe(1006);
    const port = new URL(server.urls.baseUrl).port;
    const refused = await raw(port, `GET /api/v1/consultations/A/ws?token=token-zz HTTP/1.1\r\nHost: x\r\n${upgradeHeaders}\r\n`);
    expect(refused).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(refused).toContain('"error":"unauthorized"');

    // Recorded under node "unknown"; the application never saw them.
    expect(steps(server, 'http.request').map((e) => e.node)).toEqual(['unknown', 'c1']);
    expect(steps(server, 'http.edge').map((e) => e.status)).toEqual([401, 401]);
    expect(steps(server, 'http.serve')).toEqual([]);
    expect(steps(server, 'ws.connect').map((e) => e.node)).toEqual(['unknown', 'unknown']);
    expect(steps(server, 'ws.refuse').map((e) => e.status)).toEqual([401, 401]);
    expect(steps(server, 'ws.upgrade')).toEqual([]);

    // The client's own token still works, and a missing one is the protocol's to answer.
    expect((await fetch(`${server.urls.baseUrl}${messages}`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${server.urls.baseUrl}${messages}`)).status).toBe(401);
    expect(steps(server, 'server.log').find((e) => e.msg === 'request.rejected')).toMatchObject({ reason: 'missing token' });
    expect(rejections).toEqual([]);
  });

  it('uses the tokens the run was given, not the token-<node> pattern', async () => {
    server = await chatServer([], { tokens: { c1: 'alpha-secret' } });
    expect((await fetch(`${server.urls.baseUrl}${messages}`, { headers: { authorization: 'Bearer token-c1' } })).status).toBe(401);
    expect(steps(server, 'http.serve')).toEqual([]);
  });
});

describe('the control endpoint is bounded and always answers', () => {
  it('answers 400 naming the depth to bodies nested deeper than 64 levels, at once', async () => {
    server = await chatServer();
    const c = server.urls.controlUrl;
    const nested = (n: number): string => `{"msg":"x","do":"send","state":{},"a":${'['.repeat(n)}${']'.repeat(n)}}`;
    for (const path of ['log', 'action', 'snapshot']) {
      for (const depth of [65, 100_000, 500_000]) {
        const r = await fetch(`${c}/${path}`, { method: 'POST', headers: json, body: nested(depth), signal: AbortSignal.timeout(5000) });
        expect(r.status, `${path} ${depth}`).toBe(400);
        expect(await r.json()).toMatchObject({ error: 'bad_request', reason: expect.stringContaining('deeper than 64 levels') });
      }
    }
    // Depth 64 in all is fine (the body object itself is one level); brackets inside strings do not count.
    const ok = await fetch(`${c}/log`, {
      method: 'POST',
      headers: json,
      body: `{"msg":"[[[[{{{{","a":${'['.repeat(63)}${']'.repeat(63)}}`,
    });
    expect(ok.status).toBe(204);
    expect(steps(server, 'client.log')).toHaveLength(1);
    // Not JSON, not an object: 400 with the reason.
    const notJson = await fetch(`${c}/log`, { method: 'POST', headers: json, body: '{"msg": ' });
    expect(await notJson.json()).toMatchObject({ error: 'bad_request', reason: expect.stringContaining('not valid JSON') });
    const array = await fetch(`${c}/log`, { method: 'POST', headers: json, body: '[1]' });
    expect(await array.json()).toMatchObject({ error: 'bad_request', reason: 'expected a JSON object, found an array' });
    expect(rejections).toEqual([]);
  });

  it('reports a failure of lockstep itself as its own (500 internal_error), never as the client’s', async () => {
    const seen: string[] = [];
    server = await chatServer([], {
      onTrace: (_line, e) => {
        if (e.ev === 'http.request' || e.ev === 'ws.connect' || e.ev === 'client.log') throw new Error('the disk is full');
      },
      onInternalError: (where, e) => seen.push(`${where}: ${(e as Error).message}`),
    });
    const r = await fetch(`${server.urls.baseUrl}${messages}`, { headers: auth, signal: AbortSignal.timeout(5000) });
    expect(r.status).toBe(500);
    expect(await r.json()).toMatchObject({
      error: 'internal_error',
      reason: expect.stringContaining('a bug in lockstep, not in the client'),
    });
    const log = await fetch(`${server.urls.controlUrl}/log`, {
      method: 'POST',
      headers: json,
      body: '{"msg":"hi"}',
      signal: AbortSignal.timeout(5000),
    });
    expect(log.status).toBe(500);
    const port = new URL(server.urls.baseUrl).port;
    expect(await raw(port, `GET /api/v1/consultations/A/ws?token=token-c1 HTTP/1.1\r\nHost: x\r\n${upgradeHeaders}\r\n`)).toMatch(
      /^HTTP\/1\.1 500 /,
    );
    expect(seen).toEqual([
      'an API request: the disk is full',
      'a control request: the disk is full',
      'a WebSocket upgrade: the disk is full',
    ]);
    expect(server.internalErrors).toBe(3);
    expect(rejections).toEqual([]);
  });
});

describe('request targets: malformed ones get 400, never 500', () => {
  const bad = ['/api/v1/consultations/A%ZZ/messages', '/api/v1/consultations/A/messages?x=%E0%A4', '/api/v1/consultations/%/messages'];

  it.each(bad)('REST %s', async (target) => {
    server = await chatServer();
    const port = new URL(server.urls.baseUrl).port;
    const answer = await raw(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer token-c1\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('malformed percent-encoding in the request target');
    expect(steps(server, 'http.edge')).toEqual([expect.objectContaining({ status: 400 })]);
    expect(steps(server, 'server.error')).toEqual([]);
  });

  it('upgrades, the control endpoint, and targets the URL parser refuses', async () => {
    server = await chatServer();
    const port = new URL(server.urls.baseUrl).port;
    const cport = new URL(server.urls.controlUrl).port;
    const upgrade = await raw(port, `GET /api/v1/consultations/A%ZZ/ws?token=token-c1 HTTP/1.1\r\nHost: x\r\n${upgradeHeaders}\r\n`);
    expect(upgrade).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(steps(server, 'ws.refuse')).toEqual([expect.objectContaining({ status: 400 })]);
    expect(
      await raw(cport, 'GET /__lockstep/info%ZZ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer token-c1\r\nConnection: close\r\n\r\n'),
    ).toMatch(/^HTTP\/1\.1 400 /);
    // A target that is no URL path at all used to leave the request unanswered (and crash the upgrade listener).
    for (const p of [port, cport])
      expect(await raw(p, 'GET //a:99999 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer token-c1\r\nConnection: close\r\n\r\n')).toMatch(
        /^HTTP\/1\.1 400 [\s\S]*not a valid URL path/,
      );
    expect(await raw(port, `GET //a:99999 HTTP/1.1\r\nHost: x\r\n${upgradeHeaders}\r\n`)).toMatch(/^HTTP\/1\.1 400 /);
    // The server is fine afterwards.
    expect((await fetch(`${server.urls.baseUrl}${messages}`, { headers: auth })).status).toBe(200);
    expect(steps(server, 'server.error')).toEqual([]);
    expect(rejections).toEqual([]);
  });
});
