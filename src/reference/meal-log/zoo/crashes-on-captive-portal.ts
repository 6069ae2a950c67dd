/**
 * zoo:meal-log/crashes-on-captive-portal — a listing answered `200` with a body that is not
 * JSON (a captive portal's sign-in page, a truncated body) throws in the JSON parse; the
 * exception escapes the polling loop, which dies while the app still believes it is
 * polling (`isPolling` stays true, so `startPolling()` never starts another): no poll
 * until a socket is verified again.
 *
 * Where it comes from: issue #14 ("parsing a captive-portal body as JSON and crashing");
 * the source's polling task (Solution 4) runs `loadDataForSelectedDate()` in a `while`
 * loop inside a `Task`, which ends at the first error thrown out of its body. A patched
 * `onListingUnreadable`.
 *
 * Caught by MEAL-11 (while a meal is processing and no socket is verified, the client polls).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

class CrashesOnCaptivePortal extends MealLogMachine {
  protected override onListingUnreadable(request: number): void {
    // The request is forgotten; a poll's loop stays "in flight" for good.
    this.loads.delete(request);
    this.log('Unexpected token < in JSON', { request });
  }
}

/** The variant, as registered in variants.ts. */
export const crashesOnCaptivePortal: ClientVariant = {
  description: 'a captive portal\u2019s 200 HTML page makes the JSON parse throw and the polling loop die',
  violates: ['MEAL-11'],
  create: (env) => createMealLogClient(env, { Machine: CrashesOnCaptivePortal }),
};
