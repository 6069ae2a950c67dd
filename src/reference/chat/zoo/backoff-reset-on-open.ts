/**
 * Bug: the reconnect count resets the moment a socket opens, so a backend that accepts the
 * upgrade and drops the socket at once (a crash-looping service behind a load balancer)
 * is retried every 2 s forever. Where it comes from: socket.io-client resets its backoff on
 * `open` (socketio/socket.io-client#1196, "reconnection backoff is reset on successful
 * connect"), and reconnecting-websocket with `minUptime: 0` does the same — its `minUptime`
 * exists for this case. Made by overriding one decision: `stabilize()` resets at once.
 * Must be caught by CHAT-8 (the count resets only at a stable socket).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class BackoffResetOnOpenMachine extends ChatMachine {
  protected override stabilize(): void {
    this.resetAttempts();
  }
}

/** `zoo:chat/backoff-reset-on-open`. */
export const backoffResetOnOpen: ClientVariant = {
  description: 'resets the reconnect backoff on every open, so a flapping backend is retried every 2 s',
  violates: ['CHAT-8'],
  create: (env) => createChatClient(env, { Machine: BackoffResetOnOpenMachine }),
};
