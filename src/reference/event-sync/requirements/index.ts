/**
 * The event-sync requirement catalogue (docs/protocols/event-sync.md, "Requirements"):
 * SYNC-1 … SYNC-15, each with exactly one checker (one file each). Checkers read the
 * finished trace only (see `model.ts`): the server's side — stream frames, REST pages,
 * `rest.page` and `checkpoint.issued` logs — is the truth; the client's snapshots are
 * judged against it. They never throw on a trace they do not understand: a step with
 * unexpected fields is skipped, and a requirement the trace gave no opportunity to
 * violate is `not-exercised` — but a snapshot that breaks the snapshot contract fails
 * every requirement that needs the broken field.
 */
import type { Requirement } from '../../../conformance/requirement.js';
import { checkSinceIsCheckpoint } from './sync-01-since.js';
import { checkProgress } from './sync-02-progress.js';
import { checkCheckpointSaved } from './sync-03-checkpoint.js';
import { checkFallback } from './sync-04-fallback.js';
import { checkStoreExact } from './sync-05-store.js';
import { checkInvalidSkipped } from './sync-06-invalid.js';
import { checkOneSync } from './sync-07-one-sync.js';
import { checkPaging } from './sync-08-paging.js';
import { checkResumable } from './sync-09-resumable.js';
import { checkFallbackKeepsApplied } from './sync-10-fallback-keeps.js';
import { checkStreamFirst } from './sync-11-stream-first.js';
import { checkClosesAfterComplete } from './sync-12-close-after-complete.js';
import { checkProgressShown } from './sync-13-progress-shown.js';
import { checkNoRetryAfter401 } from './sync-14-no-retry-after-401.js';
import { checkRetryAfter } from './sync-15-retry-after.js';

const doc = 'event-sync-websocket-streaming.md';

/** SYNC-1 … SYNC-15, as in docs/protocols/event-sync.md. */
export const eventSyncRequirements: Requirement[] = [
  {
    id: 'SYNC-1',
    level: 'MUST',
    kind: 'safety',
    text: 'Every stream request and page request carries since = the saved checkpoint, or a resume point between it and the last event already received.',
    source: `${doc} § Implementation 2 Send Request ("Encode SyncStreamRequest with last checkpoint")`,
    check: checkSinceIsCheckpoint,
  },
  {
    id: 'SYNC-2',
    level: 'MUST',
    kind: 'safety',
    text: 'Within a sync, progress (processed, total) never decreases, never shows processed above total, and shows processed = total at completion.',
    source: `${doc} § Progress Tracking`,
    check: checkProgress,
  },
  {
    id: 'SYNC-3',
    level: 'MUST',
    kind: 'safety',
    text: "The checkpoint is saved only after completion, equal to the server's final checkpoint, and never goes backwards or is lost (also across an app restart).",
    source: `${doc} § Implementation 5 Save Checkpoint ("On completion, save new checkpoint")`,
    check: checkCheckpointSaved,
  },
  {
    id: 'SYNC-4',
    level: 'MUST',
    kind: 'liveness',
    text: 'Any stream failure (connect failure, close, error frame, malformed frame, 10 s stall) closes the socket and starts the REST fallback within T; stream and REST never run at once.',
    source: `${doc} § Fallback Strategy, § Implementation 6 Error Handling`,
    check: checkFallback,
  },
  {
    id: 'SYNC-5',
    level: 'MUST',
    kind: 'safety',
    text: "After each completed sync the local store holds exactly the server's valid events up to the new checkpoint — none missing, none twice — including at batch and equal-timestamp boundaries.",
    source: `${doc} § Implementation 4 Process Events ("Filter duplicates")`,
    check: checkStoreExact,
  },
  {
    id: 'SYNC-6',
    level: 'MUST',
    kind: 'safety',
    text: 'Invalid events are skipped and counted, never stored, and never abort the sync.',
    source: `${doc} § Implementation 4 Process Events ("Filter duplicates and invalid events")`,
    check: checkInvalidSkipped,
  },
  {
    id: 'SYNC-7',
    level: 'MUST',
    kind: 'safety',
    text: 'One sync at a time: never two streams, nor two page requests, in flight at once.',
    source: `${doc} § Progress Tracking (one isInitialSyncInProgress), § SyncManager.pullEvents()`,
    check: checkOneSync,
  },
  {
    id: 'SYNC-8',
    level: 'MUST',
    kind: 'liveness',
    text: 'REST pages are of 100 and follow the cursor until a page says hasMore: false (a short page is not the last): the next page within T of a page with hasMore, a failed page retried within 30 s + T.',
    source: `${doc} § Problem ("one per batch of 100"), § Fallback Strategy ("REST polling logic is unchanged")`,
    check: checkPaging,
  },
  {
    id: 'SYNC-9',
    level: 'SHOULD',
    kind: 'safety',
    text: 'Resumable streams: after a mid-stream failure the next request starts from the last event received, not from the checkpoint again.',
    source: `${doc} § Future Enhancements (Resumable Streams)`,
    check: checkResumable,
  },
  {
    id: 'SYNC-10',
    level: 'MUST',
    kind: 'safety',
    text: 'Events applied before a stream failure are neither lost nor applied twice by the fallback.',
    source: `${doc} § Fallback Strategy ("Connection drops mid-stream"), § Testing (Manual Testing 3)`,
    check: checkFallbackKeepsApplied,
  },
  {
    id: 'SYNC-11',
    level: 'MUST',
    kind: 'liveness',
    text: 'Every sync starts with the stream: it connects to /v1/sync/stream with the user token within T, sends sync.stream.request once open, keeps the stream until it completes or fails, and pages through REST only after that.',
    source: `${doc} § SyncManager.pullEvents() ("Try WebSocket streaming first"), § Implementation 1 Connect`,
    check: checkStreamFirst,
  },
  {
    id: 'SYNC-12',
    level: 'MUST',
    kind: 'liveness',
    text: 'After sync.stream.complete the client closes the stream socket within T.',
    source: `${doc} § Flow Diagram ("Close WebSocket")`,
    check: checkClosesAfterComplete,
  },
  {
    id: 'SYNC-13',
    level: 'MUST',
    kind: 'safety',
    text: 'Progress is shown while a sync runs: once part of the events announced has arrived, progress shows 0 < processed < total before the sync completes.',
    source: `${doc} § Progress Tracking ("Each batch increments _initialSyncEventsProcessed"), § Solution ("Real-time progress updates")`,
    check: checkProgressShown,
  },
  {
    id: 'SYNC-14',
    level: 'SHOULD',
    kind: 'safety',
    text: 'After a page answered 401 the client sends no further request with the refused token (no page, no stream) until the user syncs again or the app restarts.',
    source: 'RFC 9110 § 15.5.2 (a 401 refuses "those credentials"; a repeat carries "a new or replaced Authorization header field"); the source says nothing about 401',
    check: checkNoRetryAfter401,
  },
  {
    id: 'SYNC-15',
    level: 'SHOULD',
    kind: 'safety',
    text: 'After a page answered 429 or 503 with Retry-After: n, the client asks for no page before n s have passed.',
    source: 'RFC 9110 § 10.2.3 ("how long the user agent ought to wait before making a follow-up request"), RFC 6585 § 4; the source\'s REST code knows no Retry-After',
    check: checkRetryAfter,
  },
];
