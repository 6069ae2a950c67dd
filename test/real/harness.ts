import { WebSocket } from 'ws';
import { protocols, getProtocol } from '../../src/conformance/registry.js';
import { resolveScenario } from '../../src/conformance/scenario.js';
import { RealServer, type RealServerOptions } from '../../src/real/server.js';
import type { TraceEvent } from '../../src/sim/trace.js';

type ServerOpts = Omit<Partial<RealServerOptions>, 'protocol'> & {
  network?: unknown;
  server?: unknown;
  protocol?: string;
  /** The scenario's `start` and `clock` fields. */
  start?: string;
  clock?: unknown;
};

/** A protocol's server (default chat) over real sockets with `faults` (started at once, never ending by itself). */
export async function chatServer(faults: unknown[] = [], opts: ServerOpts = {}): Promise<RealServer> {
  const { network, server, protocol = 'chat', start, clock, ...rest } = opts;
  const scenario = resolveScenario(
    { protocol, faults, network: network ?? { link: { latency: 1 } }, ...(server ? { server } : {}), ...(start ? { start } : {}), ...(clock ? { clock } : {}) },
    'test',
    protocols,
  );
  return RealServer.listen({ protocol: getProtocol(protocol), scenario, timed: false, ...rest });
}

export const auth = { authorization: 'Bearer token-c1' };
export const json = { ...auth, 'content-type': 'application/json' };

/** A `ws` client with what it received and how it closed. */
export interface TestSocket {
  ws: WebSocket;
  frames: string[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first frame matching `pred` that arrives (or has arrived). */
  frame(pred: (f: string) => boolean, timeoutMs?: number): Promise<string | undefined>;
}

export function connect(
  server: RealServer,
  path = '/api/v1/consultations/A/ws?token=token-c1',
  headers?: Record<string, string>,
): TestSocket {
  const ws = new WebSocket(`${server.urls.wsUrl}${path}`, undefined, { headers, perMessageDeflate: false });
  const frames: string[] = [];
  const waiters: { pred: (f: string) => boolean; resolve: (f: string) => void }[] = [];
  ws.on('message', (d: Buffer) => {
    const f = d.toString();
    frames.push(f);
    for (const w of [...waiters])
      if (w.pred(f)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(f);
      }
  });
  ws.on('error', () => {
    // 'close' follows
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('close', () => reject(new Error('closed before opening')));
  });
  opened.catch(() => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
  );
  return {
    ws,
    frames,
    opened,
    closed,
    frame: (pred, timeoutMs = 2000) => {
      const seen = frames.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const w = { pred, resolve: (f: string) => resolve(f) };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          resolve(undefined);
        }, timeoutMs);
      });
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves with `p`'s value, or `'timeout'` after `ms`. */
export function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([p, sleep(ms).then(() => 'timeout' as const)]);
}

export function steps(server: RealServer, ev: string): TraceEvent[] {
  return server.trace.events().filter((e) => e.ev === ev);
}
