/**
 * Bug: the polling loop runs every interval from the moment a conversation opens, whether
 * or not the socket is healthy, and a socket that opens never stops it. Where it comes
 * from: the optimization document's "Problem Statement — Original Behavior" ("Both
 * mechanisms were running simultaneously, even when WebSocket was connected and healthy").
 * Made by overriding two hooks of the one decision "polling depends on socket health":
 * `open()` also starts the loop, and `endFallback()` leaves it running.
 * Must be caught by CHAT-4 (no poll while the first socket is healthy).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class PollsWhileHealthyMachine extends ChatMachine {
  protected override open(conversation: string): void {
    super.open(conversation);
    this.startPolling();
  }

  protected override endFallback(): void {
    // polling is not tied to the socket: it runs on
  }
}

/** `zoo:chat/polls-while-healthy`. */
export const pollsWhileHealthy: ClientVariant = {
  description: 'polls every interval whether or not the socket is healthy (the documents\u2019 original behaviour)',
  violates: ['CHAT-4'],
  create: (env) => createChatClient(env, { Machine: PollsWhileHealthyMachine }),
};
