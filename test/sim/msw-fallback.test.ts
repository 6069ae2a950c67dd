import { http, HttpResponse, passthrough, ws } from 'msw';
import { describe, expect, it } from 'vitest';
import { mswServer } from '../../src/sim/adapters/msw.js';
import type { ServerFactory } from '../../src/sim/server-host.js';
import { Simulation } from '../../src/sim/simulation.js';
import { jsonResponse } from '../../src/sim/transport/http-types.js';

// A team's msw handlers in front of another server (a protocol's reference server):
// what the handlers do not answer falls through to it.

const reference: ServerFactory = () => ({
  http: (req) => jsonResponse(200, { from: 'reference', path: req.path }),
  connection: (s) => s.on('message', (d) => s.send(`reference:${String(d)}`)),
});

const mine = ws
  .link('ws://lockstep.test/ws/mine')
  .addEventListener('connection', ({ client }) => client.addEventListener('message', (e) => client.send(`msw:${String(e.data)}`)));

const handlers = [
  http.get('/api/override', () => HttpResponse.json({ from: 'msw' })),
  http.get('/api/maybe', ({ request }) => (new URL(request.url).searchParams.has('mine') ? HttpResponse.json({ from: 'msw' }) : passthrough())),
  mine,
];

async function exchange(server: ServerFactory): Promise<string[]> {
  const sim = new Simulation({ seed: 1, server });
  const env = sim.env('c1');
  const seen: string[] = [];
  for (const path of ['/api/override', '/api/other', '/api/maybe?mine', '/api/maybe'])
    void env.fetch(path).then(async (r) => seen.push(`${path} ${r.status} ${await r.text()}`));
  for (const path of ['/ws/mine', '/ws/echo']) {
    const socket = new env.WebSocket(path);
    socket.onopen = () => socket.send('hi');
    socket.onmessage = (e) => seen.push(`${path} ${String(e.data)}`);
    socket.onclose = (e) => seen.push(`${path} closed ${e.code}`);
  }
  await sim.run(2000);
  return seen.sort();
}

describe('mswServer with a fallback server', () => {
  it('answers with the handlers first and lets the rest through to the fallback', async () => {
    expect(await exchange(mswServer(handlers, { fallback: reference }))).toEqual([
      '/api/maybe 200 {"from":"reference","path":"/api/maybe"}',
      '/api/maybe?mine 200 {"from":"msw"}',
      '/api/other 200 {"from":"reference","path":"/api/other"}',
      '/api/override 200 {"from":"msw"}',
      '/ws/echo reference:hi',
      '/ws/mine msw:hi',
    ]);
  });

  it('without one, what the handlers leave gets 404', async () => {
    expect(await exchange(mswServer(handlers))).toEqual([
      '/api/maybe 404 ',
      '/api/maybe?mine 200 {"from":"msw"}',
      '/api/other 404 ',
      '/api/override 200 {"from":"msw"}',
      '/ws/echo closed 1006',
      '/ws/mine msw:hi',
    ]);
  });
});
