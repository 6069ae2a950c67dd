/**
 * Bug: when the stream goes quiet for 2 s the client "races" it: it starts REST paging
 * from the resume point as well, without closing the socket, and applies whatever either
 * delivers — so stream and REST run at once, and a stream failure later on finds REST
 * already running and just drops the socket.
 * Where it comes from: event-sync-websocket-streaming.md § Fallback Strategy (streaming
 * is "optional", REST is "proven reliable") read as "hedge with REST early"; the source
 * falls back only once `streamEventsViaWebSocket()` has returned false.
 * Caught by: SYNC-4 (stream and REST never run at once).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine, type SyncFlow } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';

/** Quiet time (ms) after which REST starts alongside the stream. */
const raceAfter = 2000;

/** The machine that starts REST alongside a quiet stream. */
export class StreamAndRestTogetherMachine extends EventSyncMachine {
  protected override armIdle(flow: SyncFlow): void {
    super.armIdle(flow);
    if (flow.phase === 'stream') this.cmd({ type: 'set-timer', key: `race#${flow.id}`, ms: raceAfter });
  }

  protected override dropSocket(flow: SyncFlow, code: number, reason: string): void {
    this.cmd({ type: 'cancel-timer', key: `race#${flow.id}` });
    super.dropSocket(flow, code, reason);
  }

  protected override onTimer(key: string): void {
    const [kind, id] = key.split('#');
    if (kind !== 'race') return super.onTimer(key);
    const flow = this.flows.find((f) => String(f.id) === id);
    if (!flow || flow.phase !== 'stream') return;
    // REST alongside the quiet stream; the socket stays open.
    flow.phase = 'rest';
    flow.pageSince = flow.lastCursor;
    this.requestPage(flow);
  }

  protected override startRest(flow: SyncFlow): void {
    if (flow.phase === 'rest') return; // REST already runs
    super.startRest(flow);
  }
}

/** The client that pages through REST while its stream is still open. */
export const streamAndRestTogether: ClientVariant = {
  description: 'starts REST paging when the stream goes quiet for 2 s, without closing the socket',
  violates: ['SYNC-4'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new StreamAndRestTogetherMachine(config, state) }),
};
