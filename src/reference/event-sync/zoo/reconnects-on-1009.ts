/**
 * Bug: a stream closed with 1009 "Message Too Big" is taken for a transient drop: the
 * client reconnects the stream at once and asks for the same events again, instead of
 * falling back to REST. The same batch is too big again, so it loops — connect, request,
 * 1009 — for as long as the limit holds, and the sync never moves on.
 * Where it comes from: rocicorp/mono#5982 ("handle WebSocket close code 1009 to prevent
 * reconnect loop"), centrifugal/centrifuge-go#128 ("Do not reconnect after
 * CloseMessageTooBig"), cube-js/cube#10246 (the client "would retry indefinitely"); iOS's
 * `URLSessionWebSocketTask` refuses messages above `maximumMessageSize` (1 MiB), which the
 * source's batches of 1,000 events can pass.
 * Caught by: SYNC-4 (a closed stream starts the REST fallback within T).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';

class ReconnectsOn1009Machine extends EventSyncMachine {
  protected override onClosed(socket: number, code?: number): void {
    const flow = this.streamFlow(socket);
    if (code !== 1009 || !flow || flow.phase !== 'stream') return super.onClosed(socket, code);
    // "Just a hiccup": a fresh stream from the same place.
    this.dropSocket(flow, 4000, 'reconnecting');
    Object.assign(flow, { streamStarted: false, nextBatch: 0, sawLast: false, streamCount: 0, since: flow.lastCursor });
    this.openStream(flow);
  }
}

/** The client that reconnects the stream on 1009 instead of falling back. */
export const reconnectsOn1009: ClientVariant = {
  description: 'reconnects the stream at once after a close 1009 (message too big) instead of falling back to REST',
  violates: ['SYNC-4'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new ReconnectsOn1009Machine(config, state) }),
};
