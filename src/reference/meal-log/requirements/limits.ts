/**
 * What the meal-log requirements allow (docs/protocols/meal-log.md, "Timing"). These
 * are bounds on any conforming client, wider than what the reference client does
 * (`mealLogTiming` in wire.ts): a checker judges what the spec requires, never the
 * reference's habits.
 */
export const mealLogLimits = {
  /** H: the heartbeat window (15 s ping interval + 5 s pong timeout); a verified socket with a frame within H + T is healthy. */
  healthWindow: 20_000,
  /** A listing GET that starts within this long after a load point is a load, not a poll. */
  loadWindow: 1000,
  /** The document's `pollingInterval = 5.0`: the first poll is due this long after polling becomes necessary, and polls are at least this far apart. */
  pollInterval: 5000,
  /** The adaptive interval's cap (Future Improvements 2): the longest a client may wait after one listing ended before it starts the next. */
  pollMax: 30_000,
  /** The adaptive interval's growth factor. */
  pollGrowth: 1.5,
  /** The document's `consecutiveEmptyPolls > 3`, read either way: growth from the 3rd or from the 4th unchanged poll on. */
  unchangedBeforeGrowth: [3, 4] as readonly number[],
  /** The longest a client may wait for a request (iOS `URLSessionConfiguration.timeoutIntervalForRequest` defaults to 60 s). */
  requestWait: 60_000,
  /** Nominal reconnect delays for k = 0, 1, 2, … reconnects already made since the last reset (launch, a verified socket); the last repeats. */
  backoff: [1000, 2000, 4000, 8000, 16_000, 30_000] as readonly number[],
  /** Each reconnect delay may be randomized by up to ±50 % (jitter); the first reconnect after a verified socket may be immediate. */
  backoffJitter: 0.5,
  /** The pre-connection check's timeout (Future Improvements 4, `waitForConnection(timeout: 5.0)`). */
  preConnectWait: 5000,
  /** A client connects within this long after it first needs its socket (NutritionView appeared, or a meal was submitted). */
  connectWindow: 1000,
  /** A client with no socket connects within this long after the device is back online: the first backoff delay with its jitter. */
  onlineReconnect: 1500,
  /** "WebSocket Update <1s" (Expected Outcomes): a pushed completion is shown within this long. */
  pushShown: 1000,
  /**
   * B without T: how long after the heal (or a later completion) a meal's final status
   * may take to show: one request waited out (60 s) + the longest polling interval (30 s)
   * + the heartbeat window (20 s) + 10 s for one more round trip or upload retry.
   */
  deliveryBound: 120_000,
} as const;

/** The nominal reconnect delay after `k` earlier reconnects (MEAL-9's k). */
export function backoffDelay(k: number): number {
  const b = mealLogLimits.backoff;
  return b[Math.min(Math.max(0, k), b.length - 1)]!;
}

/** The earliest a reconnect may come after `k` earlier reconnects (MEAL-9's k) (before T): half the delay, or at once for k = 0. */
export function backoffLow(k: number): number {
  return k === 0 ? 0 : backoffDelay(k) * (1 - mealLogLimits.backoffJitter);
}

/** The latest a reconnect may come after `k` earlier reconnects (MEAL-9's k) (before T and disturbances). */
export function backoffHigh(k: number): number {
  return backoffDelay(k) * (1 + mealLogLimits.backoffJitter);
}
