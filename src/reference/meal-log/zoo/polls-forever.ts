/**
 * zoo:meal-log/polls-forever — the polling loop never checks whether a meal is still
 * processing: it polls whenever the socket is not verified.
 *
 * Where it comes from: the source's Solution 4 polling loop without its second check
 * ("Stop if no meals are processing" / `hasProcessingMeals`), so only a verified socket
 * ends it. The reference's `pollingNeeded` decision answers "always".
 *
 * Caught by MEAL-5 (no poll starts once the server said none of the meals is processing).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

/** The reference machine whose polling loop ignores whether anything is processing (exported for the machine's unit tests). */
export class PollsForever extends MealLogMachine {
  protected override pollingNeeded(): boolean {
    return true;
  }
}

/** The variant, as registered in variants.ts. */
export const pollsForever: ClientVariant = {
  description: 'the polling loop never checks whether a meal is still processing: it polls whenever the socket is not verified',
  violates: ['MEAL-5'],
  create: (env) => createMealLogClient(env, { Machine: PollsForever }),
};
