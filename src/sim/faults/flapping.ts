import type { Task } from '../scheduler.js';
import type { WsConnection } from '../transport/ws-connection.js';
import type { FaultTargets } from './engine.js';
import type { ConnectionRule } from './live-rules.js';
import type { FlappingFault } from './plan.js';

/**
 * `flapping`: upgrades succeed, and every socket that opens during the window is dropped
 * (both ends 1006, as a `ws-reset`) `after` ms after the client's `open` — a crash-looping
 * backend behind a load balancer that still accepts, or a proxy that kills fresh sockets.
 * It defeats a client that resets its backoff on `open`. Drops still pending when the
 * window ends (or a heal) are cancelled.
 */
export function flappingRule(e: FlappingFault, entry: number, t: FaultTargets): ConnectionRule {
  const { scheduler } = t;
  const pending = new Set<Task>();
  return {
    entry,
    node: e.node,
    path: e.path,
    opened(conn: WsConnection) {
      const task = scheduler.schedule(e.after, 'sim', 'sim', `fault#${entry}`, () => {
        pending.delete(task);
        if (conn.clientDone && conn.serverDone) return;
        conn.reset(`flapping (fault entry ${entry}): dropped ${e.after} ms after opening`);
      });
      pending.add(task);
    },
    stop() {
      for (const task of pending) scheduler.cancel(task);
      pending.clear();
    },
  };
}
