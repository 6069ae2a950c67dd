import type { ClientVariant } from '../../conformance/protocol.js';
import type { MealLogServerVariant } from './server.js';
import { backoffNeverResets } from './zoo/backoff-never-resets.js';
import { batchesPushedUpdates } from './zoo/batches-pushed-updates.js';
import { connectsAfterSubmit } from './zoo/connects-after-submit.js';
import { duplicateConnect } from './zoo/duplicate-connect.js';
import { firstPollAfterTwoIntervals } from './zoo/first-poll-after-two-intervals.js';
import { pollsAtFixedInterval } from './zoo/polls-at-fixed-interval.js';
import { preConnectWaitInMs } from './zoo/pre-connect-wait-in-ms.js';
import { launchPollNotCancelled } from './zoo/launch-poll-not-cancelled.js';
import { forgetsPendingServer } from './zoo/forgets-pending-server.js';
import { lateRegistrationServer } from './zoo/late-registration-server.js';
import { neverConnects } from './zoo/never-connects.js';
import { neverReconnectsAfterOffline } from './zoo/never-reconnects-after-offline.js';
import { outboxDoubleUpload } from './zoo/outbox-double-upload.js';
import { pollsEvery100ms } from './zoo/polls-every-100ms.js';
import { pollsForever } from './zoo/polls-forever.js';
import { stopsPollingOnConnect } from './zoo/stops-polling-on-connect.js';
import { trustsTransportState } from './zoo/trusts-transport-state.js';
import { pollsUtcToday } from './zoo/polls-utc-today.js';
import { outboxLostOnQuota } from './zoo/outbox-lost-on-quota.js';
import { crashesOnCaptivePortal } from './zoo/crashes-on-captive-portal.js';
import { uploadRetriesOnlyOnTimeout } from './zoo/upload-retries-only-on-timeout.js';

/** The meal-log client zoo: realistic bugs, each caught by the requirement named (docs/protocols/meal-log.md). */
export const mealLogVariants: Record<string, ClientVariant> = {
  'connects-after-submit': connectsAfterSubmit,
  'trusts-transport-state': trustsTransportState,
  'polls-forever': pollsForever,
  'stops-polling-on-connect': stopsPollingOnConnect,
  'duplicate-connect': duplicateConnect,
  'outbox-double-upload': outboxDoubleUpload,
  'never-connects': neverConnects,
  'never-reconnects-after-offline': neverReconnectsAfterOffline,
  'polls-every-100ms': pollsEvery100ms,
  'batches-pushed-updates': batchesPushedUpdates,
  'backoff-never-resets': backoffNeverResets,
  'first-poll-after-two-intervals': firstPollAfterTwoIntervals,
  'polls-at-fixed-interval': pollsAtFixedInterval,
  'pre-connect-wait-in-ms': preConnectWaitInMs,
  'launch-poll-not-cancelled': launchPollNotCancelled,
  'polls-utc-today': pollsUtcToday,
  'outbox-lost-on-quota': outboxLostOnQuota,
  'crashes-on-captive-portal': crashesOnCaptivePortal,
  'upload-retries-only-on-timeout': uploadRetriesOnlyOnTimeout,
};

/** Faulty servers, addressed with `--server NAME`, and what they do to the reference client. */
export const mealLogServerVariants: Record<string, MealLogServerVariant> = {
  'late-registration': lateRegistrationServer,
  'forgets-pending': forgetsPendingServer,
};
