/**
 * Bug: the client reconnects one second after every failure, forever — no exponential
 * backoff and no attempt limit, so a backend that is down gets a connection storm. Where
 * it comes from: the fallback document's "Retry Strategy" (2, 4, 8, 16, 32 s, five
 * attempts) replaced by a fixed retry delay, as in many hand-rolled `onclose = () =>
 * setTimeout(connect, 1000)` clients. Made by overriding one decision: `reconnectDelay()`
 * is always 1 s. Must be caught by CHAT-8 (backoff 2–32 s, stop after 5).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class NoBackoffMachine extends ChatMachine {
  protected override reconnectDelay(): number {
    return 1000;
  }
}

/** `zoo:chat/no-backoff`. */
export const noBackoff: ClientVariant = {
  description: 'reconnects one second after every failure, forever',
  violates: ['CHAT-8'],
  create: (env) => createChatClient(env, { Machine: NoBackoffMachine }),
};
