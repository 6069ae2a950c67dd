/**
 * Bug: after a mid-stream failure the REST fallback asks from where the stream started
 * (its `since`), not from the last event the stream delivered: the failed stream's
 * request is simply replayed over REST, so every event already received is downloaded
 * again (de-duplicated by id, so nothing is stored twice — only time and data wasted).
 * Where it comes from: event-sync-websocket-streaming.md § SyncManager.pullEvents()
 * ("Fallback: REST API polling (existing code unchanged)", called with the same
 * checkpoint) — the § Future Enhancements "Resumable Streams" item this skips.
 * Caught by: SYNC-9 (SHOULD: after a stream failure, resume from the last event received).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine, type SyncFlow } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';

/** The machine whose fallback pages from the stream's `since`. */
export class FallbackFromStreamStartMachine extends EventSyncMachine {
  protected override fallbackSince(flow: SyncFlow): string | null {
    return flow.since;
  }
}

/** The client whose REST fallback starts over from the stream's `since`. */
export const fallbackFromStreamStart: ClientVariant = {
  description: 'falls back to REST from the stream request\u2019s since instead of the last event received',
  violates: ['SYNC-9'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new FallbackFromStreamStartMachine(config, state) }),
};
