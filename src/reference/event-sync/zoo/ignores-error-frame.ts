/**
 * Bug: `sync.stream.error` is not handled — the receive loop's `switch` has no case for
 * it, so the frame is dropped (it still counts as traffic) and the client waits until
 * the stream stalls for 10 s before it falls back to REST.
 * Where it comes from: event-sync-websocket-streaming.md § Implementation 3 Receive Loop
 * ("Handle start, batch, complete, error"): the error case is the one easy to leave out.
 * Caught by: SYNC-4 (an error frame starts the REST fallback within T).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';
import type { SyncServerFrame } from '../wire.js';

/** The machine that ignores error frames. */
export class IgnoresErrorFrameMachine extends EventSyncMachine {
  protected override onFrame(socket: number, frame: SyncServerFrame): void {
    if (frame.type !== 'sync.stream.error') return super.onFrame(socket, frame);
    const flow = this.streamFlow(socket);
    if (flow) this.armIdle(flow); // a frame arrived: the idle timer starts again
  }
}

/** The client that waits for a failed stream to time out. */
export const ignoresErrorFrame: ClientVariant = {
  description: 'ignores sync.stream.error and waits for the stream to time out',
  violates: ['SYNC-4'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new IgnoresErrorFrameMachine(config, state) }),
};
