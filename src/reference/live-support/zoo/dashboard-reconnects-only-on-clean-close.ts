/**
 * Zoo: a dashboard that reconnects only after a clean close — a close frame from the
 * server (1000, 1001, 1012, …), `event.wasClean` — and takes an abnormal closure (1006:
 * no close frame) for a fatal network error: it shows "connection lost" and waits for a
 * reload. When an idle proxy or NAT forgets the socket (`idle-timeout`: AWS ALB and nginx
 * default to 60 s), or the connection is reset, the client sees exactly that 1006, and
 * the agent's dashboard freezes.
 *
 * Where it comes from: angular-websocket's `_reconnectableStatusCodes` held only 4000, so
 * "when the socket server is restarted, the client socket connection gets the onclose
 * event with code 1006 … it never tries to reconnect again"
 * (github.com/PatrickJS/angular-websocket/issues/18); web3data-js's "Reconnect logic not
 * working with error 1006" (github.com/web3data/web3data-js/issues/31). LIVE-11 (the
 * dashboard is subscribed again within 30 s + T of the way being clear) must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import { DashboardMachine } from '../dashboard-machine.js';

/** The reference dashboard, except that a close without a closing handshake ends its reconnecting. */
class ReconnectsOnlyOnCleanClose extends DashboardMachine {
  protected override onClosed(code: number | undefined, wasClean: boolean | undefined): void {
    if (wasClean) return super.onClosed(code, wasClean);
    this.socket = undefined;
    this.cmd({ type: 'cancel-timer', key: 'silence' });
    this.cmd({ type: 'cancel-timer', key: 'stable' });
    this.log('connection lost', { code });
  }
}

/** An abnormal closure (1006) is never followed by a reconnect. */
export const dashboardReconnectsOnlyOnCleanClose: ClientVariant = {
  description:
    'the dashboard reconnects only after a clean close: a socket an idle proxy forgot, or a reset (1006, no close frame), is never replaced',
  violates: ['LIVE-11'],
  create: (env) => createLiveSupportClient(env, { machines: { dashboard: (c, online) => new ReconnectsOnlyOnCleanClose(c, online) } }),
};
