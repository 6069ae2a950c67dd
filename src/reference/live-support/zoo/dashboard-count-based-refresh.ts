/**
 * Zoo: a dashboard that re-renders a `chat_updates` broadcast only when the number of its
 * customers' messages changed — the widget's Problem 4 ("only checked message count, not
 * actual content") repeated on the dashboard, e.g. a memoised list keyed on a count. A
 * replaced message (same count, new id) never shows. The source's dashboard shows each
 * broadcast at once (§ Performance Improvements, "Dashboard updates immediately"). LIVE-9
 * must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import { DashboardMachine } from '../dashboard-machine.js';
import type { DashboardServerFrame, LiveUser } from '../wire.js';

const messageCount = (users: readonly { chats: readonly { messages: readonly unknown[] }[] }[]): number =>
  users.reduce((n, u) => n + u.chats.reduce((k, c) => k + c.messages.length, 0), 0);

/** The reference dashboard, except that a broadcast with as many own messages as shown is not rendered. */
class CountBasedRefresh extends DashboardMachine {
  protected override onFrame(id: number, frame: DashboardServerFrame): void {
    if (frame.type === 'chat_updates' && this.socket?.id === id && this.users.length > 0) {
      const own = frame.data.users.filter((u: LiveUser) => u.dashboard_user_id === this.dashboardUserId);
      if (messageCount(own) === messageCount(this.users)) {
        // Still a frame: the socket is alive.
        this.cmd({ type: 'set-timer', key: 'silence', ms: this.config.silence });
        return;
      }
    }
    super.onFrame(id, frame);
  }
}

/** A broadcast is shown only when the message count changed. */
export const dashboardCountBasedRefresh: ClientVariant = {
  description:
    'the dashboard re-renders a broadcast only when its message count changed: a replaced message (same count, new id) is never shown',
  violates: ['LIVE-9'],
  create: (env) => createLiveSupportClient(env, { machines: { dashboard: (c, online) => new CountBasedRefresh(c, online) } }),
};
