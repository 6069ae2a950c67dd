/**
 * Zoo: a widget that merges a poll answer incrementally — it keeps the messages it shows
 * and takes from the answer only those newer than the newest one on screen (a "since"
 * high-water mark read from the view, the usual way of appending without duplicates).
 * The customer's own message is shown at once from the send's answer, which moves that
 * mark past an agent reply stored just before it and not yet polled: the next answer
 * lists the reply, but it is older than the mark and never shown. A well-known bug of
 * incremental chat sync (an optimistic local insert advancing the cursor); the source's
 * widget sets the server's list (§ Fix 1, `setMessages(serverMessages)`, "Compare message
 * IDs"), so a reply sent from the dashboard appears within 2 s (§ How to Test, Step 4).
 * LIVE-7 must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import type { LiveChat } from '../wire.js';
import { WidgetMachine } from '../widget-machine.js';

/** The reference widget, except that a poll answer adds only messages newer than the newest shown. */
class SkipsOlderThanNewestShown extends WidgetMachine {
  protected override onPoll(request: number, chats: LiveChat[] | undefined): void {
    const chat = this.polls.get(request)?.chat;
    const shown = new Set(this.messages.map((m) => m.id));
    const mark = Math.max(-Infinity, ...this.messages.map((m) => Date.parse(m.timestamp)));
    const merged = chats?.map((c) =>
      c.chat_id !== chat ? c : { ...c, messages: c.messages.filter((m) => shown.has(m.id) || Date.parse(m.timestamp) > mark) },
    );
    super.onPoll(request, merged);
  }
}

/** An agent reply stored just before the customer's own message (shown from the send's answer) is never shown. */
export const skipsOlderThanNewestShown: ClientVariant = {
  description:
    "the widget adds from a poll answer only messages newer than the newest it shows: the customer's own message, shown at once from the send's answer, hides an agent reply stored just before it",
  violates: ['LIVE-7'],
  create: (env) => createLiveSupportClient(env, { machines: { widget: (c) => new SkipsOlderThanNewestShown(c) } }),
};
