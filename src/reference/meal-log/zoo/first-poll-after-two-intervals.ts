/**
 * zoo:meal-log/first-poll-after-two-intervals — the fallback waits a grace interval "to
 * give the socket a chance" and then the loop sleeps its own interval: the first poll
 * comes 10 s after polling became due.
 *
 * Where it comes from: the document's Solution 4 loop sleeps `pollingInterval` before each
 * poll; this client also debounces `startPolling()` by one interval, a common pattern of
 * fallback code that doubles the first wait. The reference's `startPolling`, patched to
 * arm its first timer at twice the delay; later polls are spaced as the reference's.
 *
 * Caught by MEAL-11 (while polling is due, the first listing comes within 5 s + T).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

class FirstPollAfterTwoIntervals extends MealLogMachine {
  protected override startPolling(): void {
    if (this.polling || this.socketReplacesPolling()) return;
    if (!this.pollingNeeded()) return;
    this.polling = { interval: this.config.pollInterval, unchanged: 0, finalizedAtStart: this.finalized };
    this.log('Starting polling fallback');
    // The bug: a grace interval before the loop's own sleep.
    this.cmd({ type: 'set-timer', key: 'poll', ms: this.config.pollInterval + this.pollDelay() });
  }
}

/** The variant, as registered in variants.ts. */
export const firstPollAfterTwoIntervals: ClientVariant = {
  description: 'the polling fallback waits a grace interval before its loop\u2019s own sleep: the first poll comes 10 s after it was due',
  violates: ['MEAL-11'],
  create: (env) => createMealLogClient(env, { Machine: FirstPollAfterTwoIntervals }),
};
