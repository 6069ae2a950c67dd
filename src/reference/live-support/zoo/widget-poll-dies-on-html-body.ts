/**
 * Zoo: a widget whose polling dies on an answer it cannot parse. Its loop re-arms itself
 * after `await response.json()` with no `try`/`finally`: a 200 whose body is a captive
 * portal's HTML sign-in page (hotel, airport, train Wi-Fi), or JSON cut short, throws
 * `SyntaxError: Unexpected token '<'` out of the poll, the next poll is never scheduled,
 * and the chat stays frozen after the network is back — until the customer reloads.
 * Error statuses and failed fetches are handled (it checks `response.ok` and catches
 * `fetch`); only the parse escapes.
 *
 * Where it comes from: the bare `response.json()` that "a proxy or captive portal that
 * answers 200 with an HTML sign-in page" turns into an unhandled SyntaxError
 * (github.com/pydantic/logfire-js/pull/291); "Unexpected token < in JSON at position 0"
 * from HTML error pages (github.com/pdupavillon/express-recaptcha/pull/33). LIVE-8 (a
 * mounted widget keeps polling) must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import type { LiveChat } from '../wire.js';
import { WidgetMachine } from '../widget-machine.js';

/** The reference widget, except that an unreadable 2xx body ends its run's loop. */
class PollDiesOnHtmlBody extends WidgetMachine {
  protected override onPoll(request: number, chats: LiveChat[] | undefined, malformed = false): void {
    const run = this.polls.get(request);
    super.onPoll(request, chats, malformed);
    if (!malformed || !run || !this.intervals.has(run.interval)) return;
    this.intervals.delete(run.interval);
    this.cmd({ type: 'clear-interval', interval: run.interval });
    this.log("SyntaxError: Unexpected token '<' — the poll loop stopped");
  }
}

/** A poll answer that is not JSON ends the widget's polling until it is mounted again. */
export const widgetPollDiesOnHtmlBody: ClientVariant = {
  description:
    'the widget\u2019s poll loop dies when a 200 answer is not JSON (a captive portal\u2019s HTML page, a cut body): it never polls again while mounted',
  violates: ['LIVE-8'],
  create: (env) => createLiveSupportClient(env, { machines: { widget: (c) => new PollDiesOnHtmlBody(c) } }),
};
