/**
 * The live-support requirement catalogue (docs/protocols/live-support.md,
 * "Requirements"): LIVE-1 … LIVE-14, each with exactly one checker in `requirements/`.
 * Checkers read the finished trace only (the model in `requirements/model.ts`): what the
 * user did, what crossed the wire, what the server logged and sent, and what the user saw.
 * They never throw on a trace they do not understand, and a requirement the trace gave no
 * opportunity to violate is `not-exercised`.
 */
import type { Requirement } from '../../conformance/requirement.js';
import { checkBroadcastShown } from './requirements/broadcast-shown.js';
import { checkCurrentChatOnly } from './requirements/current-chat.js';
import { checkImmediateBroadcast } from './requirements/immediate-broadcast.js';
import { checkKeepsPolling } from './requirements/keeps-polling.js';
import { checkOwnUsersOnly } from './requirements/own-customers.js';
import { checkPollRate } from './requirements/poll-rate.js';
import { checkReconnectRate } from './requirements/reconnect-rate.js';
import { checkReconnects } from './requirements/reconnects.js';
import { checkSendIndependent } from './requirements/send-independent.js';
import { checkNoStaleUpdate } from './requirements/stale-update.js';
import { checkUsesSocket } from './requirements/uses-socket.js';
import { checkAgentMessageShown, checkCustomerMessageShown, checkReplacementShown } from './requirements/widget-delivery.js';

const doc = 'live-support-chat-polling-fixes.md';

/** LIVE-1 … LIVE-14, as in docs/protocols/live-support.md. */
export const liveSupportRequirements: Requirement[] = [
  {
    id: 'LIVE-1',
    level: 'MUST',
    kind: 'safety',
    text: 'A mounted widget polls at most once per 2 s — one polling loop, however many messages arrive: no poll starts less than 2 s − T after the one before.',
    source: `${doc} § Problem 1, § Fix 1 ("Reduced polling from 3s → 2s"), § Step 5 (Verify No Duplicate Intervals)`,
    check: checkPollRate,
  },
  {
    id: 'LIVE-2',
    level: 'MUST',
    kind: 'safety',
    text: 'No state update from a response that arrives after the widget unmounted or its chat changed, and no poll for the old chat after it.',
    source: `${doc} § Fix 1 ("Added isActive cleanup flag to prevent stale updates", "Proper cleanup on unmount")`,
    check: checkNoStaleUpdate,
  },
  {
    id: 'LIVE-3',
    level: 'MUST',
    kind: 'liveness',
    text: 'A replaced message (same count, new id) is shown in place of the old one within T of the first poll answer that lists it.',
    source: `${doc} § Problem 4, § Fix 1 ("Compare message IDs instead of count")`,
    check: checkReplacementShown,
  },
  {
    id: 'LIVE-4',
    level: 'MUST',
    kind: 'safety',
    text: 'A dashboard shows only the customers whose dashboard_user_id is its own.',
    source: `${doc} § Problem 2, § Fix 2`,
    check: checkOwnUsersOnly,
  },
  {
    id: 'LIVE-5',
    level: 'MUST',
    kind: 'liveness',
    subject: 'server',
    text: 'The server sends every stored message to every subscribed dashboard socket within A of storing it, not with the background cycle.',
    source: `${doc} § Problem 3, § Fix 3, § Step 3 (Test Widget → Dashboard)`,
    check: checkImmediateBroadcast,
  },
  {
    id: 'LIVE-6',
    level: 'MUST',
    kind: 'safety',
    subject: 'server',
    text: 'A broadcast never fails or delays the send that triggered it: a stored message is answered 2xx before its broadcast completes.',
    source: `${doc} § Fix 3 ("Non-blocking async broadcast", "broadcast failure won't break message sending")`,
    check: checkSendIndependent,
  },
  {
    id: 'LIVE-7',
    level: 'MUST',
    kind: 'liveness',
    text: "An agent's message is shown by every widget on its chat within T of the first poll answer that lists it.",
    source: `${doc} § Step 4 (Test Dashboard → Widget), § Performance Improvements`,
    check: checkAgentMessageShown,
  },
  {
    id: 'LIVE-8',
    level: 'MUST',
    kind: 'liveness',
    text: 'A mounted widget keeps polling: the first poll at once (within T), each next within 2 s + T of an answer (30 s + T of a failure).',
    source: `${doc} § Fix 1, § Technical Details (Widget Polling: "Polls immediately on mount, then every 2s")`,
    check: checkKeepsPolling,
  },
  {
    id: 'LIVE-9',
    level: 'MUST',
    kind: 'liveness',
    text: 'A dashboard shows the messages of its own customers that a chat_updates frame lists within T of the frame arriving.',
    source: `${doc} § Problem 2 ("no chats displayed"), § Performance Improvements ("Dashboard updates immediately")`,
    check: checkBroadcastShown,
  },
  {
    id: 'LIVE-10',
    level: 'MUST',
    kind: 'liveness',
    text: 'An opened dashboard subscribes to chat_updates over the WebSocket /ws/dashboard within 2 s + T.',
    source: `${doc} § Technical Details (Dashboard Updates: "Endpoint: WebSocket /ws/dashboard", "Subscription: chat_updates channel")`,
    check: checkUsesSocket,
  },
  {
    id: 'LIVE-11',
    level: 'MUST',
    kind: 'liveness',
    text: 'A dashboard that loses its socket while open is subscribed again within 30 s + T of the way being clear.',
    source: `${doc} § How to Test, Step 1 (Restart Backend), § Benefits ("More Reliable")`,
    check: checkReconnects,
  },
  {
    id: 'LIVE-12',
    level: 'MUST',
    kind: 'liveness',
    text: "A customer's message is shown by every widget on its chat within T of the first poll answer that lists it.",
    source: `${doc} § Performance Improvements ("Widget polls (2s backup)")`,
    check: checkCustomerMessageShown,
  },
  {
    id: 'LIVE-13',
    level: 'MUST',
    kind: 'safety',
    text: "A widget shows only its current chat's messages once its first poll answer has arrived.",
    source: `${doc} § Fix 1 (the effect depends on currentChatId; "Compare message IDs")`,
    check: checkCurrentChatOnly,
  },
  {
    id: 'LIVE-14',
    level: 'MUST',
    kind: 'safety',
    text: 'A dashboard whose sockets keep dropping right after they open backs off: while they end within 5 s of opening, at most 10 connection attempts in any 30 s.',
    source: `${doc} § How to Test, Step 1 (Restart Backend: every open dashboard reconnects at once), § Benefits ("More Reliable", "Efficient")`,
    check: checkReconnectRate,
  },
];
