/**
 * zoo:meal-log/polls-at-fixed-interval — the adaptive interval is computed but the loop
 * sleeps the constant `pollingInterval`: polling stays at 5 s however long nothing changes.
 *
 * Where it comes from: the document's Future Improvement 2 (Adaptive Polling Interval)
 * half-done — `currentInterval` grows ×1.5 after unchanged polls, but the loop still reads
 * Solution 4's `pollingInterval = 5.0`. The reference's `pollDelay` decision answers the
 * constant.
 *
 * Caught by MEAL-8 (SHOULD: polling adapts, ×1.5 after 3 or 4 unchanged polls).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

class PollsAtFixedInterval extends MealLogMachine {
  protected override pollDelay(): number {
    return this.config.pollInterval;
  }
}

/** The variant, as registered in variants.ts. */
export const pollsAtFixedInterval: ClientVariant = {
  description: 'computes the adaptive polling interval but sleeps the constant 5 s: polling never slows down',
  violates: ['MEAL-8'],
  create: (env) => createMealLogClient(env, { Machine: PollsAtFixedInterval }),
};
