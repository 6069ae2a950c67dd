/**
 * Bug: the checkpoint is saved after every stream batch and every REST page, not once
 * the sync completes — "save progress as we go" — so a sync that fails half-way leaves a
 * checkpoint the server never handed out, and the next sync starts after events it
 * never received in full (or, resumed, skips what came after a failed batch).
 * Where it comes from: event-sync-websocket-streaming.md § Implementation 5 Save
 * Checkpoint ("On completion, save new checkpoint") — the incremental-save shortcut it
 * rules out.
 * Caught by: SYNC-3 (the checkpoint is saved only after completion).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine, type SyncFlow } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';
import type { WireEvent } from '../wire.js';

/** The machine that saves the position reached after each batch and page as the checkpoint. */
export class CheckpointPerBatchMachine extends EventSyncMachine {
  protected override process(flow: SyncFlow, events: readonly WireEvent[], since: string | null, stream: boolean): boolean {
    const ok = super.process(flow, events, since, stream);
    if (stream && flow.lastCursor !== null && events.length > 0) this.saveCheckpoint(flow.lastCursor);
    return ok;
  }

  protected override nextPage(flow: SyncFlow, cursor: string | null): void {
    if (cursor !== null) this.saveCheckpoint(cursor);
    super.nextPage(flow, cursor);
  }
}

/** The client that saves the checkpoint after every batch and page. */
export const checkpointPerBatch: ClientVariant = {
  description: 'saves the checkpoint after every batch and page instead of on completion',
  violates: ['SYNC-3'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new CheckpointPerBatchMachine(config, state) }),
};
