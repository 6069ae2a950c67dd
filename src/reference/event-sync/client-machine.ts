import {
  comparePositions,
  cursorOf,
  digestAdd,
  digestHex,
  isValidEvent,
  parseCursor,
  parseTimestamp,
  syncTiming,
  type EventSyncSnapshot,
  type Position,
  type RestPage,
  type SyncServerFrame,
  type WireEvent,
} from './wire.js';

/** Timing of an event-sync client (defaults: docs/protocols/event-sync.md). */
export interface SyncClientConfig {
  /** No frame for this long on a stream (connecting included) ⇒ stalled: close it and fall back. */
  streamIdleTimeout: number;
  /** Delays before retrying a failed REST page; the last repeats. */
  restRetry: readonly number[];
}

/** The reference configuration. */
export const defaultSyncClientConfig: SyncClientConfig = {
  streamIdleTimeout: syncTiming.streamIdleTimeout,
  restRetry: syncTiming.restRetry,
};

/** Where an interrupted sync can resume: the cursor of the last event received in order, for a sync that started from `base`. */
export interface ResumePoint {
  base: string | null;
  cursor: string;
}

/** What the client keeps in storage across app restarts. */
export interface PersistedSyncState {
  checkpoint: string | null;
  resume: ResumePoint | null;
  /** Ids of the stored events (with multiplicity, as stored). */
  storedIds: string[];
}

/** What happens to the client: the user's sync, transport events, timer expiries. */
export type SyncClientEvent =
  | { type: 'sync' }
  | { type: 'ws-open'; socket: number }
  | { type: 'ws-frame'; socket: number; frame: SyncServerFrame }
  | { type: 'ws-malformed'; socket: number; reason: string }
  | { type: 'ws-closed'; socket: number; code?: number }
  | { type: 'page-ok'; request: number; page: RestPage }
  | { type: 'page-failed'; request: number; status?: number; reason?: string; retryAfter?: number }
  | { type: 'timer'; key: string }
  | { type: 'online' };

/** What the client asks its shell to do. */
export type SyncCommand =
  | { type: 'connect'; socket: number }
  | { type: 'ws-send'; socket: number; data: string }
  | { type: 'disconnect'; socket: number; code: number; reason: string }
  | { type: 'get-page'; request: number; since: string | null }
  | { type: 'abort'; request: number }
  | { type: 'set-timer'; key: string; ms: number }
  | { type: 'cancel-timer'; key: string }
  /** Persist newly applied events in the local store. */
  | { type: 'store'; events: WireEvent[] }
  | { type: 'save-checkpoint'; checkpoint: string }
  | { type: 'save-resume'; resume: ResumePoint | null }
  | { type: 'log'; msg: string; fields: Record<string, unknown> };

/** One running sync: the stream phase, then (after a stream failure) the REST phase. */
export interface SyncFlow {
  /** Names the flow's timers (`idle#<id>`, `retry#<id>`). */
  id: number;
  /** Fetching from the stream, or from REST pages. */
  phase: 'stream' | 'rest';
  /** The stream socket, while the flow holds one. */
  socket?: number;
  /** `since` of the stream request. */
  since: string | null;
  /** `sync.stream.start` arrived. */
  streamStarted: boolean;
  /** The `batchIndex` due next. */
  nextBatch: number;
  /** The `isLast` batch arrived. */
  sawLast: boolean;
  /** Events received on the stream. */
  streamCount: number;
  /** The REST page in flight. */
  request?: number;
  /** `since` of the next (or current) REST page. */
  pageSince: string | null;
  /** Waiting for a retry timer. */
  waiting: boolean;
  /** Failed page requests in a row (the retry delay grows with them). */
  attempts: number;
  /** Progress: events processed by this sync. */
  processed: number;
  /** Progress: events this sync expects in all. */
  total: number;
  /** A total is known (a start frame or a page arrived). */
  known: boolean;
  /** The last event received, in order: the resume point. */
  last: Position | null;
  /** The cursor of {@link SyncFlow.last}. */
  lastCursor: string | null;
}

/**
 * The event-sync client's decisions, with no I/O: events in, commands out, time passed
 * in. One sync at a time (a sync asked for meanwhile runs right after); the stream
 * first; on any stream failure the socket is closed and REST pages of 100 follow the
 * cursor from the resume point to the end; events de-duplicated by id, invalid ones
 * skipped and counted; the checkpoint saved only on completion; progress published.
 */
export class EventSyncMachine {
  /** The saved checkpoint. */
  protected checkpoint: string | null;
  private resume: ResumePoint | null;
  private readonly ids = new Set<string>();
  private count = 0;
  private digest = 0;
  /** The running syncs (one, unless a subclass starts more). */
  protected flows: SyncFlow[] = [];
  private flowCounter = 0;
  private socketCounter = 0;
  private requestCounter = 0;
  private syncs = 0;
  private completed = 0;
  private skipped = 0;
  private authError = false;
  private again = false;
  /** A `Retry-After` is running: no page is asked for until its `hold-rest` timer fires. */
  private restHeld = false;
  private lastProgress: { processed: number; total: number } | null = null;
  private cmds: SyncCommand[] = [];

  constructor(
    private readonly config: SyncClientConfig,
    persisted: PersistedSyncState,
  ) {
    this.checkpoint = persisted.checkpoint;
    this.resume = persisted.resume;
    for (const id of persisted.storedIds) {
      this.ids.add(id);
      this.count++;
      this.digest = digestAdd(this.digest, id);
    }
  }

  /** Feeds one event; returns the commands to carry out, in order. */
  handle(event: SyncClientEvent): SyncCommand[] {
    this.cmds = [];
    this.dispatch(event);
    return this.cmds;
  }

  /** On launch: an interrupted sync (a resume point from the saved checkpoint in storage) is resumed at once. */
  launch(): SyncCommand[] {
    this.cmds = [];
    if (this.resume && this.resume.base === this.checkpoint) this.start();
    return this.cmds;
  }

  /** What the user sees. */
  snapshot(): EventSyncSnapshot {
    const flow = this.flows[this.flows.length - 1];
    const progress = flow ? (flow.known ? { processed: flow.processed, total: flow.total } : null) : this.lastProgress;
    return {
      syncing: this.flows.length > 0,
      via: flow ? flow.phase : null,
      progress,
      syncs: this.syncs,
      completed: this.completed,
      checkpoint: this.checkpoint,
      store: { count: this.count, digest: digestHex(this.digest) },
      skipped: this.skipped,
      authError: this.authError,
    };
  }

  private dispatch(e: SyncClientEvent): void {
    switch (e.type) {
      case 'sync':
        return this.requestSync();
      case 'ws-open':
        return this.onOpen(e.socket);
      case 'ws-frame':
        return this.onFrame(e.socket, e.frame);
      case 'ws-malformed': {
        const flow = this.streamFlow(e.socket);
        if (flow) this.streamFailed(flow, `malformed frame: ${e.reason}`);
        return;
      }
      case 'ws-closed':
        return this.onClosed(e.socket, e.code);
      case 'page-ok':
        return this.onPage(e.request, e.page);
      case 'page-failed':
        return this.onPageFailed(e.request, e.status, e.reason, e.retryAfter);
      case 'timer':
        return this.onTimer(e.key);
      case 'online':
        for (const f of this.flows) {
          if (!f.waiting) continue;
          this.cmd({ type: 'cancel-timer', key: `retry#${f.id}` });
          this.requestPage(f);
        }
        return;
    }
  }

  // -------------------------------------------------------------------------------------
  // Starting

  private requestSync(): void {
    if (this.authError) this.authError = false; // the user acted: try again
    if (this.waitsForRunningSync()) {
      this.again = true;
      return;
    }
    this.start();
  }

  /** One pull at a time: a sync asked for while another runs is queued to run right after it. */
  protected waitsForRunningSync(): boolean {
    return this.flows.length > 0;
  }

  /** Where a new sync starts: the resume point of an interrupted sync from the saved checkpoint, else the checkpoint. */
  private startSince(): string | null {
    const r = this.resume;
    return r && r.base === this.checkpoint ? r.cursor : this.checkpoint;
  }

  private start(): void {
    this.syncs++;
    const since = this.startSince();
    const flow: SyncFlow = {
      id: ++this.flowCounter,
      phase: 'stream',
      since,
      streamStarted: false,
      nextBatch: 0,
      sawLast: false,
      streamCount: 0,
      pageSince: since,
      waiting: false,
      attempts: 0,
      processed: 0,
      total: 0,
      known: false,
      last: since ? (parseCursor(since) ?? null) : null,
      lastCursor: since,
    };
    this.flows.push(flow);
    this.openStream(flow);
  }

  /** Every sync starts with the stream: connect, and wait for the socket to open. */
  protected openStream(flow: SyncFlow): void {
    flow.socket = ++this.socketCounter;
    this.cmd({ type: 'connect', socket: flow.socket });
    this.armIdle(flow);
  }

  /** (Re)starts the stream's idle timer: any frame proves the stream alive. */
  protected armIdle(flow: SyncFlow): void {
    this.cmd({ type: 'set-timer', key: `idle#${flow.id}`, ms: this.config.streamIdleTimeout });
  }

  // -------------------------------------------------------------------------------------
  // The stream

  /** The flow that holds `socket`, if any (a stale socket has none). */
  protected streamFlow(socket: number): SyncFlow | undefined {
    return this.flows.find((f) => f.socket === socket);
  }

  private onOpen(socket: number): void {
    const flow = this.streamFlow(socket);
    if (!flow) {
      this.cmd({ type: 'disconnect', socket, code: 1000, reason: 'stale socket' });
      return;
    }
    this.cmd({ type: 'ws-send', socket, data: JSON.stringify({ type: 'sync.stream.request', since: flow.since }) });
    this.armIdle(flow);
  }

  /** One frame of a stream: checks its order and counts, applies batches, completes or fails the stream. */
  protected onFrame(socket: number, frame: SyncServerFrame): void {
    const flow = this.streamFlow(socket);
    if (!flow) return;
    this.armIdle(flow);
    switch (frame.type) {
      case 'sync.stream.start':
        if (flow.streamStarted) return this.streamFailed(flow, 'a second sync.stream.start');
        flow.streamStarted = true;
        if (flow.phase === 'stream') {
          flow.total = flow.processed + frame.totalEvents;
          flow.known = true;
        }
        return;
      case 'sync.stream.batch': {
        if (!flow.streamStarted) return this.streamFailed(flow, 'a batch before sync.stream.start');
        if (frame.batchIndex < flow.nextBatch) return; // a repeated batch
        if (frame.batchIndex > flow.nextBatch)
          return this.streamFailed(flow, `batch ${flow.nextBatch} is missing (got batch ${frame.batchIndex})`);
        flow.nextBatch++;
        if (!this.process(flow, frame.events, flow.since, true)) return this.streamFailed(flow, 'an invalid event');
        if (frame.isLast) flow.sawLast = true;
        return;
      }
      case 'sync.stream.complete':
        if (!flow.streamStarted) return this.streamFailed(flow, 'sync.stream.complete before sync.stream.start');
        if (flow.streamCount > 0 && !flow.sawLast) return this.streamFailed(flow, 'sync.stream.complete before the last batch');
        if (flow.streamCount !== frame.processedEvents)
          return this.streamFailed(flow, `the stream delivered ${flow.streamCount} events, the server sent ${frame.processedEvents}`);
        return this.complete(flow, frame.newCheckpoint);
      case 'sync.stream.error':
        return this.streamFailed(flow, `sync.stream.error ${frame.code}: ${frame.error}`);
    }
  }

  /**
   * The stream's socket closed: whatever the code — 1001 going away, 1009 a frame too big,
   * 1011, 1012 restart, 1013 try again later, 4001 — a stream that had not completed
   * failed, and the sync goes on over REST at once (§ Fallback Strategy: "If it fails
   * for any reason, sync continues via REST"). None of them is final for the sync.
   */
  protected onClosed(socket: number, code?: number): void {
    const flow = this.streamFlow(socket);
    if (!flow) return;
    flow.socket = undefined;
    if (flow.phase === 'stream') this.streamFailed(flow, code === undefined ? 'the socket closed' : `the socket closed (${code})`);
  }

  /** Any stream failure: close the socket, fall back to REST from the resume point. */
  protected streamFailed(flow: SyncFlow, reason: string): void {
    this.cmd({ type: 'log', msg: 'stream failed', fields: { reason } });
    this.dropSocket(flow, 4000, 'stream failed');
    this.startRest(flow);
  }

  /** Stops the flow's stream: its idle timer, and its socket (closed with `code`). */
  protected dropSocket(flow: SyncFlow, code: number, reason: string): void {
    this.cmd({ type: 'cancel-timer', key: `idle#${flow.id}` });
    if (flow.socket !== undefined) this.cmd({ type: 'disconnect', socket: flow.socket, code, reason });
    flow.socket = undefined;
  }

  // -------------------------------------------------------------------------------------
  // REST

  /** The REST fallback: pages from the resume point (the last event received; the stream's `since` if none). */
  protected startRest(flow: SyncFlow): void {
    flow.phase = 'rest';
    flow.pageSince = this.fallbackSince(flow);
    this.cmd({ type: 'log', msg: 'falling back to REST', fields: { since: flow.pageSince ?? undefined } });
    this.requestPage(flow);
  }

  /** Where the REST fallback starts: the resume point, so nothing received is fetched twice and nothing is skipped. */
  protected fallbackSince(flow: SyncFlow): string | null {
    return flow.lastCursor;
  }

  /** Asks for the page at the flow's `pageSince`. */
  protected requestPage(flow: SyncFlow): void {
    if (this.restHeld) {
      // The server asked for a pause (Retry-After): the page waits for the hold to end.
      flow.waiting = true;
      return;
    }
    flow.waiting = false;
    flow.request = ++this.requestCounter;
    this.cmd({ type: 'get-page', request: flow.request, since: flow.pageSince });
  }

  private onPage(request: number, page: RestPage): void {
    const flow = this.flows.find((f) => f.request === request);
    if (!flow) return;
    flow.request = undefined;
    flow.attempts = 0;
    const before = flow.processed;
    const ok = this.process(flow, page.events, flow.pageSince, false);
    if (!ok) return this.pageFailed(flow);
    flow.total = Math.max(flow.processed, before + page.totalEvents);
    flow.known = true;
    if (this.isLastPage(page)) return this.complete(flow, page.nextCursor);
    this.nextPage(flow, page.nextCursor);
  }

  /** Follows the cursor of a page that has more; the checkpoint waits for the last page. */
  protected nextPage(flow: SyncFlow, cursor: string | null): void {
    flow.pageSince = cursor;
    this.requestPage(flow);
  }

  /** Only `hasMore: false` ends the paging: a short page may come before the last. */
  protected isLastPage(page: RestPage): boolean {
    return !page.hasMore;
  }

  /** A page failed: 401 stops syncing; anything else is retried, not before a `Retry-After` the answer carried. */
  protected onPageFailed(request: number, status: number | undefined, reason: string | undefined, retryAfter: number | undefined): void {
    const flow = this.flows.find((f) => f.request === request);
    if (!flow) return;
    flow.request = undefined;
    this.cmd({ type: 'log', msg: 'page failed', fields: { status, reason, retryAfter } });
    if (status === 401) return this.authFailed();
    if (retryAfter !== undefined && retryAfter > 0) this.holdRest(retryAfter);
    this.pageFailed(flow, retryAfter ?? 0);
  }

  /** A 429 or 503 with `Retry-After`: no page request of any sync before it has passed (RFC 9110 § 10.2.3). */
  private holdRest(ms: number): void {
    this.restHeld = true;
    this.cmd({ type: 'set-timer', key: 'hold-rest', ms });
  }

  /** Schedules the retry of a failed page: the backoff delay, or the server's `Retry-After` when longer. */
  private pageFailed(flow: SyncFlow, retryAfter = 0): void {
    const delays = this.config.restRetry;
    const delay = Math.max(delays[Math.min(flow.attempts, delays.length - 1)]!, retryAfter);
    flow.attempts++;
    flow.waiting = true;
    this.cmd({ type: 'set-timer', key: `retry#${flow.id}`, ms: delay });
  }

  // -------------------------------------------------------------------------------------
  // Events

  /**
   * Processes received events in order: each counts as processed; an invalid one is
   * skipped and counted; a valid one is stored if {@link EventSyncMachine.isNew}. Returns
   * whether the events were accepted — the reference always accepts (invalid events are
   * skipped, not fatal); refused events fail the stream, or retry the page.
   */
  protected process(flow: SyncFlow, events: readonly WireEvent[], since: string | null, stream: boolean): boolean {
    const fresh: WireEvent[] = [];
    let last: WireEvent | undefined;
    for (const e of events) {
      const valid = isValidEvent(e);
      flow.processed++;
      if (stream) flow.streamCount++;
      last = e;
      if (!valid) {
        this.skipped++;
        continue;
      }
      if (!this.isNew(e, since, stream)) continue;
      this.ids.add(e.id);
      this.count++;
      this.digest = digestAdd(this.digest, e.id);
      fresh.push(e);
    }
    // Events arrive in position order: the last one processed is the resume point.
    if (last) {
      const pos: Position = { ms: parseTimestamp(last.timestamp)!, timestamp: last.timestamp, id: last.id };
      if (!flow.last || comparePositions(pos, flow.last) > 0) {
        flow.last = pos;
        flow.lastCursor = cursorOf(last);
      }
    }
    if (fresh.length > 0) this.cmd({ type: 'store', events: fresh });
    if (flow.lastCursor !== null && flow.lastCursor !== flow.since) {
      this.resume = { base: this.checkpoint, cursor: flow.lastCursor };
      this.cmd({ type: 'save-resume', resume: this.resume });
    }
    return true;
  }

  /**
   * Whether a valid event received (on the stream, or a page, asked from `since`) is
   * stored: unless its id already is — `since` is inclusive, and a fallback or a
   * resumed sync may deliver an event again.
   */
  protected isNew(e: WireEvent, since: string | null, stream: boolean): boolean {
    return !this.ids.has(e.id);
  }

  // -------------------------------------------------------------------------------------
  // Ending

  /** Saves `cp` as the checkpoint — never backwards. */
  protected saveCheckpoint(cp: string): void {
    const pos = parseCursor(cp);
    const current = this.checkpoint === null ? undefined : parseCursor(this.checkpoint);
    if (!pos || (current && comparePositions(pos, current) < 0)) return; // never backwards
    if (cp === this.checkpoint) return;
    this.checkpoint = cp;
    this.cmd({ type: 'save-checkpoint', checkpoint: cp });
  }

  private complete(flow: SyncFlow, checkpoint: string | null): void {
    if (checkpoint !== null) this.saveCheckpoint(checkpoint);
    this.resume = null;
    this.cmd({ type: 'save-resume', resume: null });
    this.releaseStream(flow);
    this.end(flow, 1000, 'sync complete');
    this.completed++;
    if (this.again && this.flows.length === 0) {
      this.again = false;
      this.cmd({ type: 'set-timer', key: 'resync', ms: 0 });
    }
  }

  /** A completed stream is closed at once (the source's flow ends with "Close WebSocket"). */
  protected releaseStream(flow: SyncFlow): void {
    this.dropSocket(flow, 1000, 'sync complete');
  }

  /** Ends `flow`: its socket, its page request and its timers; the sync is no longer running. */
  protected end(flow: SyncFlow, code: number, reason: string): void {
    this.dropSocket(flow, code, reason);
    if (flow.request !== undefined) this.cmd({ type: 'abort', request: flow.request });
    this.cmd({ type: 'cancel-timer', key: `retry#${flow.id}` });
    this.lastProgress = flow.known ? { processed: flow.processed, total: flow.total } : null;
    this.flows = this.flows.filter((f) => f !== flow);
  }

  /** A 401: stop every sync until the user syncs again. */
  private authFailed(): void {
    this.authError = true;
    this.again = false;
    for (const f of [...this.flows]) this.end(f, 1000, 'unauthorized');
  }

  /** A timer expired: `resync`, or a flow's `idle#<id>` / `retry#<id>`. */
  protected onTimer(key: string): void {
    if (key === 'resync') {
      if (this.flows.length === 0 && !this.authError) this.start();
      return;
    }
    if (key === 'hold-rest') {
      this.restHeld = false;
      for (const f of this.flows) {
        if (!f.waiting) continue;
        this.cmd({ type: 'cancel-timer', key: `retry#${f.id}` });
        this.requestPage(f);
      }
      return;
    }
    const [kind, id] = key.split('#');
    const flow = this.flows.find((f) => String(f.id) === id);
    if (!flow) return;
    if (kind === 'idle' && flow.phase === 'stream') this.streamFailed(flow, `no frame for ${this.config.streamIdleTimeout} ms`);
    else if (kind === 'retry' && flow.waiting) this.requestPage(flow);
  }

  /** Queues a command for the shell. */
  protected cmd(c: SyncCommand): void {
    this.cmds.push(c);
  }
}
