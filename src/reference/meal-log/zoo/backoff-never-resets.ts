/**
 * zoo:meal-log/backoff-never-resets — the reconnect backoff counter is never reset by a
 * verified connection: each later drop waits longer, up to 30 s, however healthy the
 * sockets in between were.
 *
 * Where it comes from: a well-known bug of hand-written reconnect loops (the counter is
 * reset only on `init`, not on a successful connection), applied to the document's
 * Solution 5 Reconnection Support. The reference's `verified` decision, patched to leave
 * `attempts` as it was; coming back online still resets it.
 *
 * Caught by MEAL-9 (a): after a verified socket ends, the next connect is due within
 * 1 s × 1.5 + T.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

class BackoffNeverResets extends MealLogMachine {
  protected override verified(s: Parameters<MealLogMachine['verified']>[0]): void {
    const attempts = this.attempts;
    super.verified(s);
    // The bug: the reference starts the backoff over here.
    this.attempts = attempts;
  }
}

/** The variant, as registered in variants.ts. */
export const backoffNeverResets: ClientVariant = {
  description: 'the reconnect backoff counter is never reset by a verified connection: each later drop waits longer, up to 30 s',
  violates: ['MEAL-9'],
  create: (env) => createMealLogClient(env, { Machine: BackoffNeverResets }),
};
