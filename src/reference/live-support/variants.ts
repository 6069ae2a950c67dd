import type { ClientVariant } from '../../conformance/protocol.js';
import type { LiveServerVariant } from './server.js';
import { broadcastBlocksSendServer } from './zoo/broadcast-blocks-send-server.js';
import { broadcastOnlyOnTimerServer } from './zoo/broadcast-only-on-timer-server.js';
import { countBasedDetection } from './zoo/count-based-detection.js';
import { dashboardBackoffResetsOnOpen } from './zoo/dashboard-backoff-resets-on-open.js';
import { dashboardCleanCloseAsLogout } from './zoo/dashboard-clean-close-as-logout.js';
import { dashboardCountBasedRefresh } from './zoo/dashboard-count-based-refresh.js';
import { dashboardNeverReconnects } from './zoo/dashboard-never-reconnects.js';
import { dashboardReconnectsOnlyOnCleanClose } from './zoo/dashboard-reconnects-only-on-clean-close.js';
import { dashboardWaitsForOnlineEvent } from './zoo/dashboard-waits-for-online-event.js';
import { flattensAllChats } from './zoo/flattens-all-chats.js';
import { intervalRecreatedPerMessage } from './zoo/interval-recreated-per-message.js';
import { missingUserFilter } from './zoo/missing-user-filter.js';
import { noActiveFlag } from './zoo/no-active-flag.js';
import { ownMessagesFromAckOnly } from './zoo/own-messages-from-ack-only.js';
import { pollsEvery200ms } from './zoo/polls-every-200ms.js';
import { skipsOlderThanNewestShown } from './zoo/skips-older-than-newest-shown.js';
import { stopsPollingAfterError } from './zoo/stops-polling-after-error.js';
import { widgetPollDiesOnHtmlBody } from './zoo/widget-poll-dies-on-html-body.js';

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
  'dashboard-reconnects-only-on-clean-close': dashboardReconnectsOnlyOnCleanClose,
  'dashboard-clean-close-as-logout': dashboardCleanCloseAsLogout,
  'dashboard-backoff-resets-on-open': dashboardBackoffResetsOnOpen,
  'widget-poll-dies-on-html-body': widgetPollDiesOnHtmlBody,
};

/** The live-support server variants (zoo/*-server.ts): the document's two broadcast bugs, caught with the reference clients (`--server NAME`). */
export const liveSupportServerVariants: Record<string, LiveServerVariant> = {
  'broadcast-only-on-timer': broadcastOnlyOnTimerServer,
  'broadcast-blocks-send': broadcastBlocksSendServer,
};
