/**
 * Bug: after a stream failure the REST fallback starts from the saved checkpoint, as the
 * source's "existing code unchanged" REST paging always did, and stores what the pages
 * return without checking ids — so every event the stream already applied before it
 * failed is stored a second time.
 * Where it comes from: event-sync-websocket-streaming.md § SyncManager.pullEvents()
 * ("Fallback: REST API polling (existing code unchanged)") and § Fallback Strategy
 * ("Connection drops mid-stream"): the old REST path never had to meet a half-applied
 * stream.
 * Caught by: SYNC-10 (events applied before a stream failure are not applied twice).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';
import type { WireEvent } from '../wire.js';

/** The machine whose fallback pages from the checkpoint and stores REST events unchecked. */
export class NoDedupeOnFallbackMachine extends EventSyncMachine {
  protected override fallbackSince(): string | null {
    return this.checkpoint;
  }

  protected override isNew(e: WireEvent, since: string | null, stream: boolean): boolean {
    // Pages come only from the fallback, which stores whatever it gets.
    return stream ? super.isNew(e, since, stream) : true;
  }
}

/** The client whose REST fallback re-applies what the stream already applied. */
export const noDedupeOnFallback: ClientVariant = {
  description: 'falls back to REST from the saved checkpoint and stores what it returns without checking ids',
  violates: ['SYNC-10'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new NoDedupeOnFallbackMachine(config, state) }),
};
