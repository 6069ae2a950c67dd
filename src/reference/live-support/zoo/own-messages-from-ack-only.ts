/**
 * Zoo: a widget that shows the customer's own messages only from the send's
 * acknowledgement and drops the customer's messages from poll answers ("we already show
 * what we sent; skip our own to avoid duplicates"). When the acknowledgement is lost (the
 * server stored the message but the answer never came) the message never appears, and
 * after the view is mounted again the customer's earlier messages are gone. The source's
 * widget shows the server's list (§ Fix 1, `setMessages(serverMessages)`) and gets every
 * message by polling (§ Performance Improvements, "Widget polls (2s backup)"). LIVE-12
 * must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import type { LiveChat } from '../wire.js';
import { WidgetMachine } from '../widget-machine.js';

/** The reference widget, except that poll answers lose the customer's messages it does not already show. */
class OwnMessagesFromAckOnly extends WidgetMachine {
  protected override onPoll(request: number, chats: LiveChat[] | undefined): void {
    const mine = new Set(this.messages.filter((m) => m.role === 'user').map((m) => m.id));
    const filtered = chats?.map((c) => ({ ...c, messages: c.messages.filter((m) => m.role !== 'user' || mine.has(m.id)) }));
    super.onPoll(request, filtered);
  }
}

/** The customer's messages come only from send acknowledgements, never from polls. */
export const ownMessagesFromAckOnly: ClientVariant = {
  description:
    "the widget shows the customer's messages only from the send's acknowledgement and drops them from poll answers: a message whose answer was lost never appears, and a remounted view loses them",
  violates: ['LIVE-12'],
  create: (env) => createLiveSupportClient(env, { machines: { widget: (c) => new OwnMessagesFromAckOnly(c) } }),
};
