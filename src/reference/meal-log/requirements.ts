/**
 * The meal-log requirement catalogue (docs/protocols/meal-log.md, "Requirements"):
 * MEAL-1 … MEAL-16, each with a level, one sentence, the source section and exactly one
 * checker (in `requirements/`, one file each, over the shared trace model of
 * `requirements/model.ts`). Checkers read the finished trace only; they never throw on a
 * trace they do not understand, and a requirement the trace gave no opportunity to
 * violate is `not-exercised`.
 */
import type { Requirement } from '../../conformance/requirement.js';
import { checkAdaptivePolling } from './requirements/adaptive-polling.js';
import { checkBackoff } from './requirements/backoff.js';
import { checkConnectBeforeUpload } from './requirements/connect-before-upload.js';
import { checkCreatedOnce } from './requirements/created-once.js';
import { checkFallbackPolls } from './requirements/fallback-polls.js';
import { checkFinalStatusShown } from './requirements/final-status-shown.js';
import { checkNoPollWhileVerified } from './requirements/no-poll-while-verified.js';
import { checkOneSocket } from './requirements/one-socket.js';
import { checkPollRate } from './requirements/poll-rate.js';
import { checkPollingStops } from './requirements/polling-stops.js';
import { checkPreConnectWait } from './requirements/pre-connect-wait.js';
import { checkPushShown } from './requirements/push-shown.js';
import { checkReconnectOnline } from './requirements/reconnect-online.js';
import { checkServerRegistry } from './requirements/server-registry.js';
import { checkUsesWebSocket } from './requirements/uses-websocket.js';
import { checkVerifiedByMessage } from './requirements/verified-by-message.js';

const doc = 'meal-log-websocket-connection-timing.md';

/** The meal-log requirements, in order. */
export const mealLogRequirements: Requirement[] = [
  {
    id: 'MEAL-1',
    level: 'MUST',
    kind: 'safety',
    text: 'The client has at most one WebSocket connecting or open: it never connects while a connection is in progress or open.',
    source: `${doc} § Solution 2 (guard !isWebSocketConnecting), § Implementation Checklist ("connection state guards to prevent duplicate connections")`,
    check: checkOneSocket,
  },
  {
    id: 'MEAL-2',
    level: 'MUST',
    kind: 'safety',
    text: 'The socket counts as verified (isWebSocketConnected) only after a server message arrived on it, and only while it is open.',
    source: `${doc} § Solution 3 Verify Connection on Message Receipt, § Key Learnings 2 ("Trust but verify")`,
    check: checkVerifiedByMessage,
  },
  {
    id: 'MEAL-3',
    level: 'MUST',
    kind: 'safety',
    text: 'No poll starts while the first socket of an app launch is verified and healthy (a frame within H + T).',
    source: `${doc} § Solution 4 Enhanced Polling Logic ("Stop if WebSocket is connected AND verified")`,
    check: checkNoPollWhileVerified,
  },
  {
    id: 'MEAL-4',
    level: 'MUST',
    kind: 'liveness',
    text: "Every submitted meal is shown with the server's final status (completed or failed) within B = 120 s + T after the later of the heal and the end of its processing.",
    source: `${doc} § Testing Strategy 1–2 ("UI updates"), § Expected Outcomes (After Fix)`,
    check: checkFinalStatusShown,
  },
  {
    id: 'MEAL-5',
    level: 'MUST',
    kind: 'safety',
    text: 'Polling stops when nothing is processing: no poll starts once the server has told the client that none of its meals is processing.',
    source: `${doc} § Solution 4 ("Stop if no meals are processing")`,
    check: checkPollingStops,
  },
  {
    id: 'MEAL-6',
    level: 'MUST',
    kind: 'safety',
    subject: 'server',
    text: 'The server never reports an acknowledged, open connection as not connected, and loses no completion: each is notified, or kept and sent on the user\u2019s next registration.',
    source: `${doc} § Root Cause, § Evidence from Logs ("User not connected to WebSocket, skipping notification"), § Deployment Notes (Backend)`,
    check: checkServerRegistry,
  },
  {
    id: 'MEAL-7',
    level: 'MUST',
    kind: 'safety',
    text: 'Each meal the user submitted is created on the server exactly once, despite retried uploads and app restarts.',
    source: `${doc} § Evidence from Logs (SaveMealLogUseCase local ID, OutboxProcessor backend ID)`,
    check: checkCreatedOnce,
  },
  {
    id: 'MEAL-8',
    level: 'SHOULD',
    kind: 'safety',
    text: 'Polling adapts: 5 s, ×1.5 once 3 (or 4) consecutive polls changed nothing, at most 30 s, back to 5 s (or kept) after a change (± T).',
    source: `${doc} § Future Improvements 2 Adaptive Polling Interval`,
    check: checkAdaptivePolling,
  },
  {
    id: 'MEAL-9',
    level: 'MUST',
    kind: 'liveness',
    text: 'After a socket ends the client reconnects with backoff (1, 2, 4, 8, 16, then 30 s, each ±50 %, ± T; reset by a verified socket, and optionally by coming online or a user action), and no poll starts while a reconnected socket is verified and healthy.',
    source: `${doc} § Solution 5 Reconnection Support, § Testing Strategy 3 Connection Recovery`,
    check: checkBackoff,
  },
  {
    id: 'MEAL-10',
    level: 'SHOULD',
    kind: 'safety',
    text: 'A meal submitted while a connection is in progress is uploaded only once the socket opened or failed, or after 5 s.',
    source: `${doc} § Future Improvements 4 Pre-Connection Check`,
    check: checkPreConnectWait,
  },
  {
    id: 'MEAL-11',
    level: 'MUST',
    kind: 'liveness',
    text: 'While the client knows of a meal processing and no socket is verified it polls: the first listing within 5 s + T, then the next within 30 s + T after the previous one ended (requests given up within 60 s; time offline or in the background excepted).',
    source: `${doc} § Solution 2 ("Start polling as fallback"), § Testing Strategy 2 Fallback Path`,
    check: checkFallbackPolls,
  },
  {
    id: 'MEAL-12',
    level: 'MUST',
    kind: 'safety',
    text: 'After the app launches, the client starts connecting its WebSocket before (or as) it uploads a meal.',
    source: `${doc} § Root Cause ("WebSocket connects AFTER meal submission completes"), § Future Improvements 4 Pre-Connection Check`,
    check: checkConnectBeforeUpload,
  },
  {
    id: 'MEAL-13',
    level: 'MUST',
    kind: 'liveness',
    text: 'The client uses the WebSocket: in every app launch it connects to /ws/meal-logs within 1 s + T after NutritionView first appears or a meal is first submitted (time offline or in the background excepted).',
    source: `${doc} § Problem Statement ("Connecting to WebSocket"), § Solution 2 Update Connection Logic, § Deployment Notes ("Ensure /ws/meal-logs endpoint is stable")`,
    check: checkUsesWebSocket,
  },
  {
    id: 'MEAL-14',
    level: 'MUST',
    kind: 'liveness',
    text: 'When the device comes back online and the client has no socket connecting or open, it connects within 1.5 s + T.',
    source: `${doc} § Solution 5 Reconnection Support, § Testing Strategy 4 ("Network switches (WiFi → Cellular)")`,
    check: checkReconnectOnline,
  },
  {
    id: 'MEAL-15',
    level: 'MUST',
    kind: 'safety',
    text: 'Polls are at least 5 s − T apart: two consecutive polls of one polling run never start closer together.',
    source: `${doc} § Solution 4 (pollingInterval = 5.0), § Monitoring ("Alert on excessive polling")`,
    check: checkPollRate,
  },
  {
    id: 'MEAL-16',
    level: 'MUST',
    kind: 'liveness',
    text: 'A pushed completion is shown at once: within 1 s + T of its arrival, or of the end of the listing refresh the client started on it.',
    source: `${doc} § Testing Strategy 1 ("UI updates immediately"), § Expected Outcomes ("WebSocket working ✅ <1s"), § Solution 3 (handleMealLogCompleted)`,
    check: checkPushShown,
  },
];
