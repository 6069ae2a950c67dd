/**
 * Bug: the stream request's `since` is encoded as a bare RFC 3339 timestamp — the
 * client models the checkpoint as a date, so encoding keeps `<timestamp>` and drops the
 * `#<id>` that orders events sharing one millisecond. The request then asks from before
 * the saved checkpoint (and before the resume point), and the server streams again
 * every event at that millisecond the client already has.
 * Where it comes from: event-sync-websocket-streaming.md § Message Types
 * (`"since": "2026-02-05T15:30:00Z"  // Last checkpoint (RFC3339)`) and § Implementation
 * 2 Send Request ("Encode SyncStreamRequest with last checkpoint"): the example's
 * timestamp taken as the checkpoint's type, the classic cursor-as-`Date` round trip.
 * Caught by: SYNC-1 (since is the saved checkpoint or a resume point, never behind it).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine, type SyncCommand } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';

/** Cuts a cursor down to its timestamp, as a date-typed checkpoint field would. */
function asTimestamp(since: unknown): unknown {
  return typeof since === 'string' && since.includes('#') ? since.slice(0, since.indexOf('#')) : since;
}

/** The machine whose stream request encodes `since` as a timestamp. */
export class SinceAsTimestampMachine extends EventSyncMachine {
  protected override cmd(c: SyncCommand): void {
    if (c.type !== 'ws-send') return super.cmd(c);
    const msg = JSON.parse(c.data) as { type?: string; since?: unknown };
    if (msg.type !== 'sync.stream.request') return super.cmd(c);
    super.cmd({ ...c, data: JSON.stringify({ ...msg, since: asTimestamp(msg.since) }) });
  }
}

/** The client whose stream requests ask from the checkpoint's timestamp, not its cursor. */
export const sinceAsTimestamp: ClientVariant = {
  description: 'sends the stream request since as a bare timestamp, dropping the cursor id (behind the checkpoint)',
  violates: ['SYNC-1'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new SinceAsTimestampMachine(config, state) }),
};
