/**
 * Bug: every sync request starts another pull, even while one is running — a pull-to-
 * refresh during the initial sync opens a second stream (or a second REST paging) next
 * to the first, both applying events and racing for the checkpoint.
 * Where it comes from: event-sync-websocket-streaming.md § SyncManager.pullEvents() (an
 * `async` function with no guard against re-entry) and § Progress Tracking (a single
 * `isInitialSyncInProgress`, which the guard would have to check).
 * Caught by: SYNC-7 (one sync at a time).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';

/** The machine that never queues a sync behind the running one. */
export class ConcurrentPullsMachine extends EventSyncMachine {
  protected override waitsForRunningSync(): boolean {
    return false;
  }
}

/** The client that runs overlapping pulls. */
export const concurrentPulls: ClientVariant = {
  description: 'starts another pull for every sync request, even while one is running',
  violates: ['SYNC-7'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new ConcurrentPullsMachine(config, state) }),
};
