import type { ClientVariant, ServerVariant } from '../../conformance/protocol.js';
import { countBasedDetection } from './zoo/count-based-detection.js';
import { dashboardCountBasedRefresh } from './zoo/dashboard-count-based-refresh.js';
import { dashboardNeverReconnects } from './zoo/dashboard-never-reconnects.js';
import { dashboardWaitsForOnlineEvent } from './zoo/dashboard-waits-for-online-event.js';
import { flattensAllChats } from './zoo/flattens-all-chats.js';
import { intervalRecreatedPerMessage } from './zoo/interval-recreated-per-message.js';
import { missingUserFilter } from './zoo/missing-user-filter.js';
import { noActiveFlag } from './zoo/no-active-flag.js';
import { ownMessagesFromAckOnly } from './zoo/own-messages-from-ack-only.js';
import { pollsEvery200ms } from './zoo/polls-every-200ms.js';
import { skipsOlderThanNewestShown } from './zoo/skips-older-than-newest-shown.js';
import { stopsPollingAfterError } from './zoo/stops-polling-after-error.js';

/**
 * The live-support zoo: one file per realistic client bug in `zoo/` — first the source
 * document's four client-side problems, then further ones — each the reference client
 * with one decision overridden, caught by the requirement named
 * (docs/protocols/live-support.md, "Faulty variants").
 */
export const liveSupportVariants: Record<string, ClientVariant> = {
  'interval-recreated-per-message': intervalRecreatedPerMessage,
  'no-active-flag': noActiveFlag,
  'count-based-detection': countBasedDetection,
  'missing-user-filter': missingUserFilter,
  'polls-every-200ms': pollsEvery200ms,
  'stops-polling-after-error': stopsPollingAfterError,
  'own-messages-from-ack-only': ownMessagesFromAckOnly,
  'flattens-all-chats': flattensAllChats,
  'dashboard-count-based-refresh': dashboardCountBasedRefresh,
  'dashboard-waits-for-online-event': dashboardWaitsForOnlineEvent,
  'dashboard-never-reconnects': dashboardNeverReconnects,
  'skips-older-than-newest-shown': skipsOlderThanNewestShown,
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
