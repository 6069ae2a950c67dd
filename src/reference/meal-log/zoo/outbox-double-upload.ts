/**
 * zoo:meal-log/outbox-double-upload — each upload attempt mints a fresh local id, so a
 * retried upload whose answer was lost creates the meal twice.
 *
 * Where it comes from: the source's Evidence from Logs, where SaveMealLogUseCase assigns
 * the local ID and the OutboxProcessor gets the backend ID — the local id is the backend's
 * only way to recognise a retry. Here the outbox treats a failed attempt as a new meal and
 * re-keys it before retrying (the familiar mistake of an idempotency key made per request
 * rather than per operation): a patched `retryUpload`.
 *
 * Caught by MEAL-7 (each submitted meal is created on the server exactly once).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

class OutboxDoubleUpload extends MealLogMachine {
  protected override retryUpload(localId: string): void {
    const entry = this.outbox.find((e) => e.localId === localId);
    if (entry) {
      const fresh = this.nextLocalId();
      entry.localId = fresh;
      const shown = this.meals.get(localId);
      this.meals.delete(localId);
      if (shown) this.meals.set(fresh, { ...shown, localId: fresh });
      this.persist();
    }
    super.retryUpload(localId);
  }
}

/** The variant, as registered in variants.ts. */
export const outboxDoubleUpload: ClientVariant = {
  description: 'each upload attempt mints a fresh local id, so a retried upload whose answer was lost creates the meal twice',
  violates: ['MEAL-7'],
  create: (env) => createMealLogClient(env, { Machine: OutboxDoubleUpload }),
};
