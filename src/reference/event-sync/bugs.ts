/**
 * Realistic bugs an event-sync client can have, each reproducing one documented mistake.
 * The reference client has none; each faulty variant in the zoo switches exactly one on.
 */
export interface EventSyncBugs {
  /** Saves the checkpoint after every batch (and every REST page) instead of on completion. */
  checkpointPerBatch?: boolean;
  /** Treats `since` as an exclusive timestamp: drops incoming events whose timestamp is not after the timestamp of the request's `since`. */
  exclusiveSinceLosesTies?: boolean;
  /** Falls back to REST from the saved checkpoint (as the source's unchanged REST code does) and stores what it returns without checking ids. */
  noDedupeOnFallback?: boolean;
  /** When the stream goes quiet for 2 s, starts REST paging as well, without closing the socket, and applies both. */
  streamAndRestTogether?: boolean;
  /** Counts progress as (batchIndex + 1) × the first batch's length, overcounting a short last batch. */
  progressOvercounts?: boolean;
  /** Treats an invalid event as a failure: the stream is abandoned, a REST page is retried. */
  abortsOnInvalidEvent?: boolean;
  /** Starts another pull for every sync request, even while one is running. */
  concurrentPulls?: boolean;
  /** Ignores `sync.stream.error` frames and waits for the stream to time out. */
  ignoresErrorFrame?: boolean;
}
