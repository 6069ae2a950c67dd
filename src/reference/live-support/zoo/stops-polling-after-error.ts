/**
 * Zoo: a widget that stops its polling loop when a poll fails — `catch (e) {
 * clearInterval(intervalId); setError(e) }`, meant to spare a failing server. The source
 * polls every 2 s for as long as the chat view is mounted (§ Technical Details, "Polls
 * immediately on mount, then every 2s"); after a 503, a timeout or a dropped connection
 * this widget shows a frozen chat until the customer reopens it. LIVE-8 (keeps polling:
 * after a failure, the next poll within 30 s + T) must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import type { LiveChat } from '../wire.js';
import { WidgetMachine } from '../widget-machine.js';

/** The reference widget, except that a failed poll clears the interval of its run. */
class StopsPollingAfterError extends WidgetMachine {
  protected override onPoll(request: number, chats: LiveChat[] | undefined): void {
    const run = this.polls.get(request);
    super.onPoll(request, chats);
    if (chats !== undefined || !run || run !== this.run || !this.intervals.has(run.interval)) return;
    this.intervals.delete(run.interval);
    this.cmd({ type: 'clear-interval', interval: run.interval });
    this.log('poll failed: polling stopped');
  }
}

/** A failed poll ends the widget's loop until the chat view is mounted again. */
export const stopsPollingAfterError: ClientVariant = {
  description:
    'the widget clears its interval when a poll fails: after a 503, a timeout or a dropped connection it never polls again while mounted',
  violates: ['LIVE-8'],
  create: (env) => createLiveSupportClient(env, { machines: { widget: (c) => new StopsPollingAfterError(c) } }),
};
