/**
 * zoo:meal-log/never-reconnects-after-offline — after an offline period the client
 * resumes polling and its outbox but never reconnects its WebSocket.
 *
 * Where it comes from: the document's edge case "Network switches (WiFi → Cellular)".
 * The reconnect backoff (Solution 5) is not armed while the device is offline, and the
 * reachability handler that should reconnect when the network returns only resumes the
 * polling loop and the outbox — a patched copy of the reference's `onOnline`, without the
 * connect. The socket comes back only if the user happens to open NutritionView or submit.
 *
 * Caught by MEAL-14 (reconnect when the device comes back online).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

class NeverReconnectsAfterOffline extends MealLogMachine {
  protected override onOnline(): void {
    this.online = true;
    // The bug: the reference connects here when it has no socket.
    if (this.polling && this.polling.inFlight === undefined) {
      this.cmd({ type: 'cancel-timer', key: 'poll' });
      this.poll();
    }
    if (this.loadOwed && !this.polling && !this.loadInFlight()) this.load(this.loadOwed);
    this.flushOutbox();
  }
}

/** The variant, as registered in variants.ts. */
export const neverReconnectsAfterOffline: ClientVariant = {
  description: 'when the device comes back online it resumes polling and the outbox but never reconnects its WebSocket',
  violates: ['MEAL-14'],
  create: (env) => createMealLogClient(env, { Machine: NeverReconnectsAfterOffline }),
};
