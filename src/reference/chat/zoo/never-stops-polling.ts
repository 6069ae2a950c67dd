/**
 * Bug: once the fallback started, polling goes on after the socket recovers, until the
 * conversation is left. Where it comes from: the optimization document's "Scenario 3:
 * WebSocket Recovers" ("Stop polling immediately") skipped — a polling task whose loop
 * never re-checks `isWebSocketHealthy`. Made by overriding one decision: `endFallback()`
 * does nothing. Must be caught by CHAT-7 (no poll while a recovered socket is healthy).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { ChatMachine } from '../client-machine.js';
import { createChatClient } from '../client.js';

class NeverStopsPollingMachine extends ChatMachine {
  protected override endFallback(): void {
    // the recovered socket is not noticed by the polling loop
  }
}

/** `zoo:chat/never-stops-polling`. */
export const neverStopsPolling: ClientVariant = {
  description: 'keeps polling after the socket recovers',
  violates: ['CHAT-7'],
  create: (env) => createChatClient(env, { Machine: NeverStopsPollingMachine }),
};
