/**
 * zoo:meal-log/polls-every-100ms — the fallback polling loop sleeps 100 ms between polls.
 *
 * Where it comes from: the document's polling loop sleeps `pollingInterval` seconds
 * (`Task.sleep(nanoseconds: UInt64(pollingInterval * 1_000_000_000))`, `pollingInterval =
 * 5.0`); this build shipped with a debugging value of 0.1 s, which also overrides the
 * adaptive interval. The document's Monitoring section warns about exactly this ("Alert on
 * excessive polling").
 *
 * Caught by MEAL-15 (polls at least 5 s apart).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

class PollsEvery100ms extends MealLogMachine {
  protected override pollDelay(): number {
    return 100;
  }
}

/** The variant, as registered in variants.ts. */
export const pollsEvery100ms: ClientVariant = {
  description: 'polls every 100 ms: a debugging polling interval of 0.1 s shipped, overriding the 5 s interval and its adaptation',
  violates: ['MEAL-15'],
  create: (env) => createMealLogClient(env, { Machine: PollsEvery100ms }),
};
