/**
 * Zoo: a widget that renders every message of the customer's chats —
 * `data.chats.flatMap((c) => c.messages)` — written and tested with customers who have a
 * single chat. `GET /api/users/{email}/chats` lists all of a customer's chats; the chat
 * view shows the current one (`currentChatId`, a dependency of the source's polling
 * effect, § Fix 1). A customer with two chats sees them mixed. LIVE-13 must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import type { LiveChat } from '../wire.js';
import { WidgetMachine } from '../widget-machine.js';

/** The reference widget, except that a poll answer's chats are merged into the current one. */
class FlattensAllChats extends WidgetMachine {
  protected override onPoll(request: number, chats: LiveChat[] | undefined): void {
    const chat = this.polls.get(request)?.chat;
    super.onPoll(request, chats && chat !== undefined ? [{ chat_id: chat, messages: chats.flatMap((c) => c.messages) }] : chats);
  }
}

/** The view shows the messages of all the customer's chats. */
export const flattensAllChats: ClientVariant = {
  description: "the widget shows the messages of all the customer's chats (chats.flatMap), not only the current chat's",
  violates: ['LIVE-13'],
  create: (env) => createLiveSupportClient(env, { machines: { widget: (c) => new FlattensAllChats(c) } }),
};
