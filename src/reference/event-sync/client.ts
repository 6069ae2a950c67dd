import { NamedTimers, SocketTable } from '../shell/index.js';
import type { ClientEnv } from '../../sim/client-node.js';
import {
  defaultSyncClientConfig,
  EventSyncMachine,
  type PersistedSyncState,
  type ResumePoint,
  type SyncClientConfig,
  type SyncClientEvent,
  type SyncCommand,
} from './client-machine.js';
import {
  parseRestPage,
  parseServerFrame,
  restPageUrl,
  syncPaths,
  syncTiming,
  type EventSyncDriver,
  type EventSyncSnapshot,
  type WireEvent,
} from './wire.js';

/** Storage keys of the reference client (`env.storage`, which survives an app restart). */
export const syncStorageKeys = {
  checkpoint: 'sync.checkpoint',
  resume: 'sync.resume',
  /** Number of store chunks. */
  chunks: 'sync.store.chunks',
  /** `sync.store.<n>`: a JSON array of the events applied by one batch or page. */
  chunk: (n: number) => `sync.store.${n}`,
} as const;

/** Options of the reference event-sync client. */
export interface EventSyncClientOptions {
  config?: Partial<SyncClientConfig>;
  /** Builds the decision machine (a faulty variant in the zoo passes a subclass with one decision changed). */
  createMachine?: (config: SyncClientConfig, persisted: PersistedSyncState) => EventSyncMachine;
}

/**
 * The reference event-sync client: a thin shell that carries out the
 * {@link EventSyncMachine}'s commands with `env.WebSocket` (Bearer token in the upgrade's
 * headers), `env.fetch`, `env` timers and `env.storage`, and feeds what happens back in
 * as events. The checkpoint, the resume point and the local store live in `env.storage`.
 */
export function createEventSyncClient(env: ClientEnv, options: EventSyncClientOptions = {}): EventSyncDriver {
  const persisted = readPersisted(env);
  let chunks = persisted.chunks;
  const create = options.createMachine ?? ((config, state) => new EventSyncMachine(config, state));
  const machine = create({ ...defaultSyncClientConfig, ...options.config }, persisted.state);
  const timers = new NamedTimers(env, (key) => feed({ type: 'timer', key }));
  const sockets = new SocketTable(env, {
    open: (socket) => feed({ type: 'ws-open', socket }),
    message: (socket, data) => {
      let frame;
      try {
        frame = parseServerFrame(data);
      } catch (err) {
        return feed({ type: 'ws-malformed', socket, reason: (err as Error).message });
      }
      feed({ type: 'ws-frame', socket, frame });
    },
    closed: (socket) => feed({ type: 'ws-closed', socket }),
  });
  const requests = new Map<number, AbortController>();
  const authorization = `Bearer ${env.token}`;
  let disposed = false;

  const feed = (event: SyncClientEvent): void => {
    if (disposed) return;
    for (const c of machine.handle(event)) execute(c);
  };

  const execute = (c: SyncCommand): void => {
    switch (c.type) {
      case 'connect':
        return sockets.connect(c.socket, syncPaths.stream, { headers: { authorization } });
      case 'ws-send':
        return sockets.send(c.socket, c.data);
      case 'disconnect':
        return sockets.close(c.socket, c.code, c.reason);
      case 'get-page':
        void getPage(c.request, c.since);
        return;
      case 'abort':
        requests.get(c.request)?.abort();
        requests.delete(c.request);
        return;
      case 'set-timer':
        return timers.set(c.key, c.ms);
      case 'cancel-timer':
        return timers.cancel(c.key);
      case 'store':
        env.storage.setItem(syncStorageKeys.chunk(chunks), JSON.stringify(c.events));
        env.storage.setItem(syncStorageKeys.chunks, String(++chunks));
        return;
      case 'save-checkpoint':
        env.storage.setItem(syncStorageKeys.checkpoint, c.checkpoint);
        return;
      case 'save-resume':
        if (c.resume) env.storage.setItem(syncStorageKeys.resume, JSON.stringify(c.resume));
        else env.storage.removeItem(syncStorageKeys.resume);
        return;
      case 'log':
        env.log(c.msg, c.fields);
        return;
    }
  };

  const getPage = async (request: number, since: string | null): Promise<void> => {
    const abort = new AbortController();
    requests.set(request, abort);
    try {
      const signal = AbortSignal.any([abort.signal, env.timeoutSignal(syncTiming.requestTimeout)]);
      const r = await env.fetch(restPageUrl(since), { headers: { authorization }, signal });
      if (!r.ok) return feed({ type: 'page-failed', request, status: r.status });
      let page;
      try {
        page = parseRestPage(await r.json());
      } catch (e) {
        return feed({ type: 'page-failed', request, reason: `malformed page: ${(e as Error).message}` });
      }
      feed({ type: 'page-ok', request, page });
    } catch (e) {
      if (!abort.signal.aborted) feed({ type: 'page-failed', request, reason: (e as Error).message });
    } finally {
      requests.delete(request);
    }
  };

  const onOnline = (): void => feed({ type: 'online' });
  env.lifecycle.addEventListener('online', onOnline);
  for (const c of machine.launch()) execute(c);

  return {
    sync: () => feed({ type: 'sync' }),
    snapshot: (): EventSyncSnapshot => machine.snapshot(),
    dispose: () => {
      disposed = true;
      env.lifecycle.removeEventListener('online', onOnline);
      timers.cancelAll();
    },
  };
}

/** Reads the checkpoint, the resume point and the store's ids from `env.storage`. */
function readPersisted(env: ClientEnv): { state: PersistedSyncState; chunks: number } {
  const s = env.storage;
  const checkpoint = s.getItem(syncStorageKeys.checkpoint);
  let resume: ResumePoint | null = null;
  try {
    const r = JSON.parse(s.getItem(syncStorageKeys.resume) ?? 'null') as ResumePoint | null;
    if (r && typeof r.cursor === 'string' && (r.base === null || typeof r.base === 'string')) resume = { base: r.base, cursor: r.cursor };
  } catch {
    resume = null;
  }
  const chunks = Number(s.getItem(syncStorageKeys.chunks) ?? 0) || 0;
  const storedIds: string[] = [];
  for (let n = 0; n < chunks; n++) {
    try {
      const list = JSON.parse(s.getItem(syncStorageKeys.chunk(n)) ?? '[]') as WireEvent[];
      for (const e of list) if (e && typeof e.id === 'string') storedIds.push(e.id);
    } catch {
      // a damaged chunk: its events will be fetched again
    }
  }
  return { state: { checkpoint, resume, storedIds }, chunks };
}
