/**
 * Zoo: a dashboard whose reconnect backoff starts over on every `open`. Against a backend
 * that accepts the upgrade and drops the socket at once — crash-looping behind a load
 * balancer that still accepts, or rejecting after the handshake — every attempt "succeeds",
 * so the delay never grows: a reconnect every second, from every open dashboard, for as
 * long as the trouble lasts, which keeps the backend down.
 *
 * Where it comes from: y-websocket reset `wsUnsuccessfulReconnects` in `onopen`, so "the
 * server closing the websocket on its own" got a reconnect "on every tick"
 * (github.com/yjs/y-websocket/pull/74, and pull/195: "it resets the unsuccessful
 * connections exponential backoff … try to reconnect immediately, indefinitely");
 * destiny.gg's chat client re-hammered its backend every ~1.75 s after a restart for the
 * same reason (github.com/destinygg/chat-gui/pull/872). The reference starts its backoff
 * over only once a socket stayed open 10 s. LIVE-14 (at most 6 attempts in 30 s while
 * the sockets keep dropping right after opening) must catch it.
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createLiveSupportClient } from '../client.js';
import { DashboardMachine } from '../dashboard-machine.js';

/** The reference dashboard, except that an `open` counts as success at once. */
class BackoffResetsOnOpen extends DashboardMachine {
  protected override onOpen(id: number): void {
    super.onOpen(id);
    if (this.socket?.id === id) this.attempts = 0;
  }
}

/** The backoff starts over on every `open`, however soon the socket dies. */
export const dashboardBackoffResetsOnOpen: ClientVariant = {
  description:
    'the dashboard starts its reconnect backoff over on every open: against a backend that accepts and drops at once it reconnects every second',
  violates: ['LIVE-14'],
  create: (env) => createLiveSupportClient(env, { machines: { dashboard: (c, online) => new BackoffResetsOnOpen(c, online) } }),
};
