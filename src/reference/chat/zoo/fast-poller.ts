/**
 * Bug: the fallback polls every 500 ms. Where it comes from: the fallback document's
 * "Configuration" section invites tuning `pollingInterval` ("Shorter = faster response");
 * a developer chasing snappier fallback answers sets 0.5 s, six times the documented rate,
 * and every message still arrives — only the backend's load shows it. Made by overriding
 * one decision: `interval()` returns 500 ms. Must be caught by CHAT-17 (polling is never
 * faster than the 3 s interval).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class FastPollerMachine extends ChatMachine {
  protected override interval(): number {
    return 500;
  }
}

/** `zoo:chat/fast-poller`. */
export const fastPoller: ClientVariant = {
  description: 'polls every 500 ms while the socket is down (the interval "tuned" for snappier answers)',
  violates: ['CHAT-17'],
  create: (env) => createChatClient(env, { Machine: FastPollerMachine }),
};
