import type { ClientVariant } from '../../conformance/protocol.js';
import type { EventSyncBugs } from './bugs.js';
import { createEventSyncClient } from './client.js';
import { keepsStreamOpen } from './zoo/keeps-stream-open.js';
import { progressOnlyAtEnd } from './zoo/progress-only-at-end.js';
import { restOnly } from './zoo/rest-only.js';
import { stopsAtShortPage } from './zoo/stops-at-short-page.js';

const variant = (description: string, violates: string[], bugs: EventSyncBugs): ClientVariant => ({
  description,
  violates,
  create: (env) => createEventSyncClient(env, { bugs }),
});

/** The event-sync zoo: realistic bugs, each caught by the requirement named (docs/protocols/event-sync.md). */
export const eventSyncVariants: Record<string, ClientVariant> = {
  'checkpoint-per-batch': variant('saves the checkpoint after every batch and page instead of on completion', ['SYNC-3'], {
    checkpointPerBatch: true,
  }),
  'exclusive-since-loses-ties': variant(
    'treats since as an exclusive timestamp: drops events sharing the timestamp of the position it asked from',
    ['SYNC-5'],
    { exclusiveSinceLosesTies: true },
  ),
  'no-dedupe-on-fallback': variant(
    'falls back to REST from the saved checkpoint and stores what it returns without checking ids',
    ['SYNC-10'],
    { noDedupeOnFallback: true },
  ),
  'stream-and-rest-together': variant('starts REST paging when the stream goes quiet for 2 s, without closing the socket', ['SYNC-4'], {
    streamAndRestTogether: true,
  }),
  'progress-overcounts': variant('counts progress as (batchIndex + 1) × the first batch\u2019s length', ['SYNC-2'], {
    progressOvercounts: true,
  }),
  'aborts-on-invalid-event': variant(
    'abandons the stream (and retries the REST page) on an invalid event instead of skipping it',
    ['SYNC-6'],
    {
      abortsOnInvalidEvent: true,
    },
  ),
  'concurrent-pulls': variant('starts another pull for every sync request, even while one is running', ['SYNC-7'], {
    concurrentPulls: true,
  }),
  'ignores-error-frame': variant('ignores sync.stream.error and waits for the stream to time out', ['SYNC-4'], { ignoresErrorFrame: true }),
  // One file per variant from here on (src/reference/event-sync/zoo/).
  'rest-only': restOnly,
  'stops-at-short-page': stopsAtShortPage,
  'keeps-stream-open': keepsStreamOpen,
  'progress-only-at-end': progressOnlyAtEnd,
};
