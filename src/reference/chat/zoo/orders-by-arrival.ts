/**
 * Bug: messages are shown in the order they arrived, not sorted by timestamp, so a poll
 * answer that lands after a pushed message (or a late send acknowledgement) puts older
 * messages below newer ones. Where it comes from: the fallback document's "4. Message
 * Deduplication" without its `messages.sort { $0.timestamp < $1.timestamp }`. Made by
 * overriding one decision: `order()` leaves the list as it is. Must be caught by CHAT-3
 * (shown in the server's timestamp order).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class OrdersByArrivalMachine extends ChatMachine {
  protected override order(): void {
    // arrival order is kept
  }
}

/** `zoo:chat/orders-by-arrival`. */
export const ordersByArrival: ClientVariant = {
  description: 'shows messages in arrival order instead of by timestamp',
  violates: ['CHAT-3'],
  create: (env) => createChatClient(env, { Machine: OrdersByArrivalMachine }),
};
