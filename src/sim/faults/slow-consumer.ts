import type { WsConnection } from '../transport/ws-connection.js';
import type { FaultTargets } from './engine.js';
import type { ConnectionRule } from './live-rules.js';
import type { SlowConsumerFault } from './plan.js';

/**
 * The close a server sends a slow consumer: 1013 "Try Again Later" (RFC 6455 §7.4.2, the
 * IANA registry: "a temporary condition"), not 1008 "Policy Violation": the client did
 * nothing forbidden — its network or its suspended app could not keep up — and clients
 * commonly treat 1008 as final and stop reconnecting. Servers that bound the backlog do
 * the same kind of thing: uWebSockets' `maxBackpressure` with `closeOnBackpressureLimit`,
 * Centrifugo's slow-client disconnect, apps that check `ws`'s `bufferedAmount`.
 */
export const slowConsumerClose = { code: 1013, reason: 'Try Again Later' } as const;

/**
 * `slow-consumer`: the server closes (1013) a connection once the bytes of its frames sent
 * and not yet delivered to the client exceed `backlog`. Checked when the server sends and
 * when the entry starts. The close frame queues behind the unread frames (TCP order), so
 * the client reads them first; a server whose close times out ends with 1006.
 */
export function slowConsumerRule(e: SlowConsumerFault, entry: number, t: FaultTargets, open: WsConnection[]): ConnectionRule {
  const check = (conn: WsConnection): void => {
    if (conn.unreadToClient <= e.backlog || conn.serverDone) return;
    conn.server?.faultClose({ ...slowConsumerClose, entry, backlog: conn.unreadToClient });
  };
  for (const conn of open) check(conn);
  return { entry, node: e.node, path: e.path, sent: check };
}
