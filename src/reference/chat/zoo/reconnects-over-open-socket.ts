/**
 * Bug: the online / foreground handler opens a new socket without looking whether one is
 * already open, and forgets the old one without closing it — two sockets stay open for the
 * conversation. Where it comes from: the fallback document's Test Case 5 ("No duplicate
 * connections") and Known Limitations 4, and the well-known pattern of a
 * `visibilitychange`/`online` listener that calls `connect()` unconditionally (a
 * reconnecting client whose `reconnect()` does not close the socket it replaces). Made by
 * overriding one decision: `revive()` connects anew even while a socket is open.
 * Must be caught by CHAT-1 (at most one socket per open conversation); CHAT-4 forbids it too
 * (a poll beside a healthy socket), but the shrunk counterexample shows CHAT-1 first.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class ReconnectsOverOpenSocketMachine extends ChatMachine {
  protected override revive(): void {
    // The open socket is replaced, never closed: it lingers beside the new one.
    if (this.snapshot().connection === 'open') this.connect();
    else super.revive();
  }
}

/** `zoo:chat/reconnects-over-open-socket`. */
export const reconnectsOverOpenSocket: ClientVariant = {
  description: 'coming online or to the foreground opens a second socket beside the open one, never closing the old',
  violates: ['CHAT-1'],
  create: (env) => createChatClient(env, { Machine: ReconnectsOverOpenSocketMachine }),
};
