import type { ClientVariant } from '../../conformance/protocol.js';
import { backoffResetOnOpen } from './zoo/backoff-reset-on-open.js';
import { cleanCloseIsFinal } from './zoo/clean-close-is-final.js';
import { crashesOnHtmlBody } from './zoo/crashes-on-html-body.js';
import { duplicatePoller } from './zoo/duplicate-poller.js';
import { fastPoller } from './zoo/fast-poller.js';
import { fixedPollInterval } from './zoo/fixed-poll-interval.js';
import { ignoresRetryAfter } from './zoo/ignores-retry-after.js';
import { givesUpAfterMaxRetries } from './zoo/gives-up-after-max-retries.js';
import { leaksOldConversation } from './zoo/leaks-old-conversation.js';
import { neverStopsPolling } from './zoo/never-stops-polling.js';
import { noBackoff } from './zoo/no-backoff.js';
import { noCatchUpOnReconnect } from './zoo/no-catch-up-on-reconnect.js';
import { noDedupe } from './zoo/no-dedupe.js';
import { noHeartbeat } from './zoo/no-heartbeat.js';
import { noOptimisticUpdate } from './zoo/no-optimistic-update.js';
import { ordersByArrival } from './zoo/orders-by-arrival.js';
import { outboxResends } from './zoo/outbox-resends.js';
import { outboxRetriesOn401 } from './zoo/outbox-retries-on-401.js';
import { pollingOnly } from './zoo/polling-only.js';
import { pollsWhileHealthy } from './zoo/polls-while-healthy.js';
import { reconnectsOverOpenSocket } from './zoo/reconnects-over-open-socket.js';
import { retriesOn401 } from './zoo/retries-on-401.js';
import { sleepsBeforeFirstPoll } from './zoo/sleeps-before-first-poll.js';
import { stopsPollingOnError } from './zoo/stops-polling-on-error.js';

/**
 * The chat zoo: realistic bugs, each caught by the requirement named (docs/protocols/chat.md).
 * One file each in zoo/: the reference with exactly one decision overridden.
 */
export const chatVariants: Record<string, ClientVariant> = {
  'polls-while-healthy': pollsWhileHealthy,
  'duplicate-poller': duplicatePoller,
  'never-stops-polling': neverStopsPolling,
  'no-dedupe': noDedupe,
  'orders-by-arrival': ordersByArrival,
  'no-backoff': noBackoff,
  'no-heartbeat': noHeartbeat,
  'leaks-old-conversation': leaksOldConversation,
  'outbox-resends': outboxResends,
  'retries-on-401': retriesOn401,
  'polling-only': pollingOnly,
  'gives-up-after-max-retries': givesUpAfterMaxRetries,
  'fast-poller': fastPoller,
  'stops-polling-on-error': stopsPollingOnError,
  'no-optimistic-update': noOptimisticUpdate,
  'reconnects-over-open-socket': reconnectsOverOpenSocket,
  'sleeps-before-first-poll': sleepsBeforeFirstPoll,
  'no-catch-up-on-reconnect': noCatchUpOnReconnect,
  'fixed-poll-interval': fixedPollInterval,
  'backoff-reset-on-open': backoffResetOnOpen,
  'ignores-retry-after': ignoresRetryAfter,
  'clean-close-is-final': cleanCloseIsFinal,
  'crashes-on-html-body': crashesOnHtmlBody,
  'outbox-retries-on-401': outboxRetriesOn401,
};
