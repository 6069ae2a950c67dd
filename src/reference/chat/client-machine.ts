import type { ChatSnapshot } from './snapshot.js';
import { chatTiming, type ChatMessage, type ChatServerFrame } from './wire.js';

/** Timing of a chat client (defaults: docs/protocols/chat.md). */
export interface ChatClientConfig {
  basePollInterval: number;
  /** Adaptive polling (2/5/10 s); off means every `basePollInterval`. */
  adaptive: boolean;
  backoff: readonly number[];
  pingInterval: number;
  pongTimeout: number;
  /** A poll or load that has not answered after this long is abandoned. */
  requestTimeout: number;
  /** Delay before retrying a failed send. */
  outboxRetry: number;
  /** Waits before the 1st, 2nd, … retry of a failed catch-up load (the last one repeats). */
  catchUpBackoff: readonly number[];
  /** A socket that stayed open this long is stable: only then does the reconnect count reset (CHAT-8). */
  stableAfter: number;
  /** A handshake still pending after this long is given up as a failed connect (CHAT-5). */
  connectTimeout: number;
  /** The longest `Retry-After` honoured (a longer one is capped: polling must go on, CHAT-18). */
  maxRetryAfter: number;
}

/** The reference configuration. */
export const defaultChatConfig: ChatClientConfig = {
  basePollInterval: chatTiming.basePollInterval,
  adaptive: true,
  backoff: chatTiming.backoff,
  pingInterval: chatTiming.pingInterval,
  pongTimeout: chatTiming.pongTimeout,
  requestTimeout: 5000,
  outboxRetry: 3000,
  catchUpBackoff: chatTiming.backoff,
  stableAfter: chatTiming.stableAfter,
  connectTimeout: 5000,
  maxRetryAfter: chatTiming.adaptive.slow,
};

/** A message waiting in the outbox (persisted). */
export interface OutboxEntry {
  clientMessageId: string;
  conversation: string;
  content: string;
  /** When the user sent it (RFC 3339), for optimistic display. */
  createdAt: string;
}

/** What happens to the client: user actions, transport events, timer expiries. */
export type ChatEvent =
  | { type: 'open'; conversation: string }
  | { type: 'close' }
  | { type: 'send'; text: string }
  | { type: 'ws-open'; socket: number }
  | { type: 'ws-frame'; socket: number; frame: ChatServerFrame }
  /** A frame that does not decode (not JSON, or a message that breaks the wire format). */
  | { type: 'ws-bad-frame'; socket: number }
  | { type: 'ws-closed'; socket: number }
  | { type: 'get-ok'; request: number; messages: ChatMessage[] }
  /** `retryAfter`: the answer's `Retry-After`, in ms, when it carried one. */
  | { type: 'get-failed'; request: number; status?: number; retryAfter?: number }
  | { type: 'post-ok'; clientMessageId: string; message: ChatMessage }
  | { type: 'post-failed'; clientMessageId: string; status?: number; retryAfter?: number }
  | { type: 'timer'; key: string }
  | { type: 'online' }
  | { type: 'offline' }
  | { type: 'foreground' };

/** What the client asks its shell to do. */
export type ChatCommand =
  | { type: 'connect'; socket: number; conversation: string }
  | { type: 'disconnect'; socket: number; code: number; reason: string }
  | { type: 'ws-send'; socket: number; data: string }
  | { type: 'get'; request: number; conversation: string }
  | { type: 'abort'; request: number }
  | { type: 'post'; entry: OutboxEntry }
  | { type: 'set-timer'; key: string; ms: number }
  | { type: 'cancel-timer'; key: string }
  | { type: 'persist-outbox'; outbox: OutboxEntry[]; counter: number };

/** One polling loop: its conversation and the poll it waits for. */
export interface PollLoop {
  conversation: string;
  inFlight: number | undefined;
}

/**
 * The chat client's decisions, with no I/O: events in, commands out, time passed in.
 * Connect on open; health from `open` until close or a failed heartbeat; exactly one
 * polling loop while unhealthy; backoff 2–32 s, five attempts; dedupe by id, order by
 * timestamp; an outbox with stable client message ids; stop everything on 401.
 */
export class ChatMachine {
  private conversation: string | null = null;
  private messages: ChatMessage[] = [];
  private ids = new Set<string>();
  private socket: { id: number; conversation: string; state: 'connecting' | 'open' } | undefined;
  private socketCounter = 0;
  private requestCounter = 0;
  /** The polling loops by timer key (one, unless a bug starts more). */
  protected loops = new Map<string, PollLoop>();
  private loads = new Map<number, { conversation: string; loop?: string }>();
  /** A catch-up load is owed: none has succeeded since the last one was asked for. */
  private catchUpOwed = false;
  /** Failed attempts of the owed catch-up load so far (picks the next retry's wait). */
  private catchUpFailures = 0;
  /** The latest catch-up load asked for: only its failure is retried (an older one was superseded). */
  private latestLoad: number | undefined;
  private attempts = 0;
  /** The status of the last failed GET (200: the body did not parse; none: a network error). */
  protected lastGetStatus: number | undefined;
  /** Consecutive failed sends (picks the next retry's wait). */
  private sendFailures = 0;
  /** No request before this virtual time: a `Retry-After` in force (CHAT-20). */
  private quietUntil = -Infinity;
  private awaitingPong = false;
  private lastSendAt = -Infinity;
  private outboxInFlight: string | undefined;
  private authError = false;
  private online: boolean;
  private cmds: ChatCommand[] = [];
  private now = 0;

  constructor(
    private readonly config: ChatClientConfig,
    /** The messages the user sent that the server has not acknowledged yet, oldest first. */
    protected outbox: OutboxEntry[],
    private cmidCounter: number,
    online: boolean,
    private readonly cmidPrefix: string,
  ) {
    this.online = online;
  }

  /** Feeds one event at virtual time `now`; returns the commands to carry out, in order. */
  handle(event: ChatEvent, now: number): ChatCommand[] {
    this.now = now;
    this.cmds = [];
    this.dispatch(event);
    return this.cmds;
  }

  /** Starts work that needs no event (flushing an outbox restored from storage). */
  start(now: number): ChatCommand[] {
    this.now = now;
    this.cmds = [];
    this.flushOutbox();
    return this.cmds;
  }

  /** What the user sees (a fresh object on every call). */
  snapshot(): ChatSnapshot {
    const current = this.conversation;
    const shown: ChatSnapshot['messages'] = this.messages.map((m) => ({
      id: m.id,
      role: m.role,
      content: m.content,
      timestamp: m.timestamp,
      clientMessageId: m.clientMessageId,
    }));
    const acked = new Set(this.messages.map((m) => m.clientMessageId).filter(Boolean));
    for (const e of this.outbox) {
      if (e.conversation !== current || this.duplicate(acked, e.clientMessageId)) continue;
      shown.push({
        id: `local:${e.clientMessageId}`,
        role: 'user',
        content: e.content,
        timestamp: e.createdAt,
        clientMessageId: e.clientMessageId,
        pending: true,
      });
    }
    this.order(shown);
    return {
      conversation: current,
      messages: shown,
      connection: this.socket ? this.socket.state : current ? 'closed' : 'idle',
      polling: this.loops.size > 0,
      outbox: this.outbox.length,
      authError: this.authError,
    };
  }

  private dispatch(e: ChatEvent): void {
    switch (e.type) {
      case 'open':
        return this.open(e.conversation);
      case 'close':
        this.leave();
        this.conversation = null;
        return;
      case 'send':
        return this.send(e.text);
      case 'ws-open':
        return this.onOpen(e.socket);
      case 'ws-frame':
        return this.onFrame(e.socket, e.frame);
      case 'ws-bad-frame':
        return this.onBadFrame(e.socket);
      case 'ws-closed':
        if (this.socket?.id === e.socket) this.socketFailed();
        return;
      case 'get-ok':
        return this.onGet(e.request, e.messages, undefined);
      case 'get-failed':
        this.lastGetStatus = e.status;
        this.respectRetryAfter(e.retryAfter);
        return this.onGet(e.request, undefined, e.status);
      case 'post-ok':
        return this.onPosted(e.clientMessageId, e.message);
      case 'post-failed':
        this.respectRetryAfter(e.retryAfter);
        return this.onPostFailed(e.clientMessageId, e.status);
      case 'timer':
        return this.onTimer(e.key);
      case 'online':
        this.online = true;
        this.revive();
        this.flushOutbox();
        return;
      case 'offline':
        this.online = false;
        return;
      case 'foreground':
        this.revive();
        this.flushOutbox();
        return;
    }
  }

  /** Opens a conversation (leaving the current one): connect, and load what is stored. */
  protected open(conversation: string): void {
    // leave() has cleared the list of the conversation before, so it starts empty.
    if (this.conversation !== null) this.leave();
    this.conversation = conversation;
    this.authError = false;
    this.attempts = 0;
    this.connect();
    this.load(conversation);
  }

  /** Leaves the current conversation: its socket, polling, timers and messages end (CHAT-11). */
  protected leave(): void {
    if (this.socket) this.cmd({ type: 'disconnect', socket: this.socket.id, code: 1000, reason: 'conversation closed' });
    this.socket = undefined;
    this.stopPolling();
    for (const key of ['reconnect', 'ping', 'pong-timeout', 'catch-up', 'stable', 'connect-timeout']) this.cmd({ type: 'cancel-timer', key });
    this.awaitingPong = false;
    this.clearMessages();
  }

  private clearMessages(): void {
    this.messages = [];
    this.ids.clear();
  }

  /** Opens a socket for the open conversation, when the device is online and no auth error stands. */
  protected connect(): void {
    const conversation = this.conversation;
    if (!conversation || this.authError || !this.online) return;
    const id = ++this.socketCounter;
    this.socket = { id, conversation, state: 'connecting' };
    this.cmd({ type: 'connect', socket: id, conversation });
    // A stalled handshake is a failed connect after a few seconds, not after the platform's
    // 30–60 s: the source's Test Case 2 expects the answer polled 3–6 s after the failure.
    this.cmd({ type: 'set-timer', key: 'connect-timeout', ms: this.config.connectTimeout });
  }

  private onOpen(id: number): void {
    const s = this.socket;
    if (!s || s.id !== id) return this.staleSocketOpened(id);
    s.state = 'open';
    this.cmd({ type: 'cancel-timer', key: 'connect-timeout' });
    this.cmd({ type: 'cancel-timer', key: 'reconnect' });
    this.stabilize();
    this.endFallback();
    this.load(s.conversation);
    this.flushOutbox();
    this.startHeartbeat();
  }

  /**
   * Resets the reconnect count only once the socket proved stable — open for
   * `stableAfter` (reconnecting-websocket's `minUptime`) — so that a backend that accepts
   * and drops at once (flapping) still meets the full backoff (CHAT-8).
   */
  protected stabilize(): void {
    this.cmd({ type: 'set-timer', key: 'stable', ms: this.config.stableAfter });
  }

  /** Starts the backoff over (a stable socket, or a return online or to the foreground). */
  protected resetAttempts(): void {
    this.attempts = 0;
  }

  /** A socket this client no longer wants (of a conversation left, or superseded) opened: close it. */
  protected staleSocketOpened(id: number): void {
    this.cmd({ type: 'disconnect', socket: id, code: 1000, reason: 'stale socket' });
  }

  /** Messages from a socket or load of a conversation no longer open: dropped, they belong elsewhere (CHAT-11). */
  protected strayMessages(messages: ChatMessage[]): void {
    void messages;
  }

  /** The socket is healthy again: the fallback polling ends at once (optimization § Scenario 3, CHAT-7). */
  protected endFallback(): void {
    this.stopPolling();
  }

  /** Arms the heartbeat of an open socket, so a half-open one is noticed (CHAT-9). */
  protected startHeartbeat(): void {
    this.cmd({ type: 'set-timer', key: 'ping', ms: this.config.pingInterval });
  }

  private onFrame(id: number, frame: ChatServerFrame): void {
    const s = this.socket;
    if (!s || s.id !== id) {
      if (frame.type === 'message') this.strayMessages([frame.message]);
      return;
    }
    this.awaitingPong = false;
    this.cmd({ type: 'cancel-timer', key: 'pong-timeout' });
    if (frame.type === 'message') this.merge([frame.message], false);
  }

  /** A frame of the current socket does not decode: a runtime error, so fall back (fallback § WebSocket Runtime Errors, "Message decode failure"). */
  protected onBadFrame(id: number): void {
    const s = this.socket;
    if (!s || s.id !== id) return;
    this.cmd({ type: 'disconnect', socket: s.id, code: 4002, reason: 'undecodable frame' });
    this.socketFailed();
  }

  /** The socket closed, errored, failed to connect or failed its heartbeat. */
  private socketFailed(): void {
    this.socket = undefined;
    this.awaitingPong = false;
    for (const key of ['ping', 'pong-timeout', 'stable', 'connect-timeout']) this.cmd({ type: 'cancel-timer', key });
    if (this.authError) return;
    this.startPolling();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (!this.conversation || this.authError) return;
    const delay = this.reconnectDelay(this.attempts);
    if (delay === undefined) return; // five attempts spent: polling only, until revived
    this.attempts++;
    this.cmd({ type: 'set-timer', key: 'reconnect', ms: delay });
  }

  /** The wait before reconnect attempt `attempt` (0-based); none once the attempts are spent (CHAT-8). */
  protected reconnectDelay(attempt: number): number | undefined {
    return this.config.backoff[attempt];
  }

  /** Coming online or to the foreground: a client that gave up (or waits) tries again now. */
  protected revive(): void {
    if (!this.conversation || this.socket || this.authError) return;
    this.attempts = 0;
    this.cmd({ type: 'cancel-timer', key: 'reconnect' });
    this.connect();
  }

  /** Starts the polling loop (the first poll at once), unless one runs already. */
  protected startPolling(): void {
    const conversation = this.conversation;
    if (!conversation) return;
    const key = this.newLoopKey();
    if (key === undefined) return;
    this.loops.set(key, { conversation, inFlight: undefined });
    this.poll(key);
  }

  /** The timer key of a new polling loop, or none when one runs already (the `isPolling` guard, CHAT-6). */
  protected newLoopKey(): string | undefined {
    return this.loops.size > 0 ? undefined : 'poll';
  }

  /** Ends every polling loop, aborting a poll still in flight so no two polls ever overlap. */
  private stopPolling(): void {
    for (const [key, loop] of this.loops) {
      this.cmd({ type: 'cancel-timer', key });
      if (loop.inFlight !== undefined) {
        this.loads.delete(loop.inFlight);
        this.cmd({ type: 'abort', request: loop.inFlight });
      }
    }
    this.loops.clear();
  }

  private poll(key: string): void {
    const loop = this.loops.get(key);
    if (!loop || loop.inFlight !== undefined) return;
    if (this.now < this.quietUntil) {
      this.cmd({ type: 'set-timer', key, ms: this.quietUntil - this.now });
      return;
    }
    const request = ++this.requestCounter;
    loop.inFlight = request;
    this.loads.set(request, { conversation: loop.conversation, loop: key });
    this.cmd({ type: 'get', request, conversation: loop.conversation });
  }

  /** The catch-up load after opening a conversation or a socket (`retry`: a retry of a failed one). */
  private load(conversation: string, retry = false): void {
    this.catchUpOwed = true;
    if (!retry) {
      // A fresh load supersedes any retry still waiting for the previous one.
      this.catchUpFailures = 0;
      this.cmd({ type: 'cancel-timer', key: 'catch-up' });
    }
    if (this.now < this.quietUntil) {
      // A Retry-After is in force: the load waits for it, as a retry would.
      this.cmd({ type: 'set-timer', key: 'catch-up', ms: this.quietUntil - this.now });
      return;
    }
    const request = ++this.requestCounter;
    this.latestLoad = request;
    this.loads.set(request, { conversation });
    this.cmd({ type: 'get', request, conversation });
  }

  private onGet(request: number, messages: ChatMessage[] | undefined, status: number | undefined): void {
    const load = this.loads.get(request);
    if (!load) return;
    this.loads.delete(request);
    if (this.unauthorized(status)) return this.authFailed();
    if (messages && load.conversation === this.conversation) this.merge(messages, false);
    else if (messages) this.strayMessages(messages);
    if (load.loop === undefined) {
      if (messages && load.conversation === this.conversation) this.catchUpOwed = false;
      // A failed catch-up load is retried with backoff (unless a later one succeeded): with a
      // healthy socket nothing else would fetch what was stored while the client had none,
      // and a fixed short retry during a long REST outage would amount to polling.
      else if (!messages && this.catchUpOwed && request === this.latestLoad && load.conversation === this.conversation && !this.authError) {
        const waits = this.config.catchUpBackoff;
        const wait = waits[Math.min(this.catchUpFailures, waits.length - 1)] ?? this.config.outboxRetry;
        this.catchUpFailures++;
        this.cmd({ type: 'set-timer', key: 'catch-up', ms: wait });
      }
      return;
    }
    const loop = this.loops.get(load.loop);
    if (!loop || loop.inFlight !== request) return;
    this.pollDone(load.loop, loop, messages !== undefined);
  }

  /** A poll of `loop` answered (`ok`: with the messages); the loop waits one interval and polls again, whatever the outcome. */
  protected pollDone(key: string, loop: PollLoop, ok: boolean): void {
    void ok; // errors are logged and polling goes on (fallback document, "Polling Errors")
    loop.inFlight = undefined;
    this.cmd({ type: 'set-timer', key, ms: this.interval() });
  }

  /** The wait before the next poll: 2/5/10 s by the time since the user last sent (or the base interval). */
  protected interval(): number {
    if (!this.config.adaptive) return this.config.basePollInterval;
    const since = this.now - this.lastSendAt;
    const a = chatTiming.adaptive;
    return since <= a.fastWindow ? a.fast : since <= a.mediumWindow ? a.medium : a.slow;
  }

  private onTimer(key: string): void {
    if (this.loops.has(key)) return this.poll(key);
    switch (key) {
      case 'reconnect':
        if (this.conversation && !this.socket) this.connect();
        return;
      case 'ping': {
        const s = this.socket;
        if (!s || s.state !== 'open') return;
        this.cmd({ type: 'ws-send', socket: s.id, data: JSON.stringify({ type: 'ping' }) });
        this.awaitingPong = true;
        this.cmd({ type: 'set-timer', key: 'pong-timeout', ms: this.config.pongTimeout });
        this.cmd({ type: 'set-timer', key: 'ping', ms: this.config.pingInterval });
        return;
      }
      case 'pong-timeout': {
        const s = this.socket;
        if (!s || !this.awaitingPong) return;
        this.cmd({ type: 'disconnect', socket: s.id, code: 4000, reason: 'heartbeat timeout' });
        this.socketFailed();
        return;
      }
      case 'outbox-retry':
        return this.flushOutbox();
      case 'stable':
        if (this.socket?.state === 'open') this.resetAttempts();
        return;
      case 'connect-timeout': {
        const s = this.socket;
        if (!s || s.state !== 'connecting') return;
        this.cmd({ type: 'disconnect', socket: s.id, code: 1000, reason: 'connect timeout' });
        this.socketFailed();
        return;
      }
      case 'catch-up':
        if (this.catchUpOwed && this.conversation && !this.authError && this.loops.size === 0) this.load(this.conversation, true);
        return;
    }
  }

  private send(text: string): void {
    if (!this.conversation) return;
    this.lastSendAt = this.now;
    if (this.authError) {
      // The user acted again: try once more (a fresh token may be in place).
      this.authError = false;
      this.revive();
    }
    this.outbox.push({
      clientMessageId: this.nextCmid(),
      conversation: this.conversation,
      content: text,
      createdAt: new Date(this.epochNow()).toISOString(),
    });
    this.persist();
    this.flushOutbox();
  }

  private flushOutbox(): void {
    if (this.outboxInFlight !== undefined || this.authError || !this.online) return;
    const first = this.outbox[0];
    if (!first) return;
    if (this.now < this.quietUntil) {
      this.cmd({ type: 'set-timer', key: 'outbox-retry', ms: this.quietUntil - this.now });
      return;
    }
    this.outboxInFlight = first.clientMessageId;
    this.cmd({ type: 'post', entry: { ...first } });
  }

  private onPosted(cmid: string, message: ChatMessage): void {
    if (this.outboxInFlight === cmid) this.outboxInFlight = undefined;
    this.sendFailures = 0;
    this.outbox = this.outbox.filter((e) => e.clientMessageId !== cmid);
    this.persist();
    if (message.conversationId === this.conversation) this.merge([message], false);
    this.flushOutbox();
  }

  private onPostFailed(cmid: string, status: number | undefined): void {
    if (this.outboxInFlight === cmid) this.outboxInFlight = undefined;
    if (this.unauthorized(status)) return this.sendUnauthorized(cmid);
    if (status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429) {
      // The server will never accept it: drop it rather than retry forever.
      this.outbox = this.outbox.filter((e) => e.clientMessageId !== cmid);
      this.persist();
      return this.flushOutbox();
    }
    this.scheduleSendRetry(cmid);
  }

  /** A send failed for a reason that may pass: retry it later under the same clientMessageId (CHAT-12). */
  protected scheduleSendRetry(cmid: string): void {
    void cmid; // the entry keeps its id, so the server can recognise a retry of a send it stored
    // Backed off like the catch-up load (3, 4, 8, 16, 32 s): a long REST outage is not hammered.
    const waits = this.config.catchUpBackoff;
    const wait = Math.max(this.config.outboxRetry, waits[Math.min(this.sendFailures, waits.length - 1)] ?? 0);
    this.sendFailures++;
    this.cmd({ type: 'set-timer', key: 'outbox-retry', ms: wait });
  }

  /** A 429 or 503 said when to come back: no request before then, capped at `maxRetryAfter` (CHAT-20). */
  protected respectRetryAfter(ms: number | undefined): void {
    if (ms === undefined || ms <= 0) return;
    this.quietUntil = Math.max(this.quietUntil, this.now + Math.min(ms, this.config.maxRetryAfter));
  }

  /** A send was refused with 401: the auth error stops everything, the entry waits in the outbox (CHAT-14). */
  protected sendUnauthorized(cmid: string): void {
    void cmid;
    this.authFailed();
  }

  /** Whether an answer means the token was rejected: everything stops until the user acts (CHAT-14). */
  protected unauthorized(status: number | undefined): boolean {
    return status === 401;
  }

  private authFailed(): void {
    this.authError = true;
    this.stopPolling();
    if (this.socket) this.cmd({ type: 'disconnect', socket: this.socket.id, code: 1000, reason: 'unauthorized' });
    this.socket = undefined;
    for (const key of ['reconnect', 'ping', 'pong-timeout', 'outbox-retry', 'catch-up', 'stable', 'connect-timeout'])
      this.cmd({ type: 'cancel-timer', key });
  }

  /** Adds messages to the list (`foreign`: even those of another conversation), deduped and ordered. */
  protected merge(incoming: ChatMessage[], foreign: boolean): void {
    for (const m of incoming) {
      if (!foreign && m.conversationId !== this.conversation) continue;
      if (this.duplicate(this.ids, m.id)) continue;
      this.ids.add(m.id);
      this.messages.push(m);
    }
    this.order(this.messages);
  }

  /** Whether a message is already shown under `key` (an id, or a send's clientMessageId): shown once (CHAT-2). */
  protected duplicate(shown: ReadonlySet<string | undefined>, key: string): boolean {
    return shown.has(key);
  }

  /** Orders a list for display by the server's timestamps, ties by id (CHAT-3). */
  protected order(list: { timestamp: string; id: string }[]): void {
    list.sort(byTimestamp);
  }

  /** A fresh clientMessageId. */
  protected nextCmid(): string {
    return `${this.cmidPrefix}-${++this.cmidCounter}`;
  }

  /** Stores the outbox, so unsent messages survive an app restart. */
  protected persist(): void {
    this.cmd({ type: 'persist-outbox', outbox: this.outbox.map((e) => ({ ...e })), counter: this.cmidCounter });
  }

  private epochNow(): number {
    return this.epoch + this.now;
  }

  /** @internal set by the shell: wall-clock epoch of virtual time 0. */
  epoch = 0;

  private cmd(c: ChatCommand): void {
    this.cmds.push(c);
  }
}

function byTimestamp(a: { timestamp: string; id: string }, b: { timestamp: string; id: string }): number {
  return a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
