/**
 * zoo:meal-log/batches-pushed-updates — a pushed completion reaches the view only at the
 * next 3-second UI refresh tick.
 *
 * Where it comes from: the document's `handleMealLogCompleted` refreshes the view at once
 * ("UI updates immediately", "WebSocket Update <1s"). This client coalesces pushed updates
 * and applies them on a 3 s timer, to batch list animations — a patched copy of the
 * reference's `onNotification`. Nothing is lost, so the meal is final well within B: only
 * the promptness is broken.
 *
 * Caught by MEAL-16 (a pushed completion is shown within 1 s).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';
import type { MealLog } from '../wire.js';

const batchEvery = 3000;

class BatchesPushedUpdates extends MealLogMachine {
  private batch: MealLog[] = [];

  protected override onNotification(mealLog: MealLog): void {
    if (this.batch.length === 0) this.cmd({ type: 'set-timer', key: 'push-batch', ms: batchEvery });
    this.batch.push(mealLog);
  }

  protected override onTimer(key: string): void {
    if (key !== 'push-batch') return super.onTimer(key);
    const due = this.batch;
    this.batch = [];
    this.apply(due);
  }
}

/** The variant, as registered in variants.ts. */
export const batchesPushedUpdates: ClientVariant = {
  description: 'applies pushed completions only on a 3 s UI refresh tick (batched for animations), not at once',
  violates: ['MEAL-16'],
  create: (env) => createMealLogClient(env, { Machine: BatchesPushedUpdates }),
};
