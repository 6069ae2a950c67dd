import type { Task } from '../scheduler.js';
import { roundTime } from '../trace.js';
import type { WsConnection } from '../transport/ws-connection.js';
import type { FaultTargets } from './engine.js';
import type { ConnectionRule } from './live-rules.js';
import type { IdleTimeoutFault } from './plan.js';

/**
 * `idle-timeout`: an intermediary (AWS ALB's 60 s idle timeout, nginx `proxy_read_timeout`,
 * a NAT mapping) forgets a socket no frame crossed for `idle` ms. It tells the client (a
 * RST: `error`, then `close` 1006) and not the server, whose end is left half-open until
 * its own heartbeat or close timeout notices. The idle clock starts at the later of the
 * entry's start and the last frame (or the 101) that arrived at either end.
 */
export function idleTimeoutRule(e: IdleTimeoutFault, entry: number, t: FaultTargets, open: WsConnection[]): ConnectionRule {
  const { scheduler } = t;
  const since = scheduler.now;
  const timers = new Map<WsConnection, Task>();
  // Rounded as the scheduler rounds task times: compared unrounded, a due time a hair past
  // the rounded clock would re-arm at the same instant forever.
  const due = (conn: WsConnection): number => roundTime(Math.max(since, conn.lastFrameAt) + e.idle);
  // One timer per connection, moved forward lazily when it fires: frames cost nothing.
  const arm = (conn: WsConnection): void => {
    timers.set(
      conn,
      scheduler.scheduleAt(due(conn), 'sim', 'sim', `fault#${entry}`, () => check(conn)),
    );
  };
  const check = (conn: WsConnection): void => {
    timers.delete(conn);
    if (conn.clientDone) return;
    if (due(conn) > scheduler.now) return arm(conn);
    conn.forgotten(`idle-timeout (fault entry ${entry}): no frame for ${e.idle} ms`);
  };
  for (const conn of open) arm(conn);
  return {
    entry,
    node: e.node,
    path: e.path,
    opened: arm,
    stop: () => {
      for (const task of timers.values()) scheduler.cancel(task);
      timers.clear();
    },
  };
}
