/**
 * zoo:meal-log/polls-utc-today — every listing asks for `date=<today in UTC>`
 * (`new Date().toISOString().slice(0, 10)`), whatever day the meals it waits on were logged
 * on: a meal submitted shortly before midnight UTC whose completion push is lost is never
 * listed again, so it stays `processing` for good.
 *
 * Where it comes from: the reference client's own behaviour before issue #14 ("polling asks
 * for `date=<today in UTC>` instead of the selected date"); the source's
 * `loadDataForSelectedDate()` lists the view's selected date, the day the user logged the
 * meal on. The ISO-string slice for "today" is the everyday JavaScript idiom that mixes up
 * the UTC day with the one the user means. A patched `listingDateFor`.
 *
 * Caught by MEAL-4 (every meal is shown with its final status).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine, type LoadKind } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

class PollsUtcToday extends MealLogMachine {
  protected override listingDateFor(_kind: LoadKind): string | undefined {
    return this.today();
  }
}

/** The variant, as registered in variants.ts. */
export const pollsUtcToday: ClientVariant = {
  description: 'every listing asks for today in UTC, so a meal logged before midnight and finished after it is never listed as final',
  violates: ['MEAL-4'],
  create: (env) => createMealLogClient(env, { Machine: PollsUtcToday }),
};
