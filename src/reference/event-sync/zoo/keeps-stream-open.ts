/**
 * Bug: the stream socket is left open after `sync.stream.complete` — the sync is done,
 * but the receive loop returns without closing the task, so every sync leaks one idle
 * connection the server keeps serving.
 * Where it comes from: event-sync-websocket-streaming.md § Flow Diagram, whose last step
 * is the client's "Close WebSocket"; with `URLSessionWebSocketTask` that is an explicit
 * `cancel(with:reason:)` that is easy to forget on the success path.
 * Caught by: SYNC-12 (the client closes the stream after completion).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine, type SyncFlow } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';

class KeepsStreamOpenMachine extends EventSyncMachine {
  protected override releaseStream(flow: SyncFlow): void {
    // Forgets the socket without closing it.
    flow.socket = undefined;
  }
}

/** The client that never closes a completed stream. */
export const keepsStreamOpen: ClientVariant = {
  description: 'leaves the stream socket open after sync.stream.complete',
  violates: ['SYNC-12'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new KeepsStreamOpenMachine(config, state) }),
};
