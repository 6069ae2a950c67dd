/**
 * Bug: a 429 or 503 with `Retry-After` is treated like any failed poll: the next poll comes
 * at the normal interval. Where it comes from: the fetch wrappers of most chat clients read
 * only `response.ok` (axios-retry honoured `Retry-After` only from 3.5, softonic/axios-retry#199;
 * the chat source's polling loop logs every error the same way, "Error is logged but
 * doesn't stop polling"). Made by overriding one decision: `respectRetryAfter()` ignores it.
 * Must be caught by CHAT-20 (SHOULD: reported non-strict).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class IgnoresRetryAfterMachine extends ChatMachine {
  protected override respectRetryAfter(): void {
    // every failure looks the same
  }
}

/** `zoo:chat/ignores-retry-after`. */
export const ignoresRetryAfter: ClientVariant = {
  description: 'ignores Retry-After on a 429/503 and polls at its normal rate',
  violates: ['CHAT-20'],
  create: (env) => createChatClient(env, { Machine: IgnoresRetryAfterMachine }),
};
