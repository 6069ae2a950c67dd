/**
 * zoo:meal-log/stops-polling-on-connect — polling stops the moment the socket opens, and
 * nothing is fetched to catch up, so a completion the server could not deliver (sent into a
 * socket that died, or before the socket was registered) is never seen.
 *
 * Where it comes from: the source's Solution 2 and 5 code ("WebSocket connected, stopping
 * polling fallback" right after `connect(...)` returns, before any server message) and its
 * Root Cause: the backend had not registered the socket yet, so the completion was skipped.
 * The socket replaces polling once open rather than once verified, polling stops at the
 * open, and the reference's catch-up load at verification is missing — one decision, "an
 * open socket is as good as polling", in the three places the reference makes it.
 *
 * Caught by MEAL-4 (every submitted meal is shown with its final status within B).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

class StopsPollingOnConnect extends MealLogMachine {
  protected override socketReplacesPolling(): boolean {
    return this.socket?.state === 'open';
  }

  protected override onOpen(id: number): void {
    super.onOpen(id);
    if (this.socket?.id === id && this.polling) {
      this.log('WebSocket connected, stopping polling');
      this.stopPolling();
    }
  }

  protected override catchUp(): void {
    // The bug: what the socket missed is never fetched.
  }
}

/** The variant, as registered in variants.ts. */
export const stopsPollingOnConnect: ClientVariant = {
  description:
    'stops polling the moment the socket opens and fetches nothing to catch up, so a completion the server could not deliver is never seen',
  violates: ['MEAL-4'],
  create: (env) => createMealLogClient(env, { Machine: StopsPollingOnConnect }),
};
