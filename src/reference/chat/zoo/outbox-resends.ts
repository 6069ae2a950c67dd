/**
 * Bug: a send that failed is retried under a fresh clientMessageId, so when the first POST
 * was in fact stored (the answer got lost) the server stores the message twice. Where it
 * comes from: the fallback document's "Future Enhancements — 5. Message Queue" and
 * "Test Case 4: Offline → Online Transition" implemented by building a new request per
 * attempt (id generated inside `send`) instead of keeping the queued entry's id. Made by
 * overriding one decision: `scheduleSendRetry()` renames the entry before retrying.
 * Must be caught by CHAT-12 (stored exactly once).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class OutboxResendsMachine extends ChatMachine {
  protected override scheduleSendRetry(cmid: string): void {
    const entry = this.outbox.find((e) => e.clientMessageId === cmid);
    if (entry) entry.clientMessageId = this.nextCmid();
    this.persist();
    super.scheduleSendRetry(cmid);
  }
}

/** `zoo:chat/outbox-resends`. */
export const outboxResends: ClientVariant = {
  description: 'retries a failed send with a new clientMessageId',
  violates: ['CHAT-12'],
  create: (env) => createChatClient(env, { Machine: OutboxResendsMachine }),
};
