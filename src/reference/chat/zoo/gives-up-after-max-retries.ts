/**
 * Bug: once its reconnect attempts are spent — five failures, or an attempt that fell while
 * the device was offline — the client never tries the WebSocket again, not even when the
 * device comes back online or the app returns to the foreground; it polls for as long as
 * the conversation stays open. Where it comes from: reconnecting-websocket 4.4.0 with
 * `maxRetries`, which has no `online`/`visibilitychange` handler and stops for good after
 * its last retry. Made by overriding one decision: `revive()` does nothing.
 * Must be caught by CHAT-16 (tries the WebSocket again after coming back).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class GivesUpMachine extends ChatMachine {
  protected override revive(): void {
    // no online/foreground handling: the spent retries are never re-armed
  }
}

/** `zoo:chat/gives-up-after-max-retries`. */
export const givesUpAfterMaxRetries: ClientVariant = {
  description:
    'like reconnecting-websocket 4.4.0 with maxRetries: once its retries are spent it never tries the socket again, even back online',
  violates: ['CHAT-16'],
  create: (env) => createChatClient(env, { Machine: GivesUpMachine }),
};
