/**
 * Bug: switching (or closing) a conversation does no cleanup: the old socket and polling
 * loop keep running, and what they bring lands in the shared message list. Where it comes
 * from: the fallback document's "On Conversation Close" steps (disconnectWebSocket,
 * stopPolling) skipped — the classic subscription effect without a cleanup function, whose
 * handlers still append to the list after the user moved on. Made by overriding the
 * cleanup decision and the two places that would discard the leftovers: `leave()` does
 * nothing, `staleSocketOpened()` keeps the socket, `strayMessages()` shows them.
 * Must be caught by CHAT-11 (nothing of a conversation left behind).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';
import type { ChatMessage } from '../wire.js';

class LeaksOldConversationMachine extends ChatMachine {
  protected override leave(): void {
    // no cleanup: socket, poller, timers and messages of the old conversation stay
  }

  protected override staleSocketOpened(): void {
    // nobody closes the old conversation's socket
  }

  protected override strayMessages(messages: ChatMessage[]): void {
    this.merge(messages, true);
  }
}

/** `zoo:chat/leaks-old-conversation`. */
export const leaksOldConversation: ClientVariant = {
  description: 'switching conversations leaves the old socket and poller running',
  violates: ['CHAT-11'],
  create: (env) => createChatClient(env, { Machine: LeaksOldConversationMachine }),
};
