/**
 * Zoo: a widget that detects new messages by count only — `if (serverMessages.length !==
 * lastMessageCount) setMessages(serverMessages)` — the source's Problem 4 ("Unreliable
 * Change Detection": "if a message was replaced (same count), update wouldn't be
 * detected"), fixed in § Fix 1 ("Compare message IDs instead of just count"). LIVE-3
 * must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import type { LiveMessage } from '../wire.js';
import { WidgetMachine } from '../widget-machine.js';

/** The reference widget, except that a poll answer counts as new only when its length differs. */
export class CountBasedDetection extends WidgetMachine {
  protected override changed(server: readonly LiveMessage[]): boolean {
    return server.length !== this.messages.length;
  }
}

/** A replaced message (same count, new id) is never shown. */
export const countBasedDetection: ClientVariant = {
  description: 'detects new messages by count only: a replaced message with an unchanged count is never shown',
  violates: ['LIVE-3'],
  create: (env) => createLiveSupportClient(env, { machines: { widget: (c) => new CountBasedDetection(c) } }),
};
