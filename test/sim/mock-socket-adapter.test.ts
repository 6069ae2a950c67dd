import { Server, WebSocket as MockWebSocket, type Client } from 'mock-socket';
import { afterEach, describe, expect, it } from 'vitest';
import { mockSocketServer, type MockSocketCloseEvent, type MockSocketServerFactory } from '../../src/sim/adapters/mock-socket.js';
import type { ClientEnv } from '../../src/sim/client-node.js';
import { Simulation, type SimulationOptions } from '../../src/sim/simulation.js';
import type { TraceEvent } from '../../src/sim/trace.js';
import { jsonResponse } from '../../src/sim/transport/http-types.js';

// The team's fake backend lives at ws://localhost:8080/ws; the simulation's origin is set
// to the same host so the client's URL is unchanged. Default link: 20 ms each way, so an
// upgrade sent at t=0 reaches the server at 20 and the client opens at 40.

const ORIGIN = 'http://localhost:8080';
const URL_WS = 'ws://localhost:8080/ws';

const servers: Server[] = [];
const factories: MockSocketServerFactory[] = [];

const initialWebSocket = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');

afterEach(() => {
  for (const f of factories.splice(0)) f.detach();
  for (const s of servers.splice(0).reverse()) s.stop();
  expect(Object.getOwnPropertyDescriptor(globalThis, 'WebSocket')).toEqual(initialWebSocket);
});

/** The team's echo backend, defined the mock-socket way (default options: it replaces globalThis.WebSocket). */
function teamEchoServer(url = URL_WS) {
  const server = new Server(url);
  servers.push(server);
  const log: string[] = [];
  server.on('connection', (socket: Client) => {
    log.push(`connection ${socket.url}`);
    socket.on('message', (data) => {
      log.push(`message ${String(data)}`);
      if (data === 'kick') socket.close({ code: 4001, reason: 'kicked', wasClean: true });
      else socket.send(`echo:${data}`);
    });
    // mock-socket's typings declare `close` listeners without the event it passes them.
    socket.on('close', ((e: MockSocketCloseEvent) => log.push(`close ${e.code} ${e.wasClean} ${e.reason}`)) as unknown as () => void);
  });
  return { server, log };
}

function simulate(
  server: Server | (() => Server),
  opts: Partial<SimulationOptions> = {},
  adapter: Parameters<typeof mockSocketServer>[1] = {},
) {
  const factory = mockSocketServer(server, adapter);
  factories.push(factory);
  const sim = new Simulation({ seed: 1, origin: ORIGIN, server: factory, ...opts });
  return { sim, factory, env: sim.env('c1') };
}

/** Records the client's events with virtual time. */
function watch(sim: Simulation, ws: InstanceType<ClientEnv['WebSocket']>): string[] {
  const log: string[] = [];
  ws.addEventListener('open', () => log.push(`${sim.now} open`));
  ws.addEventListener('message', (e) => log.push(`${sim.now} message ${String((e as MessageEvent).data)}`));
  ws.addEventListener('error', () => log.push(`${sim.now} error`));
  ws.addEventListener('close', (e) => {
    const c = e as CloseEvent;
    log.push(`${sim.now} close ${c.code} ${c.wasClean} ${c.reason}`);
  });
  return log;
}

function events(sim: Simulation, ev: string): TraceEvent[] {
  return sim.trace.events().filter((e) => e.ev === ev);
}

describe('mock-socket adapter: the example of docs/adapters/mock-socket.md', () => {
  // The guide's example, verbatim except for the imports (the guide uses the package subpaths).
  function createFakeBackend() {
    const server = new Server('ws://localhost:8080/ws');
    server.on('connection', (socket) => {
      socket.on('message', (data) => socket.send(`echo:${data}`));
    });
    return server;
  }

  it('echoes over a simulated network, then a reset gives 1006', async () => {
    const server = createFakeBackend();
    const backend = mockSocketServer(server); // serves the Server's path, /ws
    const sim = new Simulation({
      seed: 42,
      origin: 'http://localhost:8080', // the client's URLs stay as they are
      server: backend,
      network: { link: { latency: 20 } },
      faults: [{ kind: 'ws-reset', at: 1000 }],
    });
    const { WebSocket } = sim.env('c1');
    const ws = new WebSocket('ws://localhost:8080/ws');
    const seen: string[] = [];
    ws.onopen = () => ws.send('hello');
    ws.onmessage = (e) => seen.push(`${sim.now} ${e.data}`);
    ws.onclose = (e) => seen.push(`${sim.now} close ${e.code} ${e.wasClean}`);
    await sim.run(2000);
    expect(seen).toEqual(['80 echo:hello', '1000 close 1006 false']);
    expect(sim.trace.events().filter((e) => e.ev === 'ws.send')).toHaveLength(2);
    backend.detach();
    server.stop();
  });
});

describe('mock-socket adapter: the team Server serves a lockstep client', () => {
  it('echoes over the simulated network, with latency applied and every frame traced', async () => {
    const { server, log } = teamEchoServer();
    const { sim, env } = simulate(server, { network: { toServer: { latency: 15 }, toClient: { latency: 35 } } });
    const ws = new env.WebSocket(URL_WS);
    const client = watch(sim, ws);
    ws.onopen = () => ws.send('hello');
    await sim.run(60);
    expect(server.clients()).toHaveLength(1); // the bridged socket is in mock-socket's own client list
    await sim.run(140);
    // open: 15 up + 35 down; echo: sent at 50, served at 65, back at 100.
    expect(client).toEqual(['50 open', '100 message echo:hello']);
    expect(log).toEqual(['connection ws://localhost:8080/ws', 'message hello']);
    expect(events(sim, 'ws.send').map((e) => [e.t, e.dir, e.data])).toEqual([
      [50, 'to-server', 'hello'],
      [65, 'to-client', 'echo:hello'],
    ]);
    expect(events(sim, 'ws.recv').map((e) => [e.t, e.dir])).toEqual([
      [65, 'to-server'],
      [100, 'to-client'],
    ]);
    expect(sim.stopped).toBeUndefined();
  });

  it('client close(1000) reaches the team socket close listener and the Server close listener', async () => {
    const { server, log } = teamEchoServer();
    const serverCloses: unknown[] = [];
    server.on('close', (arg) => serverCloses.push(arg));
    const { sim, env } = simulate(server);
    const ws = new env.WebSocket(URL_WS);
    const client = watch(sim, ws);
    sim.at(100, 'c1', 'close', () => ws.close(1000, 'done'));
    await sim.run(300);
    // close frame arrives at 120, the server echoes it, the client sees it at 140.
    expect(client).toEqual(['40 open', '140 close 1000 true done']);
    expect(log.at(-1)).toBe('close 1000 true done');
    expect(serverCloses).toEqual([server]); // as mock-socket calls it: with the Server as argument
    expect(server.clients()).toHaveLength(0);
  });

  it("the team's socket.close({ code: 4001, reason }) gives the client close 4001 after a closing handshake", async () => {
    const { server, log } = teamEchoServer();
    const { sim, env } = simulate(server);
    const ws = new env.WebSocket(URL_WS);
    const client = watch(sim, ws);
    ws.onopen = () => ws.send('kick');
    await sim.run(300);
    // kick served at 60; close frame at the client at 80; its echo back at the server at 100.
    expect(client).toEqual(['40 open', '80 close 4001 true kicked']);
    expect(log.slice(1)).toEqual(['message kick', 'close 4001 true kicked']);
    expect(events(sim, 'ws.close').map((e) => [e.t, e.side, e.code])).toEqual([
      [80, 'client', 4001],
      [100, 'server', 4001],
    ]);
  });

  it('a ws-reset fault gives the client error + close 1006, wasClean false (mock-socket gives no such thing)', async () => {
    const { server, log } = teamEchoServer();
    const errors: string[] = [];
    server.on('connection', (socket: Client) => socket.on('error', () => errors.push('error')));
    const { sim, env } = simulate(server, { faults: [{ kind: 'ws-reset', at: 100 }] });
    const ws = new env.WebSocket(URL_WS);
    const client = watch(sim, ws);
    await sim.run(300);
    expect(client).toEqual(['40 open', '100 error', '100 close 1006 false ']);
    expect(ws.readyState).toBe(ws.CLOSED);
    expect(log.at(-1)).toBe('close 1006 false ');
    expect(errors).toEqual(['error']);
    expect(server.clients()).toHaveLength(0);
  });

  it('a ws-refuse fault refuses: the team never sees the connection; the client gets 1006, then reconnects after the window', async () => {
    const { server, log } = teamEchoServer();
    const { sim, env } = simulate(server, { faults: [{ kind: 'ws-refuse', at: 0, duration: 1000, status: 503 }] });
    const first = new env.WebSocket(URL_WS);
    const client = watch(sim, first);
    await sim.run(1500);
    expect(client).toEqual(['40 error', '40 close 1006 false ']);
    expect(events(sim, 'ws.refuse').map((e) => e.status)).toEqual([503]);
    expect(log).toEqual([]);
    const second = new env.WebSocket(URL_WS);
    const again = watch(sim, second);
    await sim.run(100);
    expect(again).toEqual(['1540 open']);
    expect(log).toEqual(['connection ws://localhost:8080/ws']);
  });

  it("contrast: mock-socket's own client reports a refused connection as close 1000, wasClean true", async () => {
    // Real time, outside any simulation: this is mock-socket's deviation the adapter removes.
    const ws = new MockWebSocket('ws://localhost:9/nobody');
    const close = await new Promise<CloseEvent>((resolve) => (ws.onclose = resolve));
    expect([close.code, close.wasClean]).toEqual([1000, true]);
  });
});

describe('mock-socket adapter: determinism', () => {
  async function scenario(seed: number): Promise<string> {
    const { server } = teamEchoServer();
    let n = 0;
    server.on('connection', (socket: Client) => {
      // Server-side timers and randomness in the team's handlers run on the simulation.
      const timer = setInterval(() => socket.send(`tick ${++n} ${Math.random().toFixed(6)} ${Date.now()}`), 250);
      socket.on('close', () => clearInterval(timer));
    });
    const { sim, env, factory } = simulate(server, {
      seed,
      network: { link: { latency: { kind: 'uniform', min: 5, max: 80 } } },
      faults: [{ kind: 'ws-reset', at: 1700 }],
    });
    for (const node of ['c1']) {
      const ws = new env.WebSocket(URL_WS);
      ws.onopen = () => ws.send(`hi from ${node}`);
      ws.onmessage = (e) => {
        if (String(e.data).startsWith('tick 3')) ws.send('kick');
      };
      ws.onclose = () => sim.at(sim.now + 100, 'c1', 'reconnect', () => new env.WebSocket(URL_WS));
    }
    await sim.run(3000);
    expect(sim.stopped).toBeUndefined();
    factory.detach();
    server.stop();
    servers.splice(servers.indexOf(server), 1);
    return sim.trace.hash();
  }

  it('the same seed gives the same trace hash in two runs; another seed another', async () => {
    const a = await scenario(42);
    const b = await scenario(42);
    const c = await scenario(43);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });
});

describe('mock-socket adapter: the team Server afterwards, and globalThis.WebSocket', () => {
  it('undoes mock-socket replacing globalThis.WebSocket, and server.stop() leaves the global alone', () => {
    const before = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
    const server = new Server(URL_WS); // default { mock: true }
    servers.push(server);
    expect((globalThis as { WebSocket?: unknown }).WebSocket).toBe(MockWebSocket);
    factories.push(mockSocketServer(server));
    expect(Object.getOwnPropertyDescriptor(globalThis, 'WebSocket')).toEqual(before);
    server.stop();
    servers.pop();
    expect(Object.getOwnPropertyDescriptor(globalThis, 'WebSocket')).toEqual(before);
  });

  it('refuses to build a simulation while another mock-socket Server holds globalThis.WebSocket', () => {
    const other = new Server('ws://localhost:8080/other'); // default { mock: true }, not adapted
    servers.push(other);
    const { server } = teamEchoServer(); // saw mock-socket's class as the "original" WebSocket
    expect(() => simulate(server)).toThrow(/globalThis\.WebSocket is mock-socket's WebSocket.*\{ mock: false \}/s);
    servers.length = 0;
    server.stop();
    other.stop();
    // mock-socket's own stop() "restores" an absent global as an undefined property.
    if (initialWebSocket === undefined) delete (globalThis as { WebSocket?: unknown }).WebSocket;
  });

  it('after the run, detach() leaves the Server usable with mock-socket, and stop() frees its URL', async () => {
    const { server, log } = teamEchoServer();
    const { sim, env, factory } = simulate(server);
    const ws = new env.WebSocket(URL_WS);
    ws.onopen = () => ws.send('in the simulation');
    await sim.run(200); // the socket is still open when the run ends
    expect(server.clients()).toHaveLength(1);
    factory.detach();
    expect(server.clients()).toHaveLength(0);
    expect(factory.sockets()).toEqual([]);

    // The same Server, its handlers untouched, with mock-socket's own client (real 4 ms timers).
    const mockClient = new MockWebSocket(URL_WS);
    const echoed = await new Promise<string>((resolve) => {
      mockClient.onopen = () => mockClient.send('outside');
      mockClient.onmessage = (e) => resolve(String(e.data));
    });
    expect(echoed).toBe('echo:outside');
    expect(log).toContain('message in the simulation');
    mockClient.close();

    server.stop();
    servers.pop();
    const again = new Server(URL_WS, { mock: false });
    servers.push(again);
    expect(again.clients()).toEqual([]);
  });
});

describe('mock-socket adapter: modes', () => {
  it('works with installed globals: unmodified client code uses the global WebSocket', async () => {
    const { server } = teamEchoServer();
    const { sim, env } = simulate(server);
    const seen: string[] = [];
    await sim.withGlobals('c1', async () => {
      expect(globalThis.WebSocket).toBe(env.WebSocket);
      const ws = new WebSocket(URL_WS);
      ws.onopen = () => ws.send('global');
      ws.onmessage = (e) => seen.push(`${Date.now() - sim.startTime} ${String(e.data)}`);
      await sim.run(200);
    });
    expect(seen).toEqual(['80 echo:global']);
  });

  it("with an injected env (real timers trapped), the team's setTimeout, Date and Math.random run on the server's virtual world", async () => {
    const server = new Server(URL_WS, { mock: false });
    servers.push(server);
    server.on('connection', (socket: Client) => {
      socket.on('message', (data) => {
        const at = Date.now();
        setTimeout(() => socket.send(`late:${data}:${Date.now() - at}:${Math.random() < 1}`), 500);
      });
    });
    const { sim, env } = simulate(server);
    const ws = new env.WebSocket(URL_WS);
    const client = watch(sim, ws);
    ws.onopen = () => ws.send('x');
    await sim.run(1000);
    expect(sim.stopped).toBeUndefined();
    expect(client).toEqual(['40 open', '580 message late:x:500:true']);
  });

  it('with serverGlobals: false and an injected env, a handler reaching for the real setTimeout stops the run with a clear message', async () => {
    const server = new Server(URL_WS, { mock: false });
    servers.push(server);
    server.on('connection', (socket: Client) => socket.on('message', () => setTimeout(() => socket.send('never'), 10)));
    const { sim, env } = simulate(server, {}, { serverGlobals: false });
    const ws = new env.WebSocket(URL_WS);
    ws.onopen = () => ws.send('x');
    await expect(sim.run(200)).rejects.toThrow(/server called the real setTimeout\(\) at virtual time 60/);
  });
});

describe('mock-socket adapter: the rest of the mock-socket Server API', () => {
  it('server.emit broadcasts to every bridged client; server.clients() lists them', async () => {
    const { server } = teamEchoServer();
    server.on('connection', (socket: Client) =>
      socket.on('message', (data) => {
        if (data === 'shout') server.emit('message', `all: ${server.clients().length}`);
      }),
    );
    const { sim } = simulate(server, { clients: ['c1', 'c2'], network: { nodes: { c2: { toClient: { latency: 50 } } } } });
    const a = new (sim.env('c1').WebSocket)(URL_WS);
    const b = new (sim.env('c2').WebSocket)(URL_WS);
    const la = watch(sim, a);
    const lb = watch(sim, b);
    sim.at(100, 'c1', 'shout', () => a.send('shout'));
    await sim.run(300);
    expect(la).toEqual(['40 open', '140 message echo:shout', '140 message all: 2']);
    expect(lb).toEqual(['70 open', '170 message all: 2']);
  });

  it('server.close({ code }) closes every client with that code, then refuses new connections', async () => {
    const { server, log } = teamEchoServer();
    const { sim, env } = simulate(server);
    const ws = new env.WebSocket(URL_WS);
    const client = watch(sim, ws);
    sim.at(100, 'server', 'shutdown', () => server.close({ code: 4100, reason: 'maintenance', wasClean: true }));
    await sim.run(200);
    expect(client).toEqual(['40 open', '120 close 4100 true maintenance']);
    expect(log.at(-1)).toBe('close 4100 true maintenance');
    const late = new env.WebSocket(URL_WS);
    const lateLog = watch(sim, late);
    await sim.run(100);
    expect(lateLog).toEqual(['240 error', '240 close 1006 false ']);
    expect(events(sim, 'ws.refuse').map((e) => e.status)).toEqual([0]);
  });

  it("server.simulate('error') resets the connection: the client sees error + close 1006", async () => {
    const { server } = teamEchoServer();
    const { sim, env } = simulate(server);
    const ws = new env.WebSocket(URL_WS);
    const client = watch(sim, ws);
    sim.at(100, 'server', 'error', () => server.simulate('error'));
    await sim.run(200);
    expect(client).toEqual(['40 open', '120 error', '120 close 1006 false ']);
  });

  it('verifyClient() refusing gives HTTP 401; selectProtocol() picks the subprotocol', async () => {
    let allow = false;
    const server = new Server(URL_WS, { mock: false, verifyClient: () => allow, selectProtocol: (p) => p.at(-1) ?? '' });
    servers.push(server);
    const { sim, env } = simulate(server);
    const denied = watch(sim, new env.WebSocket(URL_WS, ['v1', 'v2']));
    await sim.run(100);
    expect(denied).toEqual(['40 error', '40 close 1006 false ']);
    expect(events(sim, 'ws.refuse').map((e) => e.status)).toEqual([401]);
    allow = true;
    const ws = new env.WebSocket(URL_WS, ['v1', 'v2']);
    await sim.run(100);
    expect(ws.protocol).toBe('v2');
  });

  it('binary frames both ways: the team sees an ArrayBuffer, its typed arrays go out as binary', async () => {
    const server = new Server(URL_WS, { mock: false });
    servers.push(server);
    const seen: unknown[] = [];
    server.on('connection', (socket: Client) =>
      socket.on('message', (data) => {
        seen.push(data);
        socket.send(new Uint8Array(data as ArrayBuffer).map((x) => x * 2));
      }),
    );
    const { sim, env } = simulate(server);
    const ws = new env.WebSocket(URL_WS);
    ws.binaryType = 'arraybuffer';
    const got: number[][] = [];
    ws.onopen = () => ws.send(new Uint8Array([1, 2, 3]).buffer);
    ws.onmessage = (e) => got.push([...new Uint8Array(e.data as ArrayBuffer)]);
    await sim.run(200);
    expect(seen[0]).toBeInstanceOf(ArrayBuffer);
    expect(got).toEqual([[2, 4, 6]]);
  });

  it('an exception in a team listener is traced as server.error and does not reach the client', async () => {
    const server = new Server(URL_WS, { mock: false });
    servers.push(server);
    server.on('connection', (socket: Client) => {
      socket.on('message', () => {
        throw new Error('handler bug');
      });
      socket.on('message', (data) => socket.send(`still:${data}`));
    });
    const { sim, env } = simulate(server);
    const ws = new env.WebSocket(URL_WS);
    const client = watch(sim, ws);
    ws.onopen = () => ws.send('x');
    await sim.run(200);
    expect(client).toEqual(['40 open', '80 message still:x']);
    expect(events(sim, 'server.error').map((e) => e.message)).toEqual(['handler bug']);
  });
});

describe('mock-socket adapter: composition and restarts', () => {
  it('combines with an HTTP app (the polling fallback) and other WebSocket paths', async () => {
    const { server } = teamEchoServer();
    const { sim, env } = simulate(
      server,
      {},
      {
        app: () => ({
          http: (req) => jsonResponse(200, { path: req.path }),
          upgrade: (req) => (req.path === '/other' ? undefined : 404),
          connection: (socket) => socket.send('from the other app'),
        }),
      },
    );
    const body = env.fetch(`${ORIGIN}/api/poll`).then((r) => r.json());
    const other = watch(sim, new env.WebSocket('ws://localhost:8080/other'));
    const missing = watch(sim, new env.WebSocket('ws://localhost:8080/missing'));
    await sim.run(200);
    expect(await body).toEqual({ path: '/api/poll' });
    expect(other).toEqual(['40 open', '40 message from the other app']);
    expect(missing).toEqual(['40 error', '40 close 1006 false ']);
  });

  it('a server restart (state kept) closes the bridged sockets: the team sees close 1006, clients() empties', async () => {
    const { server, log } = teamEchoServer();
    const { sim, env } = simulate(server, { faults: [{ kind: 'server-restart', at: 100, downtime: 500 }] });
    const ws = new env.WebSocket(URL_WS);
    const client = watch(sim, ws);
    await sim.run(1000);
    expect(client).toEqual(['40 open', '120 error', '120 close 1006 false ']);
    expect(log.at(-1)).toBe('close 1006 false ');
    expect(server.clients()).toHaveLength(0);
    const again = watch(sim, new env.WebSocket(URL_WS));
    await sim.run(100);
    expect(again).toEqual(['1040 open']);
  });

  it('given a function, a restart that loses state builds a fresh Server (and stops the old one)', async () => {
    const built: Server[] = [];
    const create = () => {
      const s = new Server(URL_WS, { mock: false });
      let count = 0;
      s.on('connection', (socket: Client) => socket.on('message', () => socket.send(`count ${++count}`)));
      built.push(s);
      return s;
    };
    const { sim, env, factory } = simulate(create, { faults: [{ kind: 'server-restart', at: 500, state: 'lose', downtime: 100 }] });
    const messages: string[] = [];
    const open = () => {
      const ws = new env.WebSocket(URL_WS);
      ws.onopen = () => ws.send('x');
      ws.onmessage = (e) => messages.push(String(e.data));
      return ws;
    };
    open();
    open();
    await sim.run(1000);
    open();
    await sim.run(200);
    expect(messages).toEqual(['count 1', 'count 2', 'count 1']);
    expect(built).toHaveLength(2);
    expect(factory.server).toBe(built[1]);
    servers.push(built[1]!);
  });
});
