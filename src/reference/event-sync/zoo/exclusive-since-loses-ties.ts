/**
 * Bug: `since` is taken as an exclusive timestamp ("give me what happened after T"):
 * every incoming event whose timestamp is not after the timestamp of the position the
 * request asked from is dropped as "already have it" — but several events share one
 * timestamp, and those after the position in the same millisecond are lost for good.
 * Where it comes from: event-sync-websocket-streaming.md § Implementation 4 Process
 * Events ("Filter duplicates") done by timestamp instead of by id — the classic
 * `WHERE timestamp > :since` cursor mistake.
 * Caught by: SYNC-5 (none missing, including at equal-timestamp boundaries).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';
import { parseCursor, parseTimestamp, type WireEvent } from '../wire.js';

/** The machine that treats every event at or before the timestamp of `since` as already stored. */
export class ExclusiveSinceLosesTiesMachine extends EventSyncMachine {
  protected override isNew(e: WireEvent, since: string | null, stream: boolean): boolean {
    const sinceMs = since ? parseCursor(since)?.ms : undefined;
    if (sinceMs !== undefined && parseTimestamp(e.timestamp)! <= sinceMs) return false;
    return super.isNew(e, since, stream);
  }
}

/** The client that loses events sharing the timestamp of the position it asked from. */
export const exclusiveSinceLosesTies: ClientVariant = {
  description: 'treats since as an exclusive timestamp: drops events sharing the timestamp of the position it asked from',
  violates: ['SYNC-5'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new ExclusiveSinceLosesTiesMachine(config, state) }),
};
