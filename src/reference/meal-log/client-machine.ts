import { isFinal, mealLogTiming, type MealLog, type MealLogServerFrame, type MealLogSnapshot, type ShownMeal } from './wire.js';

/** Timing of a meal-log client (defaults: docs/protocols/meal-log.md). */
export interface MealLogClientConfig {
  pollInterval: number;
  pollGrowth: number;
  unchangedBeforeGrowth: number;
  pollMax: number;
  backoff: readonly number[];
  pingInterval: number;
  pongTimeout: number;
  preConnectWait: number;
  requestTimeout: number;
  uploadRetry: number;
  loadRetry: number;
}

/** The reference configuration. */
export const defaultMealLogConfig: MealLogClientConfig = {
  pollInterval: mealLogTiming.pollInterval,
  pollGrowth: mealLogTiming.pollGrowth,
  unchangedBeforeGrowth: mealLogTiming.unchangedBeforeGrowth,
  pollMax: mealLogTiming.pollMax,
  backoff: mealLogTiming.backoff,
  pingInterval: mealLogTiming.pingInterval,
  pongTimeout: mealLogTiming.pongTimeout,
  preConnectWait: mealLogTiming.preConnectWait,
  requestTimeout: mealLogTiming.requestTimeout,
  uploadRetry: mealLogTiming.uploadRetry,
  loadRetry: mealLogTiming.loadRetry,
};

/** A meal waiting in the outbox (persisted, so it survives an app restart). */
export interface OutboxEntry {
  localId: string;
  rawInput: string;
  /** When the user logged it (RFC 3339). */
  loggedAt: string;
}

/** What happens to the client: user actions, transport events, timer expiries. */
export type MealLogEvent =
  | { type: 'open-view' }
  | { type: 'submit'; text: string }
  | { type: 'ws-open'; socket: number }
  | { type: 'ws-frame'; socket: number; frame: MealLogServerFrame }
  | { type: 'ws-closed'; socket: number }
  | { type: 'get-ok'; request: number; meals: MealLog[] }
  /** `unreadable`: a 2xx whose body is not a listing (a captive portal's page, a truncated body). */
  | { type: 'get-failed'; request: number; status?: number; unreadable?: boolean }
  | { type: 'post-ok'; localId: string; mealLog: MealLog }
  /** `error`: no answer — the request timed out, or failed fast (a reset, no network). */
  | { type: 'post-failed'; localId: string; status?: number; error?: 'timeout' | 'network' }
  /** The storage refused to save the outbox (quota exceeded). */
  | { type: 'persist-failed' }
  | { type: 'timer'; key: string }
  | { type: 'online' }
  | { type: 'offline' };

/** What the client asks its shell to do. */
export type MealLogCommand =
  | { type: 'connect'; socket: number }
  | { type: 'disconnect'; socket: number; code: number; reason: string }
  | { type: 'ws-send'; socket: number; data: string }
  /** `date` absent: every meal of the user (the launch load). */
  | { type: 'get'; request: number; date?: string }
  | { type: 'abort'; request: number }
  | { type: 'post'; entry: OutboxEntry }
  | { type: 'set-timer'; key: string; ms: number }
  | { type: 'cancel-timer'; key: string }
  | { type: 'persist'; outbox: OutboxEntry[]; counter: number }
  | { type: 'log'; message: string; fields?: Record<string, unknown> };

/** What a listing GET is for: the launch's load, a catch-up load, or a poll of the fallback loop. */
export type LoadKind = 'launch' | 'catch-up' | 'poll';

interface Socket {
  id: number;
  state: 'connecting' | 'open';
  /** `isWebSocketConnected`: a server message arrived on it. */
  verified: boolean;
  pingSentAt?: number;
  awaitingPong: boolean;
}

interface Polling {
  interval: number;
  /** Consecutive polls that changed nothing. */
  unchanged: number;
  inFlight?: number;
  /** {@link MealLogMachine.finalized} when the poll in flight started. */
  finalizedAtStart: number;
}

/** A constructor of meal-log machines: the reference's, or a subclass that changes one decision (a zoo variant). */
export type MealLogMachineClass = new (...args: ConstructorParameters<typeof MealLogMachine>) => MealLogMachine;

/**
 * The meal-log client's decisions, with no I/O: events in, commands out, time passed in
 * (docs/protocols/meal-log.md, "The reference client"). One socket, guarded against duplicate
 * connects; verified only by a server message; polling while a meal is processing and the
 * socket is not verified, adaptive (×1.5 after 3 unchanged polls, up to 30 s), stopped when
 * verified or when nothing is processing; a catch-up load when a socket is verified;
 * reconnect with backoff; a pre-connection wait of up to 5 s before uploading; an outbox
 * that uploads each meal under one local id, across retries and app restarts. Its
 * decisions are protected methods so that a faulty variant (zoo/) is a subclass that
 * overrides exactly one of them.
 */
export class MealLogMachine {
  protected meals = new Map<string, ShownMeal>();
  /** The UTC day (`loggedAt`) of each meal shown: a listing asks for the day of the meal it waits on. */
  protected days = new Map<string, string>();
  /** The last outbox write failed: retried until one succeeds, so that a relaunch finds the meals. */
  protected unsaved = false;
  protected socket: Socket | undefined;
  protected socketCounter = 0;
  protected requestCounter = 0;
  /** Consecutive connection failures (backoff index). */
  protected attempts = 0;
  protected reconnectPending = false;
  /** A connection is wanted (the reference: from launch; a client that connects lazily: from the first NutritionView). */
  protected wanted = false;
  protected polling: Polling | undefined;
  /** Listing requests in flight: what they are, and how many listings had succeeded when they started. */
  protected loads = new Map<number, { kind: LoadKind; successes: number }>();
  protected listingSuccesses = 0;
  /** A failed launch or catch-up load, to retry until some listing succeeds. */
  protected loadOwed: 'launch' | 'catch-up' | undefined;
  protected uploadInFlight: string | undefined;
  /** Per outbox entry: until when an upload waits for a connection in progress. */
  protected waitUntil = new Map<string, number>();
  /** How many meals became (or appeared) final so far (adaptive polling: did a poll change anything?). */
  protected finalized = 0;
  protected metrics = {
    connectionAttempts: 0,
    successfulConnections: 0,
    failedConnections: 0,
    messagesReceived: 0,
    latencySum: 0,
    latencyCount: 0,
  };
  protected online: boolean;
  protected cmds: MealLogCommand[] = [];
  protected now = 0;

  /** @internal set by the shell: wall-clock epoch of virtual time 0. */
  epoch = 0;

  constructor(
    protected readonly config: MealLogClientConfig,
    protected outbox: OutboxEntry[],
    protected localCounter: number,
    online: boolean,
    protected readonly localPrefix: string,
  ) {
    this.online = online;
  }

  /** Feeds one event at virtual time `now`; returns the commands to carry out, in order. */
  handle(event: MealLogEvent, now: number): MealLogCommand[] {
    this.now = now;
    this.cmds = [];
    this.dispatch(event);
    return this.cmds;
  }

  /** The app launched: connect, load today's meals, and upload what the outbox kept. */
  start(now: number): MealLogCommand[] {
    this.now = now;
    this.cmds = [];
    for (const e of this.outbox) {
      this.meals.set(e.localId, { localId: e.localId, id: null, text: e.rawInput, status: 'uploading' });
      this.days.set(e.localId, e.loggedAt.slice(0, 10));
      this.waitUntil.set(e.localId, now + this.config.preConnectWait);
    }
    this.connectAhead();
    this.load('launch');
    this.flushOutbox();
    return this.cmds;
  }

  /** What the user sees. */
  snapshot(): MealLogSnapshot {
    const s = this.socket;
    const m = this.metrics;
    return {
      meals: [...this.meals.values()].map((x) => ({ ...x })),
      connection: s ? (s.state === 'open' ? 'connected' : 'connecting') : 'disconnected',
      verified: !!s?.verified,
      polling: this.polling !== undefined,
      pollingInterval: this.polling ? this.polling.interval : null,
      outbox: this.outbox.length,
      metrics: {
        connectionAttempts: m.connectionAttempts,
        successfulConnections: m.successfulConnections,
        failedConnections: m.failedConnections,
        messagesReceived: m.messagesReceived,
        averageLatency: m.latencyCount ? Math.round(m.latencySum / m.latencyCount) : 0,
      },
    };
  }

  protected dispatch(e: MealLogEvent): void {
    switch (e.type) {
      case 'open-view':
        this.wanted = true;
        return this.connect();
      case 'submit':
        return this.submit(e.text);
      case 'ws-open':
        return this.onOpen(e.socket);
      case 'ws-frame':
        return this.onFrame(e.socket, e.frame);
      case 'ws-closed':
        if (this.socket?.id === e.socket) this.socketFailed('closed');
        return;
      case 'get-ok':
        return this.onGet(e.request, e.meals);
      case 'get-failed':
        return e.unreadable ? this.onListingUnreadable(e.request) : this.onGet(e.request, undefined);
      case 'post-ok':
        return this.onPosted(e.localId, e.mealLog);
      case 'post-failed':
        return this.onPostFailed(e.localId, e.status, e.error);
      case 'persist-failed':
        return this.onPersistFailed();
      case 'timer':
        return this.onTimer(e.key);
      case 'online':
        return this.onOnline();
      case 'offline':
        this.online = false;
        return;
    }
  }

  // ---------------------------------------------------------------------------------
  // The connection

  /**
   * The socket is wanted from launch and again at each submission, so that it is registered
   * before the backend finishes processing the meal (the source's race: it connected only
   * after the upload).
   */
  protected connectAhead(): void {
    this.wanted = true;
    this.connect();
  }

  /** `connectWebSocket()`: guarded against a second connection while one is in progress or open. */
  protected connect(): void {
    if (!this.online || this.reconnectPending) return;
    if (this.socket !== undefined) {
      this.log(this.socket?.state === 'open' ? 'WebSocket already connected' : 'WebSocket connection already in progress');
      return;
    }
    const id = ++this.socketCounter;
    this.socket = { id, state: 'connecting', verified: false, awaitingPong: false };
    this.metrics.connectionAttempts++;
    this.cmd({ type: 'connect', socket: id });
  }

  protected onOpen(id: number): void {
    const s = this.socket;
    if (!s || s.id !== id) {
      // A socket this client no longer wants: closed rather than leaked.
      this.cmd({ type: 'disconnect', socket: id, code: 1000, reason: 'stale socket' });
      return;
    }
    s.state = 'open';
    // A ping at once: it elicits a server message (verification) and measures latency.
    this.ping(s);
  }

  protected onFrame(id: number, frame: MealLogServerFrame): void {
    const s = this.socket;
    if (!s || s.id !== id) return;
    this.metrics.messagesReceived++;
    s.awaitingPong = false;
    this.cmd({ type: 'cancel-timer', key: 'pong-timeout' });
    if (frame.type === 'pong' && s.pingSentAt !== undefined) {
      this.metrics.latencySum += this.now - s.pingSentAt;
      this.metrics.latencyCount++;
      s.pingSentAt = undefined;
    }
    if (!s.verified) this.verified(s);
    if (frame.type === 'meal_log_completed' || frame.type === 'meal_log_failed') this.onNotification(frame.payload.mealLog);
  }

  /** `handleMealLogCompleted` / `handleMealLogFailed`: the pushed meal is shown at once. */
  protected onNotification(mealLog: MealLog): void {
    this.apply([mealLog]);
  }

  /** The socket is verified: stop polling, fetch what was missed, let a waiting upload go. */
  protected verified(s: Socket): void {
    s.verified = true;
    this.metrics.successfulConnections++;
    this.attempts = 0;
    this.log('WebSocket verified, stopping polling', { socket: s.id });
    this.stopPolling();
    this.cmd({ type: 'set-timer', key: 'ping', ms: this.config.pingInterval });
    this.catchUp();
    this.flushOutbox();
  }

  /** A completion pushed while the socket was down (or never delivered) is fetched, not waited for. */
  protected catchUp(): void {
    if (this.hasProcessing()) this.load('catch-up');
  }

  protected ping(s: Socket): void {
    this.cmd({ type: 'ws-send', socket: s.id, data: JSON.stringify({ type: 'ping' }) });
    s.pingSentAt = this.now;
    s.awaitingPong = true;
    this.cmd({ type: 'set-timer', key: 'pong-timeout', ms: this.config.pongTimeout });
  }

  /** The socket closed, failed to connect, or failed its heartbeat. */
  protected socketFailed(why: string): void {
    const s = this.socket!;
    this.socket = undefined;
    this.cmd({ type: 'cancel-timer', key: 'ping' });
    this.cmd({ type: 'cancel-timer', key: 'pong-timeout' });
    if (!s.verified) this.metrics.failedConnections++;
    this.log('WebSocket disconnected', { socket: s.id, why });
    this.startPolling();
    this.scheduleReconnect();
    this.flushOutbox();
  }

  protected scheduleReconnect(): void {
    if (!this.online || !this.wanted) return;
    const b = this.config.backoff;
    const delay = b[Math.min(this.attempts, b.length - 1)]!;
    this.attempts++;
    this.reconnectPending = true;
    this.cmd({ type: 'set-timer', key: 'reconnect', ms: delay });
  }

  protected onOnline(): void {
    this.online = true;
    if (this.wanted && !this.socket) {
      this.attempts = 0;
      this.reconnectPending = false;
      this.cmd({ type: 'cancel-timer', key: 'reconnect' });
      this.connect();
    }
    if (this.polling && this.polling.inFlight === undefined) {
      this.cmd({ type: 'cancel-timer', key: 'poll' });
      this.poll();
    }
    if (this.loadOwed && !this.polling && !this.loadInFlight()) this.load(this.loadOwed);
    this.flushOutbox();
  }

  // ---------------------------------------------------------------------------------
  // Polling and loads

  protected hasProcessing(): boolean {
    for (const m of this.meals.values()) if (m.status === 'processing') return true;
    return false;
  }

  /** Whether anything is left for polling to find: the document's "Stop if no meals are processing". */
  protected pollingNeeded(): boolean {
    return this.hasProcessing();
  }

  /** Whether the socket makes polling unnecessary: only once verified by a server message. */
  protected socketReplacesPolling(): boolean {
    return !!this.socket?.verified;
  }

  /** The fallback: one loop, while a meal is processing and the socket is not verified. */
  protected startPolling(): void {
    if (this.polling || this.socketReplacesPolling()) return;
    if (!this.pollingNeeded()) return;
    this.polling = { interval: this.config.pollInterval, unchanged: 0, finalizedAtStart: this.finalized };
    this.log('Starting polling fallback');
    this.cmd({ type: 'set-timer', key: 'poll', ms: this.pollDelay() });
  }

  /** How long the polling loop sleeps before its next poll: the adaptive interval. */
  protected pollDelay(): number {
    return this.polling?.interval ?? this.config.pollInterval;
  }

  protected stopPolling(): void {
    const p = this.polling;
    if (!p) return;
    this.cmd({ type: 'cancel-timer', key: 'poll' });
    if (p.inFlight !== undefined) {
      this.loads.delete(p.inFlight);
      this.cmd({ type: 'abort', request: p.inFlight });
    }
    this.polling = undefined;
    if (this.loadOwed && !this.loadInFlight()) this.cmd({ type: 'set-timer', key: 'load-retry', ms: this.config.loadRetry });
  }

  /** Whether the polling loop should end now (the document's two checks). */
  protected pollingShouldStop(): boolean {
    if (this.socketReplacesPolling()) return true;
    return !this.pollingNeeded();
  }

  protected onPollTimer(): void {
    if (!this.polling) return;
    if (this.pollingShouldStop()) return this.stopPolling();
    if (!this.online) {
      // Nothing to reach: the loop resumes when the device comes back online.
      this.cmd({ type: 'set-timer', key: 'poll', ms: this.pollDelay() });
      return;
    }
    this.poll();
  }

  protected poll(): void {
    const p = this.polling!;
    if (p.inFlight !== undefined) return;
    const request = ++this.requestCounter;
    p.inFlight = request;
    p.finalizedAtStart = this.finalized;
    this.loads.set(request, { kind: 'poll', successes: this.listingSuccesses });
    this.cmd({ type: 'get', request, date: this.listingDateFor('poll') });
  }

  /** A load of today's meals that is not a poll: at launch, and when a socket is verified. */
  protected load(kind: 'launch' | 'catch-up'): void {
    if (!this.online) {
      this.loadOwed = kind;
      return;
    }
    // A new load supersedes a pending retry.
    this.cmd({ type: 'cancel-timer', key: 'load-retry' });
    const request = ++this.requestCounter;
    this.loads.set(request, { kind, successes: this.listingSuccesses });
    this.cmd({ type: 'get', request, date: this.listingDateFor(kind) });
  }

  /**
   * The `date` a listing asks for. A relaunch does not know which days the meals it waits on
   * were logged on, so the launch load asks for every meal (no `date`); the others ask for
   * {@link listingDate}.
   */
  protected listingDateFor(kind: LoadKind): string | undefined {
    return kind === 'launch' ? undefined : this.listingDate();
  }

  /**
   * The day a listing asks for — the view's selected date: the UTC day of the meals still
   * uploading or processing (one submitted before midnight is listed under the day before),
   * every meal (no `date`) when they were logged on different days, today when there are
   * none (docs/protocols/meal-log.md, "Days").
   */
  protected listingDate(): string | undefined {
    const days = new Set<string>();
    for (const m of this.meals.values()) {
      if (isFinal(m.status)) continue;
      const day = this.days.get(m.localId);
      if (day !== undefined) days.add(day);
    }
    if (days.size > 1) return undefined;
    return days.size === 1 ? [...days][0] : this.today();
  }

  /** A 2xx listing the client cannot read (a captive portal's page): a failed GET like any other; polling goes on. */
  protected onListingUnreadable(request: number): void {
    this.log('Unreadable listing answer', { request });
    this.onGet(request, undefined);
  }

  protected loadInFlight(): boolean {
    for (const l of this.loads.values()) if (l.kind !== 'poll') return true;
    return false;
  }

  protected onGet(request: number, meals: MealLog[] | undefined): void {
    const load = this.loads.get(request);
    if (!load) return;
    const kind = load.kind;
    this.loads.delete(request);
    if (meals) {
      this.listingSuccesses++;
      this.apply(meals);
      this.loadOwed = undefined;
      this.cmd({ type: 'cancel-timer', key: 'load-retry' });
    }
    if (kind === 'poll') {
      const p = this.polling;
      if (!p || p.inFlight !== request) return;
      p.inFlight = undefined;
      if (this.finalized > p.finalizedAtStart) {
        p.interval = this.config.pollInterval;
        p.unchanged = 0;
      } else if (++p.unchanged >= this.config.unchangedBeforeGrowth) {
        p.interval = Math.min(p.interval * this.config.pollGrowth, this.config.pollMax);
      }
      if (this.pollingShouldStop()) {
        if (!this.hasProcessing()) this.log('No processing meals, stopping polling');
        return this.stopPolling();
      }
      this.cmd({ type: 'set-timer', key: 'poll', ms: this.pollDelay() });
      return;
    }
    if (!meals && this.listingSuccesses === load.successes) {
      // Retried (unless a later listing succeeded meanwhile) once no other load is in flight, and not while polling fetches the same list.
      this.loadOwed = kind;
      if (!this.polling && !this.loadInFlight()) this.cmd({ type: 'set-timer', key: 'load-retry', ms: this.config.loadRetry });
    }
    if (this.hasProcessing() && !this.socket?.verified) this.startPolling();
  }

  /** Merges meal logs from the backend into the view; a final status is never undone. */
  protected apply(list: MealLog[]): void {
    for (const m of list) {
      this.days.set(m.localId, m.loggedAt.slice(0, 10));
      const shown = this.meals.get(m.localId);
      if (!shown) {
        this.meals.set(m.localId, { localId: m.localId, id: m.id, text: m.rawInput, status: m.status });
        if (isFinal(m.status)) this.finalized++;
        continue;
      }
      shown.id = m.id;
      if (isFinal(shown.status)) continue;
      if (isFinal(m.status)) this.finalized++;
      shown.status = m.status;
    }
    if (this.polling && this.polling.inFlight === undefined && this.pollingShouldStop()) this.stopPolling();
  }

  // ---------------------------------------------------------------------------------
  // Submitting: the outbox

  protected submit(text: string): void {
    const localId = this.nextLocalId();
    const entry: OutboxEntry = { localId, rawInput: text, loggedAt: new Date(this.epoch + this.now).toISOString() };
    this.outbox.push(entry);
    this.persist();
    this.meals.set(localId, { localId, id: null, text, status: 'uploading' });
    this.days.set(localId, entry.loggedAt.slice(0, 10));
    this.waitUntil.set(localId, this.now + this.config.preConnectWait);
    this.connectAhead();
    this.flushOutbox();
  }

  /** Uploads the first entry, one at a time; waits (up to 5 s from the submission) for a connection in progress. */
  protected flushOutbox(): void {
    if (this.uploadInFlight !== undefined || !this.online) return;
    const e = this.outbox[0];
    if (!e) return;
    if (this.waitsForConnection(e)) return;
    this.cmd({ type: 'cancel-timer', key: 'pre-connect' });
    this.uploadInFlight = e.localId;
    this.cmd({ type: 'post', entry: { ...e } });
  }

  /** The source's Pre-Connection Check: an upload waits (up to 5 s from the submission) for a connection in progress. */
  protected waitsForConnection(e: OutboxEntry): boolean {
    const s = this.socket;
    if (!s || s.verified) return false;
    const until = this.waitUntil.get(e.localId) ?? this.now;
    if (this.now >= until) return false;
    this.log('Waiting for WebSocket connection...', { localId: e.localId });
    this.cmd({ type: 'set-timer', key: 'pre-connect', ms: until - this.now });
    return true;
  }

  protected onPosted(localId: string, mealLog: MealLog): void {
    if (this.uploadInFlight === localId) this.uploadInFlight = undefined;
    this.outbox = this.outbox.filter((e) => e.localId !== localId);
    this.waitUntil.delete(localId);
    this.persist();
    this.log('Meal log uploaded successfully', { localId, id: mealLog.id });
    const shown = this.meals.get(localId);
    this.days.set(localId, mealLog.loggedAt.slice(0, 10));
    if (shown) {
      shown.id = mealLog.id;
      if (!isFinal(shown.status)) {
        if (isFinal(mealLog.status)) this.finalized++;
        shown.status = mealLog.status;
      }
    } else this.apply([mealLog]);
    if (this.hasProcessing() && !this.socket?.verified) this.startPolling();
    this.flushOutbox();
  }

  protected onPostFailed(localId: string, status: number | undefined, _error?: 'timeout' | 'network'): void {
    if (this.uploadInFlight === localId) this.uploadInFlight = undefined;
    if (status === 400 || status === 404 || status === 409 || status === 422) {
      // The backend will never accept it: drop it rather than retry forever.
      this.outbox = this.outbox.filter((e) => e.localId !== localId);
      const shown = this.meals.get(localId);
      if (shown) shown.status = 'failed';
      this.persist();
      return this.flushOutbox();
    }
    this.retryUpload(localId);
  }

  /**
   * The storage refused the outbox (quota exceeded): the meals stay in memory and keep
   * uploading; the write is retried until it succeeds, so a relaunch finds what was not
   * uploaded yet. Only a relaunch before that loses them (docs/protocols/meal-log.md, "Storage").
   */
  protected onPersistFailed(): void {
    this.log('Could not save the outbox; keeping it in memory');
    this.unsaved = true;
    this.cmd({ type: 'set-timer', key: 'persist-retry', ms: this.config.uploadRetry });
  }

  /** A failed upload is retried later under the same local id, so the backend can tell a retry from a new meal. */
  protected retryUpload(_localId: string): void {
    this.cmd({ type: 'set-timer', key: 'outbox-retry', ms: this.config.uploadRetry });
  }

  // ---------------------------------------------------------------------------------
  // Timers

  protected onTimer(key: string): void {
    switch (key) {
      case 'poll':
        return this.onPollTimer();
      case 'reconnect':
        this.reconnectPending = false;
        if (!this.socket) this.connect();
        return;
      case 'ping': {
        const s = this.socket;
        if (!s || s.state !== 'open') return;
        this.ping(s);
        this.cmd({ type: 'set-timer', key: 'ping', ms: this.config.pingInterval });
        return;
      }
      case 'pong-timeout': {
        const s = this.socket;
        if (!s || !s.awaitingPong) return;
        this.cmd({ type: 'disconnect', socket: s.id, code: 4000, reason: 'heartbeat timeout' });
        this.socketFailed('no server message within the pong timeout');
        return;
      }
      case 'pre-connect':
      case 'outbox-retry':
        return this.flushOutbox();
      case 'persist-retry':
        if (this.unsaved) this.persist();
        return;
      case 'load-retry':
        if (this.loadOwed && !this.polling && !this.loadInFlight()) this.load(this.loadOwed);
        return;
    }
  }

  protected today(): string {
    return new Date(this.epoch + this.now).toISOString().slice(0, 10);
  }

  protected nextLocalId(): string {
    return `${this.localPrefix}-meal-${++this.localCounter}`;
  }

  protected persist(): void {
    this.unsaved = false;
    this.cmd({ type: 'cancel-timer', key: 'persist-retry' });
    this.cmd({ type: 'persist', outbox: this.outbox.map((e) => ({ ...e })), counter: this.localCounter });
  }

  protected log(message: string, fields?: Record<string, unknown>): void {
    this.cmd({ type: 'log', message: `NutritionViewModel: ${message}`, fields });
  }

  protected cmd(c: MealLogCommand): void {
    this.cmds.push(c);
  }
}
