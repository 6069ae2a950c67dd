/**
 * Realistic bugs of meal-log clients and servers, each reproducing one documented
 * mistake. The reference client and server have none; each faulty variant switches
 * exactly one on (docs/protocols/meal-log.md, "Faulty variants and scenarios"). New variants are zoo/ files instead.
 */
export interface MealLogClientBugs {
  /** The document's timeline: the socket is opened only when NutritionView appears, after the meal was submitted; no pre-connection check. */
  connectsAfterSubmit?: boolean;
  /** `isWebSocketConnected = true` as soon as the socket opens, before any server message. */
  trustsTransportState?: boolean;
  /** The polling loop never checks whether a meal is still processing: it runs whenever the socket is not verified. */
  pollsForever?: boolean;
  /** Polling stops the moment the socket opens, and nothing is fetched to catch up on what was missed. */
  stopsPollingOnConnect?: boolean;
  /** No `guard !isWebSocketConnecting`: a connect while one is in progress opens a second socket (the first is leaked). */
  duplicateConnect?: boolean;
  /** Each upload attempt mints a fresh local id, so a retried upload whose answer was lost creates the meal twice. */
  outboxDoubleUpload?: boolean;
}

/** Bugs of meal-log servers (server variants). */
export interface MealLogServerBugs {
  /** The document's backend: a connection is acknowledged at once but registered only after `registrationDelay`; a completion that finds no registered connection is dropped. */
  lateRegistration?: boolean;
  /** Registers correctly, but drops (rather than keeps) a completion for a user with no connection. */
  forgetsPending?: boolean;
}
