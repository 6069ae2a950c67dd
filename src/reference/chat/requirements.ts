/**
 * The chat requirement catalogue (docs/protocols/chat.md, "Requirements"): CHAT-1 …
 * CHAT-20, each with exactly one checker (one file each under `requirements/`, over the
 * shared trace model of `requirements/model.ts`). Checkers read the finished trace only:
 * the client's snapshots (what its user saw), actions, sockets and HTTP exchanges, the
 * server's logs and the fault windows. They never throw on a trace they do not understand:
 * a step with unexpected fields is skipped, and a requirement the trace gave no opportunity
 * to violate is `not-exercised`.
 */
import type { Requirement } from '../../conformance/requirement.js';
import { checkAdaptive } from './requirements/adaptive.js';
import { checkAuth } from './requirements/auth.js';
import { checkBackoff } from './requirements/backoff.js';
import { checkConversationClosed } from './requirements/conversation-closed.js';
import { checkDelivery } from './requirements/delivery.js';
import { checkFallbackStarts } from './requirements/fallback-starts.js';
import { checkHalfOpen } from './requirements/half-open.js';
import { checkNoDuplicates } from './requirements/no-duplicates.js';
import { checkOnePollingLoop } from './requirements/one-polling-loop.js';
import { checkOneSocket } from './requirements/one-socket.js';
import { checkOptimistic } from './requirements/optimistic.js';
import { checkOrder } from './requirements/order.js';
import { checkPollRate } from './requirements/poll-rate.js';
import { checkPollingContinues } from './requirements/polling-continues.js';
import { checkNoPollWhileHealthy, checkStopsPollingOnRecovery } from './requirements/polls-while-healthy.js';
import { checkRetriesAfterOnline } from './requirements/retries-after-online.js';
import { checkRetryAfter } from './requirements/retry-after.js';
import { checkSentOnce } from './requirements/sent-once.js';
import { checkUsesWebSocket } from './requirements/uses-websocket.js';

export { chatHealthWindow } from './requirements/model.js';

const fallbackDoc = 'chat-websocket-polling-fallback.md';
const syncDoc = 'chat-backend-sync-optimization.md';

/** CHAT-1 … CHAT-20, as in docs/protocols/chat.md. */
export const chatRequirements: Requirement[] = [
  {
    id: 'CHAT-1',
    level: 'MUST',
    kind: 'safety',
    text: 'While a conversation is open the client has at most one WebSocket connecting or open (beyond T), and it is for that conversation.',
    source: `${fallbackDoc} § Test Case 5 ("No duplicate connections"), § Known Limitations 4`,
    check: checkOneSocket,
  },
  {
    id: 'CHAT-2',
    level: 'MUST',
    kind: 'safety',
    text: 'The visible message list never shows two messages with the same id, nor an optimistic copy beside another entry for the same send.',
    source: `${fallbackDoc} § 4 Message Deduplication`,
    check: checkNoDuplicates,
  },
  {
    id: 'CHAT-3',
    level: 'MUST',
    kind: 'safety',
    text: "The messages the server stored appear in the visible list in the order of the server's timestamps.",
    source: `${fallbackDoc} § 4 ("Sort by timestamp")`,
    check: checkOrder,
  },
  {
    id: 'CHAT-4',
    level: 'MUST',
    kind: 'safety',
    text: "No poll starts while the conversation's first socket is healthy (open, and a frame arrived within H).",
    source: `${syncDoc} § Problem Statement, Key Principle`,
    check: checkNoPollWhileHealthy,
  },
  {
    id: 'CHAT-5',
    level: 'MUST',
    kind: 'liveness',
    text: 'After the socket fails while its conversation stays open, the first poll starts within one base interval (3 s + T), unless a socket opens first.',
    source: `${fallbackDoc} § 3 Polling Fallback`,
    check: checkFallbackStarts,
  },
  {
    id: 'CHAT-6',
    level: 'MUST',
    kind: 'safety',
    text: 'One polling loop: consecutive polls of a conversation start at least 0.9 × 2 s − T apart.',
    source: `${syncDoc} § 4 Prevent Duplicate Polling`,
    check: checkOnePollingLoop,
  },
  {
    id: 'CHAT-7',
    level: 'MUST',
    kind: 'safety',
    text: 'After a socket opens again (recovery), no poll starts while that socket is healthy.',
    source: `${syncDoc} § Scenario 3 ("Stop polling immediately")`,
    check: checkStopsPollingOnRecovery,
  },
  {
    id: 'CHAT-8',
    level: 'MUST',
    kind: 'safety',
    text: 'Reconnect attempts after consecutive failures wait 2, 4, 8, 16, 32 s (±10 % + T), and stop after 5.',
    source: `${fallbackDoc} § Retry Strategy`,
    check: checkBackoff,
  },
  {
    id: 'CHAT-9',
    level: 'MUST',
    kind: 'liveness',
    text: 'A half-open socket is abandoned (closed, or replaced by polling) within 1.1 × H + T of going silent.',
    source: `${fallbackDoc} § WebSocket Runtime Errors ("Ping/pong timeout")`,
    check: checkHalfOpen,
  },
  {
    id: 'CHAT-10',
    level: 'MUST',
    kind: 'liveness',
    text: 'After the network heals, every message the server stored for the open conversation is visible within 65 s (32 s backoff + 10 s slow poll + H + T).',
    source: `${fallbackDoc} § Summary ("Users always receive AI responses")`,
    check: checkDelivery,
  },
  {
    id: 'CHAT-11',
    level: 'MUST',
    kind: 'safety',
    text: "From T after a conversation is closed or switched away from, the client polls it no more (no GET), opens no socket for it, has closed its socket, and shows none of its messages. (Delivering the user's queued messages to it — outbox POSTs — is allowed.)",
    source: `${fallbackDoc} § On Conversation Close, § Test Case 5`,
    check: checkConversationClosed,
  },
  {
    id: 'CHAT-12',
    level: 'MUST',
    kind: 'liveness',
    text: 'A message the user sent (also while offline, also across an app restart) is stored by the server exactly once and shown exactly once after the network heals.',
    source: `${fallbackDoc} § Test Case 4, § Future Enhancements 5 (Message Queue)`,
    check: checkSentOnce,
  },
  {
    id: 'CHAT-13',
    level: 'SHOULD',
    kind: 'safety',
    text: 'Polling intervals adapt: 2 s while the user sent within 30 s, 5 s within 5 min, 10 s otherwise (±10 % + T).',
    source: `${fallbackDoc} § Future Enhancements 1 (Adaptive Polling)`,
    check: checkAdaptive,
  },
  {
    id: 'CHAT-14',
    level: 'MUST',
    kind: 'safety',
    text: 'After a 401 the client makes no further request and opens no socket until the user acts again.',
    source: `${fallbackDoc} § Error Handling (Authentication failure 401)`,
    check: checkAuth,
  },
  {
    id: 'CHAT-15',
    level: 'MUST',
    kind: 'liveness',
    text: 'The client uses the WebSocket: a conversation the user opens while nothing hinders a socket has one open within 1 s + 2T, and while nothing hinders it every message the server stores for the conversation reaches a socket of the client.',
    source: `${fallbackDoc} § 1 WebSocket Connection ("connects automatically when a conversation is opened"); ${syncDoc} § Summary, Key Principle ("Use real-time WebSocket when available")`,
    check: checkUsesWebSocket,
  },
  {
    id: 'CHAT-16',
    level: 'MUST',
    kind: 'liveness',
    text: 'When the device comes back online or the app returns to the foreground with a conversation open and no socket, the client tries the WebSocket again within 1.1 × 32 s + T.',
    source: `${fallbackDoc} § On App Backgrounding ("Reconnect WebSocket"), § Optimization Strategies 2; ${syncDoc} § Testing Recommendations 2 ("Confirm returns to WebSocket")`,
    check: checkRetriesAfterOnline,
  },
  {
    id: 'CHAT-17',
    level: 'MUST',
    kind: 'safety',
    text: 'Polling is never faster than the 3 s interval: consecutive polls of a conversation start at least 0.9 × 3 s − T apart, except within 30 s after the user sent (CHAT-6 bounds those).',
    source: `${fallbackDoc} § 3 Polling Fallback ("Poll every 3 seconds"), § Configuration ("Default: 3 seconds")`,
    check: checkPollRate,
  },
  {
    id: 'CHAT-18',
    level: 'MUST',
    kind: 'liveness',
    text: 'Polling continues through errors: while the socket is down, every poll is followed by the next within 1.1 × 10 s + T of its end.',
    source: `${fallbackDoc} § Polling Errors ("Error is logged but doesn't stop polling"), § Retry Strategy ("Stops only when conversation closed")`,
    check: checkPollingContinues,
  },
  {
    id: 'CHAT-19',
    level: 'MUST',
    kind: 'safety',
    text: 'A message the user sends is shown at once: within T of the send the visible list has one more entry with its text (optimistic update).',
    source: `${fallbackDoc} § 2 Message Sending with Streaming ("User message saved locally (optimistic update)")`,
    check: checkOptimistic,
  },
  {
    id: 'CHAT-20',
    level: 'SHOULD',
    kind: 'safety',
    text: 'After a 429 or 503 answer with Retry-After, the client sends no request to that path until the wait has passed (a wait over 10 s may be capped at 10 s).',
    source: `RFC 9110 § 10.2.3 Retry-After ("how long the user agent ought to wait"); ${fallbackDoc} § Polling Errors ("Polling is the last resort": capped at the slowest interval)`,
    check: checkRetryAfter,
  },
];
