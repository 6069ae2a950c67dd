import type { ProtocolDefinition } from '../../conformance/protocol.js';
import { createEventSyncClient } from './client.js';
import { eventSyncPropertyModel } from './property-model.js';
import { eventSyncRequirements } from './requirements/index.js';
import { createEventSyncServer, parseEventSyncServerOptions, type EventSyncServerVariant } from './server.js';
import { eventSyncSnapshotSchema } from './snapshot.js';
import { eventSyncVariants } from './variants.js';
import type { EventSyncDriver } from './wire.js';

const driver = (d: unknown): EventSyncDriver => d as EventSyncDriver;

const serverVariants: Record<Exclude<EventSyncServerVariant, 'reference'>, { description: string; breaks: string[] }> = {
  'db-error': { description: 'every stream fails with sync.stream.error DB_ERROR after its first batch', breaks: [] },
  'malformed-frame': { description: 'every stream sends a frame that is not JSON after its first batch', breaks: [] },
  stall: { description: 'every stream stops sending after its first batch and never resumes', breaks: [] },
  'no-stream': { description: 'the backend does not support /v1/sync/stream: upgrades are refused with 404', breaks: [] },
};

/** The event-sync protocol: a streamed initial sync over a WebSocket, REST pages of 100 as the fallback. */
export const eventSyncProtocol: ProtocolDefinition = {
  name: 'event-sync',
  title: 'Event sync: WebSocket streaming with checkpoints, REST paging fallback',
  sources: ['event-sync-websocket-streaming.md'],
  requirements: eventSyncRequirements,
  actions: {
    sync: {
      description: 'pull events (pullEvents): stream first, REST on any error; takes no arguments',
      params: {},
      run: (d) => driver(d).sync(),
    },
  },
  snapshot: eventSyncSnapshotSchema,
  defaults: { duration: 60_000, heal: 60_000, clients: ['c1'], network: { link: { latency: { kind: 'uniform', min: 10, max: 80 } } } },
  server: (variant, options) => {
    if (variant !== 'reference' && !(variant in serverVariants)) throw new Error(`event-sync has no server variant "${variant}"`);
    return createEventSyncServer(parseEventSyncServerOptions(options, 'server.options'), variant as EventSyncServerVariant);
  },
  serverVariants,
  reference: (env) => createEventSyncClient(env),
  variants: eventSyncVariants,
  property: eventSyncPropertyModel,
};

export { createEventSyncClient } from './client.js';
export { createEventSyncServer } from './server.js';
export type { EventSyncDriver, EventSyncSnapshot, SyncEvent } from './wire.js';
