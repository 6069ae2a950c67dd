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
  // The socket table reports a close without its code: a listener added before its own
  // handler (listeners run in the order added) notes the code of the close being reported.
  let closeCode: number | undefined;
  const Base = env.WebSocket;
  const WebSocket = class extends Base {
    constructor(...args: ConstructorParameters<typeof Base>) {
      super(...args);
      this.addEventListener('close', (e) => void (closeCode = (e as CloseEvent).code));
    }
  } as typeof Base;
  const sockets = new SocketTable({ WebSocket }, {
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
    closed: (socket) => feed({ type: 'ws-closed', socket, code: closeCode }),
  });
  const requests = new Map<number, AbortController>();
  const authorization = `Bearer ${env.token}`;
  let disposed = false;

  const writes = new WriteQueue(env);

  const feed = (event: SyncClientEvent): void => {
    if (disposed) return;
    for (const c of machine.handle(event)) execute(c);
    writes.flush();
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
        writes.put(syncStorageKeys.chunk(chunks), JSON.stringify(c.events));
        writes.put(syncStorageKeys.chunks, String(++chunks));
        return;
      case 'save-checkpoint':
        writes.put(syncStorageKeys.checkpoint, c.checkpoint);
        return;
      case 'save-resume':
        writes.put(syncStorageKeys.resume, c.resume ? JSON.stringify(c.resume) : null);
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
      if (!r.ok) return feed({ type: 'page-failed', request, status: r.status, retryAfter: retryAfterMs(r, env.Date.now()) });
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

/**
 * Writes to `env.storage` in order, never out of it: a write the storage refuses (its
 * quota is used up) waits, with every write after it, until a later attempt succeeds (at
 * each later write and after each event the client handles). What storage holds is
 * therefore always the state of some earlier moment — the checkpoint is never written
 * before the store chunks it covers — and a restart finds an older checkpoint at worst,
 * never one ahead of the stored events (docs/protocols/event-sync.md, "Storage failures").
 */
class WriteQueue {
  private readonly pending: { key: string; value: string | null }[] = [];
  private refused = false;

  constructor(private readonly env: ClientEnv) {}

  /** Writes `value` under `key` (`null` removes it), after every write still pending. */
  put(key: string, value: string | null): void {
    this.pending.push({ key, value });
    this.flush();
  }

  /** Retries the pending writes in order; stops at the first the storage refuses. */
  flush(): void {
    while (this.pending.length > 0) {
      const w = this.pending[0]!;
      try {
        if (w.value === null) this.env.storage.removeItem(w.key);
        else this.env.storage.setItem(w.key, w.value);
      } catch (e) {
        // Logged once per refusal spell, not at every retry.
        if (!this.refused) this.env.log('storage write refused', { key: w.key, error: (e as Error).name, pending: this.pending.length });
        this.refused = true;
        return;
      }
      this.refused = false;
      this.pending.shift();
    }
  }
}

/**
 * The wait a `429` or `503` asks for in its `Retry-After` header (RFC 9110 § 10.2.3): whole
 * seconds, or an HTTP date measured against the device's clock; `undefined` without one.
 */
export function retryAfterMs(r: Response, now: number): number | undefined {
  if (r.status !== 429 && r.status !== 503) return undefined;
  const v = r.headers.get('retry-after')?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
