import { describe, expect, it } from 'vitest';
import type { ClientEnv } from '../../src/sim/client-node.js';
import type { ServerApp, ServerFactory } from '../../src/sim/server-host.js';
import { Simulation, type SimulationOptions } from '../../src/sim/simulation.js';
import type { TraceEvent } from '../../src/sim/trace.js';
import type { ServerSocket } from '../../src/sim/transport/server-socket.js';
import type { SimWebSocket } from '../../src/sim/transport/websocket.js';

// Browser WebSocket semantics of the simulated transport. Default link: 20 ms each way,
// so an upgrade sent at t=0 reaches the server at 20 and the client opens at 40.

interface ServerLog {
  log: string[];
  sockets: ServerSocket[];
}

/** A server on `/ws` that echoes `echo:<x>` as `<x>`, echoes binary frames, and logs everything. */
function loggingServer(s: ServerLog, extra: Partial<ServerApp> = {}): ServerFactory {
  return (env) => ({
    upgrade(req) {
      if (req.path === '/deny') return 401;
      if (req.path !== '/ws') return 404;
    },
    connection(socket) {
      s.sockets.push(socket);
      s.log.push(`${env.now()} server open ${socket.id}`);
      socket.on('message', (data, binary) => {
        s.log.push(`${env.now()} server message ${binary ? `[${[...(data as Uint8Array)].join(',')}]` : (data as string)}`);
        if (binary) socket.send(data);
        else if ((data as string).startsWith('echo:')) socket.send((data as string).slice(5));
      });
      socket.on('close', (code, reason, wasClean) => s.log.push(`${env.now()} server close ${code} ${wasClean} ${reason}`));
    },
    ...extra,
  });
}

function setup(opts: Partial<SimulationOptions> = {}, extra: Partial<ServerApp> = {}) {
  const server: ServerLog = { log: [], sockets: [] };
  const sim = new Simulation({ seed: 7, server: loggingServer(server, extra), ...opts });
  const env = sim.env('c1');
  return { sim, env, server };
}

/** Records every event of `ws` with the virtual time and the readyState seen by the listener. */
function watch(sim: Simulation, ws: SimWebSocket): string[] {
  const log: string[] = [];
  ws.addEventListener('open', () => log.push(`${sim.now} open ${ws.readyState}`));
  ws.addEventListener('message', (e) => log.push(`${sim.now} message ${String((e as MessageEvent).data)}`));
  ws.addEventListener('error', () => log.push(`${sim.now} error ${ws.readyState}`));
  ws.addEventListener('close', (e) => {
    const c = e as CloseEvent;
    log.push(`${sim.now} close ${c.code} ${c.wasClean} ${c.reason} ${ws.readyState}`);
  });
  return log;
}

function events(sim: Simulation, ev: string): TraceEvent[] {
  return sim.trace.events().filter((e) => e.ev === ev);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

/** Opens a socket on `/ws` at t=0 and runs until it is open (t=40). */
async function openSocket(sim: Simulation, env: ClientEnv, path = '/ws') {
  const ws = new env.WebSocket(path);
  const log = watch(sim, ws);
  await sim.run(40);
  expect(ws.readyState).toBe(ws.OPEN);
  return { ws, log };
}

describe('WebSocket: states and the opening handshake', () => {
  it('goes CONNECTING → OPEN asynchronously, never opening inside the constructor', async () => {
    const { sim, env, server } = setup();
    const ws = new env.WebSocket('/ws');
    expect(ws.readyState).toBe(0);
    expect(ws.readyState).toBe(env.WebSocket.CONNECTING);
    expect(ws.url).toBe('ws://lockstep.test/ws');
    // A handler attached after construction still sees the open: it cannot have fired yet.
    const log = watch(sim, ws);
    let opened = -1;
    ws.onopen = () => (opened = sim.now);
    expect(log).toEqual([]);
    await sim.run(39);
    expect(ws.readyState).toBe(0);
    expect(opened).toBe(-1);
    await sim.run(1);
    expect(opened).toBe(40);
    expect(log).toEqual(['40 open 1']);
    expect(server.log).toEqual(['20 server open c1/ws#1']);
    expect(ws.protocol).toBe('');
    expect(ws.extensions).toBe('');
    expect(ws.binaryType).toBe('blob');
  });

  it('goes OPEN → CLOSING → CLOSED on close(1000, "bye"), echoed by the server', async () => {
    const { sim, env, server } = setup();
    const { ws, log } = await openSocket(sim, env);
    ws.close(1000, 'bye');
    expect(ws.readyState).toBe(ws.CLOSING);
    ws.close(4000, 'again'); // a second close is a no-op
    await sim.run(19);
    expect(ws.readyState).toBe(2);
    await sim.run(100);
    expect(ws.readyState).toBe(3);
    expect(log).toEqual(['40 open 1', '80 close 1000 true bye 3']);
    expect(server.log).toEqual(['20 server open c1/ws#1', '60 server close 1000 true bye']);
    const closes = events(sim, 'ws.close').map((e) => [e.side, e.code, e.wasClean]);
    expect(closes).toEqual([
      ['server', 1000, true],
      ['client', 1000, true],
    ]);
  });

  it('close() without a code gives 1005 on both sides', async () => {
    const { sim, env, server } = setup();
    const { ws, log } = await openSocket(sim, env);
    ws.close();
    await sim.run(100);
    expect(log).toEqual(['40 open 1', '80 close 1005 true  3']);
    expect(server.log).toContain('60 server close 1005 true ');
  });

  it('a server-initiated close delivers its code and reason, cleanly and without an error event', async () => {
    const { sim, env, server } = setup();
    const { ws, log } = await openSocket(sim, env);
    sim.at(100, 'server', 'kick', () => server.sockets[0]!.close(4001, 'kicked'));
    await sim.run(200);
    expect(ws.readyState).toBe(3);
    expect(log).toEqual(['40 open 1', '120 close 4001 true kicked 3']);
    // The server gets the client's echo one trip later.
    expect(server.log).toContain('140 server close 4001 true kicked');
  });

  it('a server close without a code is 1005 at the client', async () => {
    const { sim, env, server } = setup();
    const { log } = await openSocket(sim, env);
    sim.at(100, 'server', 'kick', () => server.sockets[0]!.close());
    await sim.run(200);
    expect(log).toEqual(['40 open 1', '120 close 1005 true  3']);
  });

  it('a simultaneous close from both ends is clean on both sides with the peer’s code', async () => {
    const { sim, env, server } = setup();
    const { ws, log } = await openSocket(sim, env);
    sim.at(100, 'c1', 'close', () => ws.close(1000, 'client'));
    sim.at(100, 'server', 'close', () => server.sockets[0]!.close(4002, 'server'));
    await sim.run(200);
    expect(log).toEqual(['40 open 1', '120 close 4002 true server 3']);
    expect(server.log).toContain('120 server close 1000 true client');
  });

  it('in a simultaneous close each side reports the code it received, 1005 when the frame had none', async () => {
    const { sim, env, server } = setup();
    const { ws, log } = await openSocket(sim, env);
    sim.at(100, 'c1', 'close', () => ws.close());
    sim.at(100, 'server', 'close', () => server.sockets[0]!.close());
    sim.at(300, 'c1', 'reopen', () => {
      const again = new env.WebSocket('/ws');
      again.onopen = () => again.close(4000, 'mine');
      again.onclose = (e) => log.push(`${sim.now} second ${e.code}`);
    });
    sim.at(340, 'server', 'close', () => server.sockets[1]!.close());
    await sim.run(1000);
    expect(log).toEqual(['40 open 1', '120 close 1005 true  3', '360 second 1005']);
    expect(server.log.filter((l) => l.includes('close'))).toEqual(['120 server close 1005 true ', '360 server close 4000 true mine']);
  });

  it('close() validates the code and the reason as browsers do', async () => {
    const { sim, env } = setup();
    const { ws } = await openSocket(sim, env);
    for (const code of [1001, 999, 1005, 2999, 5000]) {
      const e = thrown(() => ws.close(code));
      expect(e).toBeInstanceOf(DOMException);
      expect((e as DOMException).name).toBe('InvalidAccessError');
    }
    const long = thrown(() => ws.close(1000, 'x'.repeat(124)));
    expect(long).toBeInstanceOf(DOMException);
    expect((long as DOMException).name).toBe('SyntaxError');
    // 62 two-byte characters are 124 UTF-8 bytes.
    expect((thrown(() => ws.close(1000, 'é'.repeat(62))) as DOMException).name).toBe('SyntaxError');
    expect(ws.readyState).toBe(1);
    ws.close(4999, 'y'.repeat(123));
    expect(ws.readyState).toBe(2);
  });

  it('close() while CONNECTING fires error then close 1006, never open', async () => {
    const { sim, env, server } = setup();
    const ws = new env.WebSocket('/ws');
    const log = watch(sim, ws);
    ws.close(1000, 'never mind');
    expect(ws.readyState).toBe(2);
    await sim.run(1000);
    expect(log).toEqual(['0 error 3', '0 close 1006 false  3']);
    expect(server.log.filter((l) => l.includes('open'))).toEqual([]);
  });

  it('a refused upgrade (ws-refuse) fires error then close 1006, never open', async () => {
    const { sim, env } = setup({ faults: [{ kind: 'ws-refuse', at: 0, status: 503 }] });
    const ws = new env.WebSocket('/ws');
    const log = watch(sim, ws);
    await sim.run(1000);
    expect(log).toEqual(['40 error 3', '40 close 1006 false  3']);
    expect(events(sim, 'ws.fail').map((e) => e.status)).toEqual([503]);
    expect(events(sim, 'ws.open')).toEqual([]);
  });

  it('an upgrade the server answers with 401 fires error then close 1006, never open', async () => {
    const { sim, env, server } = setup();
    const ws = new env.WebSocket('/deny');
    const log = watch(sim, ws);
    await sim.run(1000);
    expect(log).toEqual(['40 error 3', '40 close 1006 false  3']);
    expect(events(sim, 'ws.fail').map((e) => e.status)).toEqual([401]);
    expect(server.sockets).toEqual([]);
  });

  it('offers the subprotocol the server picked and rejects duplicated subprotocols', async () => {
    const { sim, env } = setup({}, { upgrade: () => ({ protocol: 'v2' }) });
    const ws = new env.WebSocket('/ws', ['v1', 'v2']);
    await sim.run(40);
    expect(ws.protocol).toBe('v2');
    const e = thrown(() => new env.WebSocket('/ws', ['v1', 'v1']));
    expect((e as DOMException).name).toBe('SyntaxError');
  });
});

describe('WebSocket: send and bufferedAmount', () => {
  it('send while CONNECTING throws InvalidStateError', () => {
    const { env } = setup();
    const ws = new env.WebSocket('/ws');
    const e = thrown(() => ws.send('too early'));
    expect(e).toBeInstanceOf(DOMException);
    expect((e as DOMException).name).toBe('InvalidStateError');
  });

  it('send after close() does not throw, nothing is sent, and bufferedAmount grows', async () => {
    const { sim, env, server } = setup();
    const { ws } = await openSocket(sim, env);
    ws.close();
    expect(ws.bufferedAmount).toBe(0);
    ws.send('héllo'); // 6 UTF-8 bytes
    expect(ws.bufferedAmount).toBe(6);
    await sim.run(500);
    expect(ws.readyState).toBe(3);
    ws.send(new Uint8Array(4));
    expect(ws.bufferedAmount).toBe(10);
    expect(server.log.filter((l) => l.includes('message'))).toEqual([]);
    expect(events(sim, 'ws.discard').map((e) => [e.bytes, e.state])).toEqual([
      [6, 'CLOSING'],
      [4, 'CLOSED'],
    ]);
  });

  it('bufferedAmount counts bytes until they leave and returns to 0', async () => {
    const { sim, env } = setup({ faults: [{ kind: 'partition', at: 50, duration: 1000, direction: 'to-server' }] });
    const { ws } = await openSocket(sim, env);
    ws.send('abc');
    ws.send('defgh');
    expect(ws.bufferedAmount).toBe(8);
    await sim.run(1);
    expect(ws.bufferedAmount).toBe(0);
    // During the partition the frame cannot leave: it stays buffered.
    sim.at(100, 'c1', 'send', () => ws.send('stuck'));
    await sim.run(959); // t=1000
    expect(ws.bufferedAmount).toBe(5);
    await sim.run(51); // t=1051: the partition healed at 1050 and the frame left
    expect(ws.bufferedAmount).toBe(0);
  });
});

describe('WebSocket: delivery', () => {
  it('is asynchronous and in order in both directions; frames the server sends on connection follow open', async () => {
    const { sim, env, server } = setup(
      {},
      {
        connection(socket) {
          server.sockets.push(socket);
          for (const m of ['s1', 's2', 's3']) socket.send(m);
          socket.on('message', (d) => {
            server.log.push(`${socket.id} got ${String(d)}`);
            socket.send(`ack ${String(d)}`);
          });
        },
      },
    );
    const ws = new env.WebSocket('/ws');
    const log = watch(sim, ws);
    ws.onopen = () => {
      for (const m of ['a', 'b', 'c']) ws.send(m);
      expect(server.log).toEqual([]); // nothing arrives synchronously
    };
    ws.onmessage = (e) => {
      if (e.data === 's3') log.push(`${sim.now} (sync check ${server.log.length})`);
    };
    await sim.run(200);
    expect(log).toEqual([
      '40 open 1',
      '40 message s1',
      '40 message s2',
      '40 message s3',
      '40 (sync check 0)',
      '80 message ack a',
      '80 message ack b',
      '80 message ack c',
    ]);
    expect(server.log).toEqual(['c1/ws#1 got a', 'c1/ws#1 got b', 'c1/ws#1 got c']);
  });

  it('keeps order under jittery latency (TCP): 200 frames each way arrive exactly once, in order', async () => {
    const { sim, env, server } = setup(
      { network: { link: { latency: { kind: 'uniform', min: 5, max: 80 }, loss: 0.2 } } },
      {
        connection(socket) {
          server.sockets.push(socket);
          socket.on('message', (d) => server.log.push(String(d)));
        },
      },
    );
    const ws = new env.WebSocket('/ws');
    const got: string[] = [];
    ws.onmessage = (e) => got.push(String(e.data));
    ws.onopen = () => {
      for (let i = 0; i < 200; i++) sim.at(sim.now + i, 'c1', 'send', () => ws.send(`c${i}`));
    };
    sim.at(300, 'server', 'burst', () => {
      for (let i = 0; i < 200; i++) server.sockets[0]!.send(`s${i}`);
    });
    await sim.run(60_000);
    expect(server.log).toEqual(Array.from({ length: 200 }, (_, i) => `c${i}`));
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `s${i}`));
  });

  it('carries binary frames; binaryType selects ArrayBuffer or Blob', async () => {
    const { sim, env, server } = setup();
    const { ws } = await openSocket(sim, env);
    const got: unknown[] = [];
    ws.onmessage = (e) => got.push(e.data);
    ws.binaryType = 'arraybuffer';
    ws.send(new Uint8Array([1, 2, 3]).buffer);
    await sim.run(50);
    ws.binaryType = 'blob';
    const big = new Uint8Array([9, 8, 7, 6, 5]);
    ws.send(big.subarray(1, 4)); // a view: only its own bytes travel
    ws.binaryType = 'nonsense' as BinaryType; // invalid values are ignored
    expect(ws.binaryType).toBe('blob');
    await sim.run(50);
    expect(server.log.filter((l) => l.includes('message'))).toEqual(['60 server message [1,2,3]', '110 server message [8,7,6]']);
    expect(got).toHaveLength(2);
    expect(got[0]).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(got[0] as ArrayBuffer)]).toEqual([1, 2, 3]);
    expect(got[1]).toBeInstanceOf(Blob);
    expect((got[1] as Blob).size).toBe(3);
    expect([...new Uint8Array(await (got[1] as Blob).arrayBuffer())]).toEqual([8, 7, 6]);
  });
});

describe('WebSocket: events and handlers', () => {
  it('supports on* handlers and addEventListener together, in registration order', async () => {
    const { sim, env, server } = setup();
    const { ws } = await openSocket(sim, env);
    const order: string[] = [];
    const a = () => order.push('a');
    ws.addEventListener('message', a);
    ws.onmessage = () => order.push('handler');
    ws.addEventListener('message', () => order.push('c'));
    ws.addEventListener('message', () => order.push('once'), { once: true });
    ws.addEventListener('message', a); // duplicate registration is ignored
    server.sockets[0]!.send('one');
    await sim.run(30);
    expect(order).toEqual(['a', 'handler', 'c', 'once']);
    // Replacing a handler keeps its place; clearing and setting it again moves it to the end.
    order.length = 0;
    ws.onmessage = () => order.push('handler2');
    ws.removeEventListener('message', a);
    server.sockets[0]!.send('two');
    await sim.run(30);
    expect(order).toEqual(['handler2', 'c']);
    order.length = 0;
    ws.onmessage = null;
    expect(ws.onmessage).toBe(null);
    ws.onmessage = () => order.push('handler3');
    ws.addEventListener('message', { handleEvent: () => order.push('object') });
    server.sockets[0]!.send('three');
    await sim.run(30);
    expect(order).toEqual(['c', 'handler3', 'object']);
  });

  it('reports a throwing listener as client.error and still runs the others', async () => {
    const { sim, env, server } = setup();
    const { ws } = await openSocket(sim, env);
    const seen: string[] = [];
    ws.addEventListener('message', () => {
      throw new Error('boom');
    });
    ws.addEventListener('message', (e) => seen.push(`listener ${String((e as MessageEvent).data)}`));
    ws.onmessage = (e) => {
      seen.push(`handler ${String(e.data)}`);
      throw new Error('bang');
    };
    server.sockets[0]!.send('x');
    server.sockets[0]!.send('y');
    await sim.run(30);
    expect(seen).toEqual(['listener x', 'handler x', 'listener y', 'handler y']);
    const errors = events(sim, 'client.error');
    expect(errors.map((e) => [e.node, e.subject, e.message])).toEqual([
      ['c1', 'c1/ws#1 message listener', 'boom'],
      ['c1', 'c1/ws#1 message listener', 'bang'],
      ['c1', 'c1/ws#1 message listener', 'boom'],
      ['c1', 'c1/ws#1 message listener', 'bang'],
    ]);
    expect(sim.stopped).toBeUndefined();
  });

  it('dispatches events whose target is the socket', async () => {
    const { sim, env } = setup();
    const ws = new env.WebSocket('/ws');
    let target: unknown;
    let type = '';
    ws.onopen = (e) => {
      target = e.target;
      type = e.type;
    };
    await sim.run(40);
    expect(target).toBe(ws);
    expect(type).toBe('open');
  });
});

describe('WebSocket: abnormal closes', () => {
  it('ws-reset: error then close 1006 at the client, and a 1006 close on the server socket', async () => {
    const { sim, env, server } = setup({ faults: [{ kind: 'ws-reset', at: 100 }] });
    const { ws, log } = await openSocket(sim, env);
    await sim.run(1000);
    expect(ws.readyState).toBe(3);
    expect(log).toEqual(['40 open 1', '100 error 3', '100 close 1006 false  3']);
    expect(server.log).toEqual(['20 server open c1/ws#1', '100 server close 1006 false ']);
    expect(server.sockets[0]!.readyState).toBe(3);
  });

  it('ws-half-open: no events at all, frames vanish, and close() ends with 1006 after closeTimeout', async () => {
    const { sim, env, server } = setup({ faults: [{ kind: 'ws-half-open', at: 100 }], network: { closeTimeout: 3000 } });
    const { ws, log } = await openSocket(sim, env);
    sim.at(150, 'c1', 'send', () => ws.send('hello?'));
    sim.at(150, 'server', 'send', () => server.sockets[0]!.send('anyone?'));
    await sim.run(20_000);
    expect(ws.readyState).toBe(1);
    expect(server.sockets[0]!.readyState).toBe(1);
    expect(log).toEqual(['40 open 1']);
    expect(server.log).toEqual(['20 server open c1/ws#1']);
    const drops = events(sim, 'net.drop').map((e) => [e.t, e.dir, e.envelope, e.reason]);
    expect(drops).toEqual([
      [150, 'to-server', 'ws.frame', 'half-open'],
      [150, 'to-client', 'ws.frame', 'half-open'],
    ]);
    const closeAt = sim.now;
    ws.close(1000, 'giving up');
    expect(ws.readyState).toBe(2);
    await sim.run(2999);
    expect(ws.readyState).toBe(2);
    await sim.run(1);
    expect(ws.readyState).toBe(3);
    expect(log.at(-1)).toBe(`${closeAt + 3000} close 1006 false  3`);
    expect(server.log).toEqual(['20 server open c1/ws#1']);
  });

  it('connecting while the client is offline fails with 1006', async () => {
    const { sim, env } = setup({ faults: [{ kind: 'client-offline', at: 0, duration: 10_000 }] });
    let ws: SimWebSocket | undefined;
    let log: string[] = [];
    sim.at(10, 'c1', 'connect', () => {
      ws = new env.WebSocket('/ws');
      log = watch(sim, ws);
    });
    await sim.run(1000);
    expect(ws!.readyState).toBe(3);
    expect(log).toEqual(['10 error 3', '10 close 1006 false  3']);
    expect(events(sim, 'ws.upgrade')).toEqual([]);
  });

  it('connecting to an unknown host fails with 1006', async () => {
    const { sim, env } = setup();
    const ws = new env.WebSocket('ws://elsewhere.test/ws');
    const log = watch(sim, ws);
    await sim.run(1000);
    expect(log).toEqual(['0 error 3', '0 close 1006 false  3']);
  });

  it('times out a handshake lost in a partition; the server never sees it, even after the heal', async () => {
    const { sim, env, server } = setup({
      faults: [{ kind: 'partition', at: 0, duration: 20_000 }],
      network: { connectTimeout: 10_000 },
    });
    let ws: SimWebSocket | undefined;
    let log: string[] = [];
    sim.at(10, 'c1', 'connect', () => {
      ws = new env.WebSocket('/ws');
      log = watch(sim, ws);
    });
    await sim.run(10_009);
    expect(ws!.readyState).toBe(0);
    await sim.run(60_000);
    expect(log).toEqual(['10010 error 3', '10010 close 1006 false  3']);
    expect(events(sim, 'net.drop').map((e) => [e.envelope, e.reason])).toEqual([['ws.connect', 'abandoned before the handshake left']]);
    expect(events(sim, 'ws.upgrade')).toEqual([]);
    expect(server.sockets).toEqual([]);
  });

  it('rejects bad URLs with SyntaxError and maps http(s) to ws(s)', () => {
    const { env } = setup();
    for (const url of ['ftp://lockstep.test/ws', 'ws://lockstep.test/ws#frag', 'http://[bad']) {
      const e = thrown(() => new env.WebSocket(url));
      expect(e).toBeInstanceOf(DOMException);
      expect((e as DOMException).name).toBe('SyntaxError');
    }
    expect(new env.WebSocket('http://lockstep.test/ws').url).toBe('ws://lockstep.test/ws');
    expect(new env.WebSocket('https://lockstep.test/ws?x=1').url).toBe('wss://lockstep.test/ws?x=1');
  });
});
