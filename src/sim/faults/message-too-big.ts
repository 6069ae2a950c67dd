import type { WsConnection } from '../transport/ws-connection.js';
import type { FaultTargets } from './engine.js';
import type { ConnectionRule } from './live-rules.js';
import type { MessageTooBigFault } from './plan.js';

/** The close code and reason for a refused frame (RFC 6455 §7.4.1; the IANA registry's name). */
export const tooBig = { code: 1009, reason: 'Message Too Big' } as const;

/**
 * `message-too-big`: the side receiving a frame above `limit` bytes refuses it (it is never
 * delivered to the application) and starts the closing handshake with 1009 — as `ws` does
 * past `maxPayload`, socket.io past `maxHttpBufferSize`, iOS's URLSessionWebSocketTask past
 * `maximumMessageSize`. The sender sees a clean close 1009; the refusing side's application
 * sees close 1009 once the echo arrives (a client also gets an `error` first).
 */
export function messageTooBigRule(e: MessageTooBigFault, entry: number, t: FaultTargets): ConnectionRule {
  const direction = e.direction ?? 'both';
  return {
    entry,
    node: e.node,
    path: e.path,
    refuses(conn: WsConnection, dir, bytes, n) {
      if (bytes <= e.limit || (direction !== 'both' && direction !== dir)) return false;
      t.trace.record(t.scheduler.now, 'net.drop', {
        dir,
        envelope: 'ws.frame',
        id: conn.id,
        n,
        reason: `message-too-big (fault entry ${entry}): ${bytes} bytes > limit ${e.limit}`,
      });
      const close = { ...tooBig, entry, bytes };
      if (dir === 'to-server') conn.server?.faultClose(close);
      else conn.client?.faultClose(close);
      return true;
    },
  };
}
