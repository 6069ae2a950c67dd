/**
 * Bug: the client never pings, so a half-open socket (the network dropped without a close)
 * looks healthy forever and neither the socket nor polling delivers anything. Where it
 * comes from: the fallback document's "WebSocket Runtime Errors" lists "Ping/pong timeout",
 * which a client relying on the browser's `close` event alone never detects. Made by
 * overriding one decision: `startHeartbeat()` does nothing. Must be caught by CHAT-9 (a
 * half-open socket is abandoned).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class NoHeartbeatMachine extends ChatMachine {
  protected override startHeartbeat(): void {
    // no ping timer: silence goes unnoticed
  }
}

/** `zoo:chat/no-heartbeat`. */
export const noHeartbeat: ClientVariant = {
  description: 'never pings, so a half-open socket looks healthy forever',
  violates: ['CHAT-9'],
  create: (env) => createChatClient(env, { Machine: NoHeartbeatMachine }),
};
