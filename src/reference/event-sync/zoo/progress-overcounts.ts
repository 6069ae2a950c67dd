/**
 * Bug: progress is computed as (batchIndex + 1) × the first batch's length instead of
 * counted per event — right for full batches, but a short last batch pushes
 * `processed` above `total` and past the count the sync completes with.
 * Where it comes from: event-sync-websocket-streaming.md § Progress Tracking ("Each
 * batch increments _initialSyncEventsProcessed") implemented with the batch size
 * assumed constant.
 * Caught by: SYNC-2 (progress never shows processed above total).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine, type SyncFlow } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';
import type { SyncServerFrame } from '../wire.js';

/** The machine that derives progress from batch indexes. */
export class ProgressOvercountsMachine extends EventSyncMachine {
  /** Per flow: processed when its stream started, and the first batch's length. */
  private readonly counting = new WeakMap<SyncFlow, { base: number; first?: number }>();

  protected override onFrame(socket: number, frame: SyncServerFrame): void {
    const flow = this.streamFlow(socket);
    const before = flow && { started: flow.streamStarted, next: flow.nextBatch };
    super.onFrame(socket, frame);
    if (!flow || !before) return;
    if (!before.started && flow.streamStarted) this.counting.set(flow, { base: flow.processed });
    if (frame.type !== 'sync.stream.batch' || flow.nextBatch !== before.next + 1) return; // not a batch taken in order
    const c = this.counting.get(flow)!;
    c.first ??= frame.events.length;
    flow.processed = c.base + (frame.batchIndex + 1) * c.first;
  }
}

/** The client whose progress overcounts a short last batch. */
export const progressOvercounts: ClientVariant = {
  description: 'counts progress as (batchIndex + 1) × the first batch\u2019s length',
  violates: ['SYNC-2'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new ProgressOvercountsMachine(config, state) }),
};
