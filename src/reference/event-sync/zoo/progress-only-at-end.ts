/**
 * Bug: progress is published only when the sync ends — the internal counters move with
 * every batch, but the published property is set once after the receive loop, so the
 * user sees no progress bar during the sync and then "N of N" at once.
 * Where it comes from: event-sync-websocket-streaming.md § Progress Tracking (internal
 * `_initialSyncEventsProcessed` vs the `@Published initialSyncProgress`): forgetting to
 * publish per batch is the bug the source's "Real-time progress updates" exist to avoid.
 * Caught by: SYNC-13 (progress is shown while the sync runs).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { createEventSyncClient } from '../client.js';
import type { EventSyncSnapshot } from '../snapshot.js';

/** The client whose progress appears only at the end of a sync. */
export const progressOnlyAtEnd: ClientVariant = {
  description: 'publishes progress only when a sync ends, none while it runs',
  violates: ['SYNC-13'],
  create: (env) => {
    const client = createEventSyncClient(env);
    return {
      ...client,
      snapshot: (): EventSyncSnapshot => {
        const s = client.snapshot();
        return s.syncing ? { ...s, progress: null } : s;
      },
    };
  },
};
