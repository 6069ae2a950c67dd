/**
 * Zoo: a widget whose polling effect lists the message count among its dependencies —
 * `}, [stage, currentChatId, email, lastMessageCount])` — the source's Problem 1
 * ("Widget: Infinite Interval Recreation") and the "Before" code of § Fix 1. Every new
 * message re-runs the effect: an immediate poll and a new 2 s interval, while the
 * interval of the run before is left running ("multiple overlapping intervals, memory
 * leaks"). LIVE-1 (at most one poll per 2 s − T) must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import { WidgetMachine } from '../widget-machine.js';

/** The reference widget, except that its effect also depends on the message count and leaks the interval it replaces. */
export class IntervalRecreatedPerMessage extends WidgetMachine {
  /** The `lastMessageCount` the current run closed over. */
  private runCount = 0;

  protected override reconcile(): void {
    const cur = this.run;
    if (cur && this.mounted && cur.email === this.email && cur.chat === this.chat && this.runCount !== this.messages.length) {
      // Only the count changed: the effect runs again, and the cleanup misses the old interval.
      this.run = undefined;
      return this.startRun();
    }
    super.reconcile();
  }

  protected override startRun(): void {
    this.runCount = this.messages.length;
    super.startRun();
  }
}

/** Every new message adds one more polling interval. */
export const intervalRecreatedPerMessage: ClientVariant = {
  description:
    'the polling effect depends on the message count: every new message re-runs it (an immediate poll, a new 2 s interval) and leaves the old interval running',
  violates: ['LIVE-1'],
  create: (env) => createLiveSupportClient(env, { machines: { widget: (c) => new IntervalRecreatedPerMessage(c) } }),
};
