/**
 * Zoo: a dashboard whose socket close handler only marks it disconnected —
 * `ws.onclose = () => setStatus('disconnected')` — with no reconnect anywhere. After the
 * backend restarts (the source's Step 1), a reset or the device going offline, the agent
 * stares at a frozen dashboard until they reload the tab. LIVE-11 must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import { DashboardMachine } from '../dashboard-machine.js';

/** The reference dashboard without its reconnect decisions. */
class NeverReconnects extends DashboardMachine {
  protected override socketFailed(): void {
    this.socket = undefined;
    this.cmd({ type: 'cancel-timer', key: 'silence' });
    this.log('dashboard disconnected');
  }
  protected override revive(): void {}
}

/** A lost socket is never replaced. */
export const dashboardNeverReconnects: ClientVariant = {
  description: 'the dashboard never reconnects: after a server restart, a reset or the device going offline it stays without a socket',
  violates: ['LIVE-11'],
  create: (env) => createLiveSupportClient(env, { machines: { dashboard: (c, online) => new NeverReconnects(c, online) } }),
};
