/**
 * zoo:meal-log/launch-poll-not-cancelled — a polling loop that started before the launch's
 * first socket was verified keeps polling after that socket is verified, until nothing is
 * processing. Only a reconnected socket's verification stops polling.
 *
 * Where it comes from: the document's client starts polling as the fallback of a failed
 * connect (Solution 2's `catch`) and stops it in its reconnect path (Solution 5: "Stop
 * polling fallback" once reconnected); this client assumes no loop can be running while the
 * launch's first connection is still in progress, so neither the `connected` handler nor
 * the loop's check consults that socket. Yet an upload answered, or a launch load showing a
 * meal processing, while the first socket is still connecting starts the loop — the
 * common case when the upgrade is slow or the app was relaunched during processing. The
 * reference's `socketReplacesPolling` decision, answering only for reconnected sockets.
 *
 * Caught by MEAL-3 (no poll starts while the first socket of an app launch is verified and
 * healthy).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { MealLogMachine } from '../client-machine.js';
import { createMealLogClient } from '../client.js';

class LaunchPollNotCancelled extends MealLogMachine {
  protected override socketReplacesPolling(): boolean {
    // The bug: the launch's first socket (id 1 of this incarnation) is never taken to replace polling.
    return !!this.socket?.verified && this.socket.id > 1;
  }

  /** The reference's handler, with its unconditional `stopPolling()` behind the same (wrong) test. */
  protected override verified(s: Parameters<MealLogMachine['verified']>[0]): void {
    s.verified = true;
    this.metrics.successfulConnections++;
    this.attempts = 0;
    this.log('WebSocket verified', { socket: s.id });
    if (this.socketReplacesPolling()) this.stopPolling();
    this.cmd({ type: 'set-timer', key: 'ping', ms: this.config.pingInterval });
    this.catchUp();
    this.flushOutbox();
  }
}

/** The variant, as registered in variants.ts. */
export const launchPollNotCancelled: ClientVariant = {
  description: 'a polling loop started before the launch\u2019s first socket was verified keeps polling after that socket is verified',
  violates: ['MEAL-3'],
  create: (env) => createMealLogClient(env, { Machine: LaunchPollNotCancelled }),
};
