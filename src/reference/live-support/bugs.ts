/**
 * Realistic bugs a live-support client can have, each reproducing one of the mistakes
 * the source document says were fixed. The reference client has none; the document's
 * four variants (variants.ts) each switch exactly one on. Newer variants are files of
 * their own in `zoo/` that override one decision of the reference machines instead.
 */
export interface LiveSupportBugs {
  /**
   * The widget's polling effect lists the message count among its dependencies (the
   * source's Problem 1, `lastMessageCount` in the dependency array): every new message
   * tears the effect down and runs it again — an immediate poll and a new 2 s interval —
   * while the interval of the run before is left running ("multiple overlapping
   * intervals, memory leaks").
   */
  intervalRecreatedPerMessage?: boolean;
  /** The widget's effect has no `isActive` flag: a poll answered after unmount or after the chat changed still sets the messages. */
  noActiveFlag?: boolean;
  /** The widget detects changes by message count only (Problem 4): a replaced message with an unchanged count is never shown. */
  countBasedDetection?: boolean;
  /** The dashboard does not filter the broadcast by `dashboard_user_id` (Problem 2): it shows every dashboard user's customers. */
  missingUserFilter?: boolean;
}
