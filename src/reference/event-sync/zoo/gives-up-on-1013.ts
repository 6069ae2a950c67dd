/**
 * Bug: a stream closed with 1013 "Try Again Later" (the server shedding a slow consumer)
 * is taken as the server's final word: the client ends the sync without falling back to
 * REST ("the server is overloaded, don't make it worse"), and the user's events stay
 * behind until they sync again by hand.
 * Where it comes from: close-code tables that list every code but 1000/1001/1006 as
 * non-recoverable (pipecat-ai/pipecat#3824 treats 1008–1010 and 4000–4999 as fatal);
 * docs/fault-plan.md ("1013, not 1008, for a slow consumer"); against the source's
 * Fallback Strategy: "If it fails for any reason, sync continues via REST".
 * Caught by: SYNC-4 (a closed stream starts the REST fallback within T).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';

class GivesUpOn1013Machine extends EventSyncMachine {
  protected override onClosed(socket: number, code?: number): void {
    const flow = this.streamFlow(socket);
    if (code !== 1013 || !flow || flow.phase !== 'stream') return super.onClosed(socket, code);
    this.end(flow, 1000, 'server busy: try again later');
  }
}

/** The client that abandons the sync on 1013. */
export const givesUpOn1013: ClientVariant = {
  description: 'ends the sync without the REST fallback when the stream is closed with 1013 (try again later)',
  violates: ['SYNC-4'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new GivesUpOn1013Machine(config, state) }),
};
