import type { ClientVariant, ServerVariant } from '../../conformance/protocol.js';
import type { LiveSupportBugs } from './bugs.js';
import { createLiveSupportClient } from './client.js';
import { dashboardCountBasedRefresh } from './zoo/dashboard-count-based-refresh.js';
import { dashboardNeverReconnects } from './zoo/dashboard-never-reconnects.js';
import { dashboardWaitsForOnlineEvent } from './zoo/dashboard-waits-for-online-event.js';
import { flattensAllChats } from './zoo/flattens-all-chats.js';
import { ownMessagesFromAckOnly } from './zoo/own-messages-from-ack-only.js';
import { pollsEvery200ms } from './zoo/polls-every-200ms.js';
import { stopsPollingAfterError } from './zoo/stops-polling-after-error.js';

const variant = (description: string, violates: string[], bugs: LiveSupportBugs): ClientVariant => ({
  description,
  violates,
  create: (env) => createLiveSupportClient(env, { bugs }),
});

/**
 * The live-support zoo: the document's four client-side bugs (bug flags of the reference
 * client) and one file per further realistic bug in `zoo/`, each caught by the
 * requirement named (docs/protocols/live-support.md, "Faulty variants").
 */
export const liveSupportVariants: Record<string, ClientVariant> = {
  'interval-recreated-per-message': variant(
    'the polling effect depends on the message count: every new message re-runs it (an immediate poll, a new 2 s interval) and leaves the old interval running',
    ['LIVE-1'],
    { intervalRecreatedPerMessage: true },
  ),
  'no-active-flag': variant(
    'no isActive flag: a poll answered after unmount or after the chat changed still sets the messages',
    ['LIVE-2'],
    { noActiveFlag: true },
  ),
  'count-based-detection': variant(
    'detects new messages by count only: a replaced message with an unchanged count is never shown',
    ['LIVE-3'],
    {
      countBasedDetection: true,
    },
  ),
  'missing-user-filter': variant(
    'the dashboard does not filter the broadcast by dashboard_user_id: it shows every agent\u2019s customers',
    ['LIVE-4'],
    {
      missingUserFilter: true,
    },
  ),
  'polls-every-200ms': pollsEvery200ms,
  'stops-polling-after-error': stopsPollingAfterError,
  'own-messages-from-ack-only': ownMessagesFromAckOnly,
  'flattens-all-chats': flattensAllChats,
  'dashboard-count-based-refresh': dashboardCountBasedRefresh,
  'dashboard-waits-for-online-event': dashboardWaitsForOnlineEvent,
  'dashboard-never-reconnects': dashboardNeverReconnects,
};

/** The live-support server variants: the document's two broadcast bugs, caught with the reference clients (`--server NAME`). */
export const liveSupportServerVariants: Record<string, ServerVariant> = {
  'broadcast-only-on-timer': {
    description:
      'no immediate broadcast on send: the dashboard learns of a message only from the 2 s background cycle (the source\u2019s Problem 3)',
    breaks: ['LIVE-5'],
  },
  'broadcast-blocks-send': {
    description:
      'the send awaits its broadcast before answering, and answers 500 when the broadcast fails (what Fix 3\u2019s non-blocking, non-critical broadcast avoids)',
    breaks: ['LIVE-6'],
  },
};
