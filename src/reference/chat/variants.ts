import type { ClientVariant } from '../../conformance/protocol.js';
import type { ChatBugs } from './bugs.js';
import { createChatClient } from './client.js';
import { fastPoller } from './zoo/fast-poller.js';
import { givesUpAfterMaxRetries } from './zoo/gives-up-after-max-retries.js';
import { noOptimisticUpdate } from './zoo/no-optimistic-update.js';
import { pollingOnly } from './zoo/polling-only.js';
import { stopsPollingOnError } from './zoo/stops-polling-on-error.js';

const variant = (description: string, violates: string[], bugs: ChatBugs): ClientVariant => ({
  description,
  violates,
  create: (env) => createChatClient(env, { bugs }),
});

/** The chat zoo: realistic bugs, each caught by the requirement named (docs/protocols/chat.md). */
export const chatVariants: Record<string, ClientVariant> = {
  'polls-while-healthy': variant(
    'polls every interval whether or not the socket is healthy (the documents\u2019 original behaviour)',
    ['CHAT-4'],
    { pollsWhileHealthy: true },
  ),
  'duplicate-poller': variant('no isPolling guard: every socket failure starts another polling loop', ['CHAT-6'], {
    duplicatePoller: true,
  }),
  'never-stops-polling': variant('keeps polling after the socket recovers', ['CHAT-7'], { neverStopsPolling: true }),
  'no-dedupe': variant('appends polled and pushed messages without checking ids', ['CHAT-2'], { noDedupe: true }),
  'orders-by-arrival': variant('shows messages in arrival order instead of by timestamp', ['CHAT-3'], { ordersByArrival: true }),
  'no-backoff': variant('reconnects one second after every failure, forever', ['CHAT-8'], { noBackoff: true }),
  'no-heartbeat': variant('never pings, so a half-open socket looks healthy forever', ['CHAT-9'], { noHeartbeat: true }),
  'leaks-old-conversation': variant('switching conversations leaves the old socket and poller running', ['CHAT-11'], {
    leaksOldConversation: true,
  }),
  'outbox-resends': variant('retries a failed send with a new clientMessageId', ['CHAT-12'], { outboxResends: true }),
  'retries-on-401': variant('treats 401 like any other error and keeps polling and reconnecting', ['CHAT-14'], { retriesOn401: true }),
  // One file each in zoo/: the reference with exactly one decision overridden.
  'polling-only': pollingOnly,
  'gives-up-after-max-retries': givesUpAfterMaxRetries,
  'fast-poller': fastPoller,
  'stops-polling-on-error': stopsPollingOnError,
  'no-optimistic-update': noOptimisticUpdate,
};
