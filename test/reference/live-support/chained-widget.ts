import type { ClientFactory } from '../../../src/conformance/driver.js';
import { createLiveSupportClient } from '../../../src/reference/live-support/client.js';
import type { LiveChat } from '../../../src/reference/live-support/wire.js';
import { WidgetMachine } from '../../../src/reference/live-support/widget-machine.js';

/**
 * A correct widget of another design than the reference: timeout-chained polling. It
 * polls at once on mount, then waits 2 s after each poll settles (answer, error, or the
 * 10 s abort) before the next one — one-shot timers instead of `setInterval`. The spec
 * permits it (docs/protocols/live-support.md, "The widget", "Permitted designs"); the
 * client team's report that such a widget failed LIVE-1 is what this guards against.
 */
class ChainedWidget extends WidgetMachine {
  protected override reconcile(): void {
    const before = this.run;
    super.reconcile();
    const run = this.run;
    // The new run polls at once; its next poll waits for that answer, not for an interval.
    if (run && run !== before && this.intervals.has(run.interval)) this.stopTimer(run.interval);
  }

  protected override onTick(interval: number): void {
    const run = this.intervals.get(interval);
    if (!run) return;
    this.stopTimer(interval);
    this.poll(run);
  }

  protected override onPoll(request: number, chats: LiveChat[] | undefined): void {
    const run = this.polls.get(request);
    super.onPoll(request, chats);
    if (!run || run !== this.run) return;
    run.interval = ++this.intervalCounter;
    this.intervals.set(run.interval, run);
    this.cmd({ type: 'set-interval', interval: run.interval, ms: this.config.pollInterval });
  }

  private stopTimer(interval: number): void {
    this.intervals.delete(interval);
    this.cmd({ type: 'clear-interval', interval });
  }
}

/** The reference client with a timeout-chained widget. */
export const chainedWidgetClient: ClientFactory = (env) =>
  createLiveSupportClient(env, { machines: { widget: (c) => new ChainedWidget(c) } });
