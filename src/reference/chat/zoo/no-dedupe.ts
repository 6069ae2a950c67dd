/**
 * Bug: polled and pushed messages are appended without checking their ids, and a sent
 * message's optimistic copy stays beside the server's copy. Where it comes from: the
 * fallback document's "4. Message Deduplication" left out (`messages.append(contentsOf:)`
 * without the `!messages.contains(where:)` filter) — invisible while only one transport
 * runs, duplicates as soon as socket and poll overlap. Made by overriding one decision:
 * `duplicate()` never finds one. Must be caught by CHAT-2 (each message shown once).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class NoDedupeMachine extends ChatMachine {
  protected override duplicate(): boolean {
    return false;
  }
}

/** `zoo:chat/no-dedupe`. */
export const noDedupe: ClientVariant = {
  description: 'appends polled and pushed messages without checking ids',
  violates: ['CHAT-2'],
  create: (env) => createChatClient(env, { Machine: NoDedupeMachine }),
};
