import { tooBig } from '../sim/faults/message-too-big.js';
import type { FaultEntry } from '../sim/faults/plan.js';
import { slowConsumerClose } from '../sim/faults/slow-consumer.js';
import { pathMatches } from '../sim/network.js';
import type { Trace } from '../sim/trace.js';
import { hostTimers, type WallClock } from './clock.js';
import type { RealServerHost } from './host.js';
import type { RealConnectionRule } from './live-rules.js';
import type { RealNetwork } from './network.js';
import type { RealWsConnection } from './ws-connection.js';

/** What the real-world kinds act on. */
export interface RealWorldTargets {
  clock: WallClock;
  trace: Trace;
  net: RealNetwork;
  host: RealServerHost;
}

/**
 * Starts an entry of the real-world kinds (idle-timeout, server-close, flapping,
 * request-reset, bad-body, retry-after, message-too-big with `direction: to-server`,
 * slow-consumer) over real sockets and returns what ends it; `undefined` for every other
 * kind. Each means what the kernel's does (docs/fault-plan.md): the layer is the
 * intermediary, the edge and the server's socket library.
 */
export function startRealWorldFaultReal(e: FaultEntry, entry: number, t: RealWorldTargets): (() => void) | undefined {
  const live = t.net.live;
  const { node, path } = e as { node?: string; path?: string };
  const matching = (c: RealWsConnection): boolean =>
    (node === undefined || c.node === node) && (path === undefined || pathMatches(path, c.path));
  const clientOpen = (): RealWsConnection[] => [...t.host.conns].filter((c) => c.opened && !c.clientDone && matching(c));
  const serverOpen = (): RealWsConnection[] => [...t.host.conns].filter((c) => c.server !== undefined && !c.serverDone && matching(c));
  switch (e.kind) {
    case 'idle-timeout':
      return live.addConnection(idleTimeout(e.idle, e.node, e.path, entry, t, clientOpen()));
    case 'flapping':
      return live.addConnection(flapping(e.after, e.node, e.path, entry));
    case 'message-too-big':
      return live.addConnection({
        entry,
        node: e.node,
        path: e.path,
        refuses(conn, bytes, n) {
          if (bytes <= e.limit) return false;
          t.trace.record(t.clock.now(), 'net.drop', {
            dir: 'to-server',
            envelope: 'ws.frame',
            id: conn.id,
            n,
            reason: `message-too-big (fault entry ${entry}): ${bytes} bytes > limit ${e.limit}`,
          });
          conn.server?.faultClose({ ...tooBig, entry, bytes });
          return true;
        },
      });
    case 'slow-consumer': {
      const check = (conn: RealWsConnection): void => {
        const backlog = conn.unreadToClient;
        if (backlog <= e.backlog || conn.serverDone) return;
        conn.server?.faultClose({ ...slowConsumerClose, entry, backlog });
      };
      for (const c of serverOpen()) check(c);
      return live.addConnection({ entry, node: e.node, path: e.path, sent: check });
    }
    case 'server-close':
      for (const c of serverOpen()) c.server?.faultClose({ code: e.code, reason: e.reason ?? '', entry });
      return () => {};
    case 'request-reset':
      return live.addHttp({ entry, node: e.node, path: e.path, method: e.method, remaining: e.count, action: { kind: 'reset' } });
    case 'bad-body':
      return live.addHttp({
        entry,
        node: e.node,
        path: e.path,
        method: e.method,
        remaining: e.count,
        action: { kind: e.body === 'html' ? 'html' : 'truncated' },
      });
    case 'retry-after':
      return live.addHttp({
        entry,
        node: e.node,
        path: e.path,
        method: e.method,
        remaining: e.count,
        action: { kind: 'retry-after', status: e.status, seconds: e.seconds },
      });
    default:
      return undefined;
  }
}

/**
 * `idle-timeout`: the intermediary forgets a socket no frame crossed for `idle` ms, counted
 * from the later of the entry's start and the last frame (or the 101) that arrived at
 * either end. The client's TCP connection is destroyed (no close frame: 1006); the server
 * is told nothing and keeps a half-open end.
 */
function idleTimeout(
  idle: number,
  node: string | undefined,
  path: string | undefined,
  entry: number,
  t: RealWorldTargets,
  open: RealWsConnection[],
): RealConnectionRule {
  const since = t.clock.now();
  const timers = new Map<RealWsConnection, ReturnType<typeof setTimeout>>();
  const due = (conn: RealWsConnection): number => Math.max(since, conn.lastFrameAt) + idle;
  // One timer per connection, moved forward lazily when it fires: frames cost nothing.
  const arm = (conn: RealWsConnection): void => {
    hostTimers.clearTimeout(timers.get(conn));
    timers.set(
      conn,
      hostTimers.setTimeout(() => check(conn), due(conn) - t.clock.now()),
    );
  };
  const check = (conn: RealWsConnection): void => {
    timers.delete(conn);
    if (conn.clientDone) return;
    // Timers have millisecond resolution: a frame due within the next millisecond counts as due.
    if (due(conn) > t.clock.now() + 1) return arm(conn);
    conn.forgotten(`idle-timeout (fault entry ${entry}): no frame for ${idle} ms`);
  };
  for (const conn of open) arm(conn);
  return {
    entry,
    node,
    path,
    opened: arm,
    stop: () => {
      for (const h of timers.values()) hostTimers.clearTimeout(h);
      timers.clear();
    },
  };
}

/** `flapping`: every socket that opens during the window is reset `after` ms after its 101. */
function flapping(after: number, node: string | undefined, path: string | undefined, entry: number): RealConnectionRule {
  const pending = new Set<ReturnType<typeof setTimeout>>();
  return {
    entry,
    node,
    path,
    opened(conn) {
      const h = hostTimers.setTimeout(() => {
        pending.delete(h);
        if (conn.clientDone && conn.serverDone) return;
        conn.reset(`flapping (fault entry ${entry}): dropped ${after} ms after opening`);
      }, after);
      pending.add(h);
    },
    stop() {
      for (const h of pending) hostTimers.clearTimeout(h);
      pending.clear();
    },
  };
}
