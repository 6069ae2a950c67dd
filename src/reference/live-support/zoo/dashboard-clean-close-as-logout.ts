/**
 * Zoo: a dashboard that takes any clean close from the server — 1000, 1001 "going away",
 * 1012 "service restart", an application's 4xxx — for "the session ended" and never
 * reconnects: the close was intentional, so reconnecting would be wrong. A deploy that
 * drains its sockets with 1001, a proxy reloading its configuration, or the source's own
 * Step 1 (restart the backend: a graceful restart sends 1012) leaves every agent with a
 * frozen dashboard.
 *
 * Where it comes from: websocket-client's `run_forever` "does not automatically reconnect
 * if the server closes the WebSocket gracefully" — a user's 1001 "CloudFlare WebSocket
 * proxy restarting" was never followed by a reconnect
 * (github.com/websocket-client/websocket-client/issues/873); robust-websocket never
 * reconnects after 1000, which a proxy sent on its idle timeout
 * (github.com/appuri/robust-websocket/issues/14); sockette's 1000/1001/1005 exceptions
 * (github.com/lukeed/sockette/issues/70). LIVE-11 must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import { DashboardMachine } from '../dashboard-machine.js';

/** The reference dashboard, except that a clean close from the server ends the session. */
class CleanCloseAsLogout extends DashboardMachine {
  protected override onClosed(code: number | undefined, wasClean: boolean | undefined): void {
    if (!wasClean) return super.onClosed(code, wasClean);
    // No longer wanted, the reference's socketFailed() lets the socket go without scheduling a reconnect.
    this.wanted = false;
    this.socketFailed();
    this.log('the server ended the session', { code });
  }
}

/** A clean close by the server is taken for a logout. */
export const dashboardCleanCloseAsLogout: ClientVariant = {
  description:
    'the dashboard takes any clean close from the server (1000, 1001, 1012, 4xxx) for the end of the session and never reconnects',
  violates: ['LIVE-11'],
  create: (env) => createLiveSupportClient(env, { machines: { dashboard: (c, online) => new CleanCloseAsLogout(c, online) } }),
};
