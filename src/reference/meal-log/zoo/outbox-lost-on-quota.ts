/**
 * zoo:meal-log/outbox-lost-on-quota — when the storage refuses to save the outbox (quota
 * exceeded), the app treats the meal as not saved: it drops the meal just submitted from
 * the outbox and shows it `failed`, so it is never uploaded (or, if its upload was already
 * on its way, the user is told it failed although the backend processes it).
 *
 * Where it comes from: the source's SaveMealLogUseCase saves the meal locally before the
 * OutboxProcessor uploads it ("Successfully saved meal log with local ID"); a save that
 * throws aborts the use case. Browsers' `localStorage.setItem` throws `QuotaExceededError`
 * when the origin's quota is used up — and Safari's private mode did for every write —
 * a failure storage wrappers and offline queues commonly surface as "could not save".
 * A patched `onPersistFailed`.
 *
 * Caught by MEAL-4 (every submitted meal is shown with the server's final status; one that
 * never reached the server fails too).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

class OutboxLostOnQuota extends MealLogMachine {
  protected override onPersistFailed(): void {
    const dropped = this.outbox.pop();
    if (!dropped) return;
    this.log('Could not save the meal', { localId: dropped.localId });
    const shown = this.meals.get(dropped.localId);
    if (shown) shown.status = 'failed';
  }
}

/** The variant, as registered in variants.ts. */
export const outboxLostOnQuota: ClientVariant = {
  description: 'a meal the storage could not save (quota exceeded) is dropped from the outbox and shown failed',
  violates: ['MEAL-4'],
  create: (env) => createMealLogClient(env, { Machine: OutboxLostOnQuota }),
};
