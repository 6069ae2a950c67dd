import type { ClientVariant } from '../../conformance/protocol.js';
import { abortsOnInvalidEvent } from './zoo/aborts-on-invalid-event.js';
import { checkpointPerBatch } from './zoo/checkpoint-per-batch.js';
import { concurrentPulls } from './zoo/concurrent-pulls.js';
import { exclusiveSinceLosesTies } from './zoo/exclusive-since-loses-ties.js';
import { ignoresErrorFrame } from './zoo/ignores-error-frame.js';
import { keepsStreamOpen } from './zoo/keeps-stream-open.js';
import { noDedupeOnFallback } from './zoo/no-dedupe-on-fallback.js';
import { progressOnlyAtEnd } from './zoo/progress-only-at-end.js';
import { progressOvercounts } from './zoo/progress-overcounts.js';
import { restOnly } from './zoo/rest-only.js';
import { sinceAsTimestamp } from './zoo/since-as-timestamp.js';
import { fallbackFromStreamStart } from './zoo/fallback-from-stream-start.js';
import { stopsAtShortPage } from './zoo/stops-at-short-page.js';
import { givesUpOn1013 } from './zoo/gives-up-on-1013.js';
import { ignoresRetryAfter } from './zoo/ignores-retry-after.js';
import { reconnectsOn1009 } from './zoo/reconnects-on-1009.js';
import { retriesRefusedToken } from './zoo/retries-refused-token.js';
import { streamAndRestTogether } from './zoo/stream-and-rest-together.js';

/**
 * The event-sync zoo: realistic bugs, each caught by the requirement named
 * (docs/protocols/event-sync.md); one file per variant in src/reference/event-sync/zoo/.
 */
export const eventSyncVariants: Record<string, ClientVariant> = {
  'checkpoint-per-batch': checkpointPerBatch,
  'exclusive-since-loses-ties': exclusiveSinceLosesTies,
  'no-dedupe-on-fallback': noDedupeOnFallback,
  'stream-and-rest-together': streamAndRestTogether,
  'progress-overcounts': progressOvercounts,
  'aborts-on-invalid-event': abortsOnInvalidEvent,
  'concurrent-pulls': concurrentPulls,
  'ignores-error-frame': ignoresErrorFrame,
  'rest-only': restOnly,
  'stops-at-short-page': stopsAtShortPage,
  'keeps-stream-open': keepsStreamOpen,
  'progress-only-at-end': progressOnlyAtEnd,
  'since-as-timestamp': sinceAsTimestamp,
  'fallback-from-stream-start': fallbackFromStreamStart,
  'reconnects-on-1009': reconnectsOn1009,
  'gives-up-on-1013': givesUpOn1013,
  'retries-refused-token': retriesRefusedToken,
  'ignores-retry-after': ignoresRetryAfter,
};
