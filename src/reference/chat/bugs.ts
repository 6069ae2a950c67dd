/**
 * Realistic bugs a chat client can have, each reproducing one documented mistake. The
 * reference client has none; each faulty variant in the zoo switches exactly one on.
 */
export interface ChatBugs {
  /** The documents' original behaviour: polling runs whether or not the socket is healthy. */
  pollsWhileHealthy?: boolean;
  /** No `isPolling` guard: every failure starts another polling loop. */
  duplicatePoller?: boolean;
  /** Polling is never stopped when the socket recovers. */
  neverStopsPolling?: boolean;
  /** Messages are appended without checking their ids. */
  noDedupe?: boolean;
  /** Messages are shown in arrival order, not sorted by timestamp. */
  ordersByArrival?: boolean;
  /** Reconnects one second after every failure, forever. */
  noBackoff?: boolean;
  /** Never pings, so a half-open socket looks healthy forever. */
  noHeartbeat?: boolean;
  /** Switching conversations leaves the old socket and poller running. */
  leaksOldConversation?: boolean;
  /** Retries a send with a fresh clientMessageId. */
  outboxResends?: boolean;
  /** Treats 401 like any other error and keeps retrying. */
  retriesOn401?: boolean;
}
