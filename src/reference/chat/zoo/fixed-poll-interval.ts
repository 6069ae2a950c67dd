/**
 * Bug: the fallback polls every 3 s whatever the user does — no adaptive intervals. Where
 * it comes from: the fallback document's "3. Polling Fallback" (`pollingInterval = 3.0`)
 * taken as is; the adaptive 2/5/10 s schedule is only among its "Future Enhancements" (1.
 * Adaptive Polling), so a client built from the main text never adapts. Made by
 * overriding one decision: `interval()` is always the base interval. Must be caught by
 * CHAT-13 (a SHOULD: reported non-strict, not a failure).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';
import { chatTiming } from '../wire.js';

class FixedPollIntervalMachine extends ChatMachine {
  protected override interval(): number {
    return chatTiming.basePollInterval;
  }
}

/** `zoo:chat/fixed-poll-interval`. */
export const fixedPollInterval: ClientVariant = {
  description: 'polls every 3 s whatever the user does (adaptive polling left out, a "future enhancement" of the source)',
  violates: ['CHAT-13'],
  create: (env) => createChatClient(env, { Machine: FixedPollIntervalMachine }),
};
