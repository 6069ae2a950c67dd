/**
 * Bug: the client never opens a WebSocket; it polls (on the reference's adaptive schedule)
 * from the moment a conversation opens. Where it comes from: the fallback document's
 * "Before" state (messages over REST only) and every client built REST-first, "WebSocket
 * later" — polling alone delivers every message eventually, so delivery checks pass it.
 * Made by overriding one decision: `connect()` starts the polling loop instead of a socket.
 * Must be caught by CHAT-15 (the client uses the WebSocket).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class PollingOnlyMachine extends ChatMachine {
  protected override connect(): void {
    this.startPolling();
  }
}

/** `zoo:chat/polling-only`. */
export const pollingOnly: ClientVariant = {
  description: 'never opens a WebSocket: polls from the moment a conversation opens',
  violates: ['CHAT-15'],
  create: (env) => createChatClient(env, { Machine: PollingOnlyMachine }),
};
