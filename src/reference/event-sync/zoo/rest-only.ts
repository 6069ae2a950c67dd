/**
 * Bug: a REST-only client — the source's "existing code unchanged" REST paging, shipped
 * without the new stream: every sync pages through `GET /v1/sync/events` and never opens
 * `/v1/sync/stream`, so none of the 5–10× speed-up reaches the user.
 * Where it comes from: event-sync-websocket-streaming.md § SyncManager.pullEvents()
 * ("Try WebSocket streaming first", "Fallback: REST API polling (existing code
 * unchanged)") — the fallback path taken as the only path.
 * Caught by: SYNC-11 (every sync starts with the stream).
 */
import type { ClientVariant } from '../../../conformance/protocol.js';
import { EventSyncMachine, type SyncFlow } from '../client-machine.js';
import { createEventSyncClient } from '../client.js';

class RestOnlyMachine extends EventSyncMachine {
  protected override openStream(flow: SyncFlow): void {
    this.startRest(flow);
  }
}

/** The REST-only client. */
export const restOnly: ClientVariant = {
  description: 'never opens the stream: every sync pages through REST from the start',
  violates: ['SYNC-11'],
  create: (env) => createEventSyncClient(env, { createMachine: (config, state) => new RestOnlyMachine(config, state) }),
};
