/**
 * Zoo: a widget whose polling effect has no `isActive` flag — the cleanup only clears the
 * interval, so a poll still in flight when the view unmounts or the chat changes sets the
 * messages when it answers. The source adds the flag in § Fix 1 ("Added `isActive`
 * cleanup flag to prevent stale updates"). LIVE-2 must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import { WidgetMachine } from '../widget-machine.js';

/** The reference widget, except that every run stays active: a stale answer is applied. */
export class NoActiveFlag extends WidgetMachine {
  protected override isActive(): boolean {
    return true;
  }
}

/** A poll answered after unmount or a chat switch still sets the messages. */
export const noActiveFlag: ClientVariant = {
  description: 'no isActive flag: a poll answered after unmount or after the chat changed still sets the messages',
  violates: ['LIVE-2'],
  create: (env) => createLiveSupportClient(env, { machines: { widget: (c) => new NoActiveFlag(c) } }),
};
