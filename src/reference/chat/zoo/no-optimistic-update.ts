/**
 * Bug: a sent message appears only once the server has acknowledged it — no optimistic
 * update; offline or on a slow network the user's own message is missing from the list
 * (and they send it again). Where it comes from: clients that render the list from the
 * server's answers only, skipping the fallback document's step 1 ("User message saved
 * locally (optimistic update)"). Made by wrapping one decision: `snapshot()` leaves out the
 * entries the server has not acknowledged. Must be caught by CHAT-19 (shown at once).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';
import type { ChatSnapshot } from '../snapshot.js';

class AckedOnlyMachine extends ChatMachine {
  override snapshot(): ChatSnapshot {
    const s = super.snapshot();
    return { ...s, messages: s.messages.filter((m) => m.pending !== true) };
  }
}

/** `zoo:chat/no-optimistic-update`. */
export const noOptimisticUpdate: ClientVariant = {
  description: 'shows a sent message only once the server acknowledged it (no optimistic update)',
  violates: ['CHAT-19'],
  create: (env) => createChatClient(env, { Machine: AckedOnlyMachine }),
};
