/**
 * zoo:meal-log/connects-after-submit — the socket is opened only when NutritionView
 * appears, after the meal was uploaded, and an upload never waits for a connection.
 *
 * Where it comes from: the source's Root Cause timeline ("WebSocket connects AFTER meal
 * submission completes": submit at T+0 s, NutritionViewModel connects at T+0.3 s), before
 * its fix and without Future Improvement 4 (Pre-Connection Check). The reference's
 * `connectAhead` (at launch and at each submission) does nothing here, and so does its
 * pre-connection wait: both are the one missing fix, "connect before you need it".
 *
 * Caught by MEAL-12 (after launch, the client starts connecting before or as it uploads).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

class ConnectsAfterSubmit extends MealLogMachine {
  protected override connectAhead(): void {
    // The bug: only opening NutritionView connects.
  }

  protected override waitsForConnection(): boolean {
    return false;
  }
}

/** The variant, as registered in variants.ts. */
export const connectsAfterSubmit: ClientVariant = {
  description:
    'the document\u2019s timeline: the socket is opened only when NutritionView appears, after the meal was uploaded, with no pre-connection check',
  violates: ['MEAL-12'],
  create: (env) => createMealLogClient(env, { Machine: ConnectsAfterSubmit }),
};
