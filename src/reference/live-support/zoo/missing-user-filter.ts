/**
 * Zoo: a dashboard that shows every customer of a `chat_updates` broadcast, without
 * filtering by `dashboard_user_id` — the source's Problem 2 ("Dashboard: Missing User
 * Filter Field": "wrong chats displayed"), fixed in § Fix 2 and § Technical Details
 * ("Filtering: Uses `dashboard_user_id` to show only relevant chats"). LIVE-4 must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import { DashboardMachine } from '../dashboard-machine.js';
import type { LiveUser } from '../wire.js';

/** The reference dashboard, except that it keeps every customer of a broadcast. */
export class MissingUserFilter extends DashboardMachine {
  protected override ownCustomers(users: LiveUser[]): LiveUser[] {
    return users;
  }
}

/** The agent sees every agent's customers. */
export const missingUserFilter: ClientVariant = {
  description: 'the dashboard does not filter the broadcast by dashboard_user_id: it shows every agent\u2019s customers',
  violates: ['LIVE-4'],
  create: (env) => createLiveSupportClient(env, { machines: { dashboard: (c, online) => new MissingUserFilter(c, online) } }),
};
