/**
 * Bug: REST paging stops at the first page holding fewer than 100 events, taking it for
 * the last one ("a short page means we reached the end"), although it said
 * `hasMore: true`: the sync completes early, the rest of the events never arrive, and
 * the page's cursor is saved as if it were a final checkpoint.
 * Where it comes from: the classic paging shortcut `if (page.count < limit) break` —
 * wrong for any server that caps a page by size or time (docs/protocols/event-sync.md,
 * "REST pages": only `hasMore: false` ends the paging).
 * Caught by: SYNC-8 (the cursor is followed to the last page).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';
import { restPageSize, type RestPage } from '../wire.js';

class StopsAtShortPageMachine extends EventSyncMachine {
  protected override isLastPage(page: RestPage): boolean {
    return !page.hasMore || page.events.length < restPageSize;
  }
}

/** The client that ends REST paging at the first short page. */
export const stopsAtShortPage: ClientVariant = {
  description: 'ends REST paging at the first page of fewer than 100 events, although it answered hasMore',
  violates: ['SYNC-8'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new StopsAtShortPageMachine(config, state) }),
};
