/**
 * Zoo: a dashboard that starts out believing the device is offline and connects its
 * WebSocket only on the browser's `online` event — `useState(false)` for the network
 * state, with no initial `navigator.onLine`. On a device that is online from the start
 * the event never comes: the dashboard never opens `/ws/dashboard` and shows nothing (the
 * source's "Endpoint: WebSocket /ws/dashboard", "Subscription: chat_updates channel").
 * LIVE-10 must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import { DashboardMachine } from '../dashboard-machine.js';

/** The dashboard waits for an `online` event before its first connection. */
export const dashboardWaitsForOnlineEvent: ClientVariant = {
  description:
    "the dashboard assumes the device is offline until the browser's online event, which never comes on a device that starts online: it never connects",
  violates: ['LIVE-10'],
  create: (env) => createLiveSupportClient(env, { machines: { dashboard: (c) => new DashboardMachine(c, false) } }),
};
