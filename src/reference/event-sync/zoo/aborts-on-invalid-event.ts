/**
 * Bug: an invalid event is treated as a failure of the whole delivery: the stream is
 * abandoned (falling back to REST), and a REST page holding one is retried — forever,
 * since the server returns the same page — instead of skipping and counting it.
 * Where it comes from: event-sync-websocket-streaming.md § Implementation 4 Process
 * Events ("Filter duplicates and invalid events") combined with § 6 Error Handling ("On
 * any error, log and return false"): decoding that throws on the first unknown event
 * type turns a filter into an error.
 * Caught by: SYNC-6 (invalid events never abort the sync).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine, type SyncFlow } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';
import { isValidEvent, type WireEvent } from '../wire.js';

/** The machine that refuses a batch or page at its first invalid event. */
export class AbortsOnInvalidEventMachine extends EventSyncMachine {
  protected override process(flow: SyncFlow, events: readonly WireEvent[], since: string | null, stream: boolean): boolean {
    const bad = events.findIndex((e) => !isValidEvent(e));
    if (bad < 0) return super.process(flow, events, since, stream);
    // What came before the invalid event is applied; the rest is refused.
    super.process(flow, events.slice(0, bad), since, stream);
    return false;
  }
}

/** The client that aborts on invalid events instead of skipping them. */
export const abortsOnInvalidEvent: ClientVariant = {
  description: 'abandons the stream (and retries the REST page) on an invalid event instead of skipping it',
  violates: ['SYNC-6'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new AbortsOnInvalidEventMachine(config, state) }),
};
