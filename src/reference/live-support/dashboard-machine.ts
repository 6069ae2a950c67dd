import {
  chatUpdatesChannel,
  liveTiming,
  livePaths,
  type DashboardServerFrame,
  type DashboardSnapshot,
  type LiveUser,
  type ShownUser,
} from './wire.js';

/** Timing of a dashboard (defaults: docs/protocols/live-support.md). */
export interface DashboardConfig {
  /** Reconnect delays after consecutive failures; the last repeats. */
  backoff: readonly number[];
  /** No frame for this long on an open socket: it is dead (close it and reconnect). */
  silence: number;
  /** A socket open this long is stable: the backoff starts over. */
  stable: number;
}

/** The reference configuration. */
export const defaultDashboardConfig: DashboardConfig = {
  backoff: liveTiming.dashboardBackoff,
  silence: liveTiming.dashboardSilence,
  stable: liveTiming.dashboardStable,
};

type TimerKey = 'reconnect' | 'silence' | 'stable';

/** What happens to the dashboard: user actions, socket events, timers, answers, lifecycle. */
export type DashboardEvent =
  | { type: 'connect'; dashboardUserId: string }
  | { type: 'disconnect' }
  | { type: 'send'; chat: string; text: string }
  | { type: 'replace'; chat: string; text: string }
  | { type: 'ws-open'; socket: number }
  | { type: 'ws-frame'; socket: number; frame: DashboardServerFrame }
  /** The socket closed (or failed to connect): its close code and whether the closing handshake completed, when known. */
  | { type: 'ws-closed'; socket: number; code?: number; wasClean?: boolean }
  | { type: 'timer'; key: TimerKey }
  | { type: 'request-done'; request: number; status?: number }
  | { type: 'online' }
  | { type: 'offline' }
  | { type: 'foreground' };

/** What the dashboard asks its shell to do. */
export type DashboardCommand =
  | { type: 'connect'; socket: number }
  | { type: 'disconnect'; socket: number; code: number; reason: string }
  | { type: 'ws-send'; socket: number; data: string }
  | { type: 'set-timer'; key: TimerKey; ms: number }
  | { type: 'cancel-timer'; key: TimerKey }
  | { type: 'request'; request: number; method: 'POST' | 'PUT'; path: string; body: string }
  | { type: 'log'; message: string; fields?: Record<string, unknown> };

/**
 * The dashboard's decisions, with no I/O: connect `/ws/dashboard`, subscribe to
 * `chat_updates`, show the customers of each broadcast whose `dashboard_user_id` is the
 * agent's own (ignoring a broadcast older than the one shown), reconnect with backoff
 * (1, 2, 4, 8, 16, 30 s, …) that starts over only once a socket stayed open 10 s, and
 * treat 10 s without a frame as a dead socket. Agent
 * sends and replacements are REST calls; their effect arrives with the next broadcast.
 */
export class DashboardMachine {
  /** The agent signed in. */
  protected dashboardUserId: string | null = null;
  /** The user opened the dashboard and has not closed it: it wants a socket. */
  protected wanted = false;
  /** The current socket, if any. */
  protected socket: { id: number; state: 'connecting' | 'open'; subscribed: boolean } | undefined;
  private socketCounter = 0;
  private requestCounter = 0;
  /** Consecutive connection attempts since the backoff last started over. */
  protected attempts = 0;
  /** The customers shown. */
  protected users: ShownUser[] = [];
  /** Chat id → ids of the agent's messages in it, from the last broadcast shown. */
  protected readonly agentMessages = new Map<string, string[]>();
  /** `data.timestamp` of the broadcast shown. */
  protected lastTimestamp: string | undefined;
  private cmds: DashboardCommand[] = [];
  private shown: DashboardSnapshot | undefined;

  constructor(
    protected readonly config: DashboardConfig,
    /** What the device's network state is believed to be. */
    protected online: boolean,
  ) {}

  /** Feeds one event; returns the commands to carry out, in order. */
  handle(event: DashboardEvent): DashboardCommand[] {
    this.cmds = [];
    this.shown = undefined;
    this.dispatch(event);
    return this.cmds;
  }

  /** What the agent sees (cached until the next event). */
  snapshot(): DashboardSnapshot {
    this.shown ??= {
      role: 'dashboard',
      dashboardUserId: this.dashboardUserId,
      connection: this.socket ? this.socket.state : this.wanted ? 'closed' : 'idle',
      subscribed: this.socket?.subscribed ?? false,
      users: this.users,
    };
    return this.shown;
  }

  private dispatch(e: DashboardEvent): void {
    switch (e.type) {
      case 'connect':
        if (e.dashboardUserId !== this.dashboardUserId) {
          this.dashboardUserId = e.dashboardUserId;
          this.users = [];
          this.agentMessages.clear();
          this.lastTimestamp = undefined;
        }
        this.wanted = true;
        if (!this.socket) {
          this.attempts = 0;
          this.cmd({ type: 'cancel-timer', key: 'reconnect' });
          this.open();
        }
        return;
      case 'disconnect':
        this.wanted = false;
        if (this.socket) this.cmd({ type: 'disconnect', socket: this.socket.id, code: 1000, reason: 'dashboard closed' });
        this.socket = undefined;
        this.cmd({ type: 'cancel-timer', key: 'reconnect' });
        this.cmd({ type: 'cancel-timer', key: 'silence' });
        this.cmd({ type: 'cancel-timer', key: 'stable' });
        this.users = [];
        this.agentMessages.clear();
        this.lastTimestamp = undefined;
        return;
      case 'send':
        if (this.dashboardUserId === null) return this.log('agentSend: the dashboard is not connected');
        return this.request('POST', livePaths.agentSend(e.chat), e.text);
      case 'replace': {
        if (this.dashboardUserId === null) return this.log('agentReplace: the dashboard is not connected');
        const last = this.agentMessages.get(e.chat)?.at(-1);
        if (!last) return this.log('agentReplace: no message of the agent to replace in this chat', { chat: e.chat });
        return this.request('PUT', livePaths.agentReplace(e.chat, last), e.text);
      }
      case 'ws-open':
        return this.onOpen(e.socket);
      case 'ws-frame':
        return this.onFrame(e.socket, e.frame);
      case 'ws-closed':
        if (this.socket?.id === e.socket) this.onClosed(e.code, e.wasClean);
        return;
      case 'timer':
        if (e.key === 'reconnect') {
          if (this.wanted && !this.socket) this.open();
        } else if (e.key === 'stable') {
          this.onStable();
        } else if (this.socket) {
          this.cmd({ type: 'disconnect', socket: this.socket.id, code: 4000, reason: `no frame within ${this.config.silence} ms` });
          this.socketFailed();
        }
        return;
      case 'request-done':
        if (e.status === undefined || e.status >= 400) this.log('request failed', { request: e.request, status: e.status });
        return;
      case 'online':
        this.online = true;
        return this.revive();
      case 'offline':
        this.online = false;
        return;
      case 'foreground':
        return this.revive();
    }
  }

  /** Opens a socket, unless the device is offline. */
  protected open(): void {
    if (!this.online) return; // the `online` event will bring it back
    const id = ++this.socketCounter;
    this.socket = { id, state: 'connecting', subscribed: false };
    this.cmd({ type: 'connect', socket: id });
    // A handshake that stalls counts as silence too: without this the platform's 30 s
    // handshake timeout plus backoff overruns LIVE-11's "at least every 30 s".
    this.cmd({ type: 'set-timer', key: 'silence', ms: this.config.silence });
  }

  /** Socket `id` opened: subscribe, watch for silence, and start the stability timer. */
  protected onOpen(id: number): void {
    const s = this.socket;
    if (!s || s.id !== id) {
      this.cmd({ type: 'disconnect', socket: id, code: 1000, reason: 'stale socket' });
      return;
    }
    s.state = 'open';
    this.cmd({ type: 'ws-send', socket: id, data: JSON.stringify({ type: 'subscribe', channel: chatUpdatesChannel }) });
    this.cmd({ type: 'set-timer', key: 'silence', ms: this.config.silence });
    // The backoff starts over only once this socket proves stable: one that the network
    // drops right after `open` must not reset it (a flapping backend would get a
    // reconnect every second forever).
    this.cmd({ type: 'set-timer', key: 'stable', ms: this.config.stable });
  }

  /** The socket stayed open `stable` ms: the decision to start the backoff over. */
  protected onStable(): void {
    if (this.socket?.state === 'open') this.attempts = 0;
  }

  /** The current socket closed, with `code` (a server's 1000/1001/1012, 1006 for a loss, …): the decision what follows — reconnect, whatever the code. */
  protected onClosed(_code: number | undefined, _wasClean: boolean | undefined): void {
    this.socketFailed();
  }

  /** A frame arrived on socket `id`: the decision what to show. */
  protected onFrame(id: number, frame: DashboardServerFrame): void {
    const s = this.socket;
    if (!s || s.id !== id) return;
    this.cmd({ type: 'set-timer', key: 'silence', ms: this.config.silence });
    if (frame.type === 'subscribed') {
      if (frame.channel === chatUpdatesChannel) s.subscribed = true;
      return;
    }
    if (frame.type !== 'chat_updates') return;
    const ts = frame.data.timestamp;
    if (this.lastTimestamp !== undefined && ts < this.lastTimestamp) return this.log('ignored an older chat_updates', { timestamp: ts });
    this.lastTimestamp = ts;
    const own = this.ownCustomers(frame.data.users);
    this.users = own.map(shownUser);
    this.agentMessages.clear();
    for (const u of own)
      for (const c of u.chats)
        this.agentMessages.set(
          c.chat_id,
          c.messages.filter((m) => m.role === 'agent').map((m) => m.id),
        );
  }

  /** Which customers of a broadcast the agent sees: those whose `dashboard_user_id` is theirs (§ Fix 2; Technical Details, "Filtering"). */
  protected ownCustomers(users: LiveUser[]): LiveUser[] {
    return users.filter((u) => u.dashboard_user_id === this.dashboardUserId);
  }

  /** The socket closed, failed to connect, or went silent: the decision to reconnect (with backoff). */
  protected socketFailed(): void {
    this.socket = undefined;
    this.cmd({ type: 'cancel-timer', key: 'silence' });
    this.cmd({ type: 'cancel-timer', key: 'stable' });
    if (!this.wanted) return;
    const b = this.config.backoff;
    const delay = b[Math.min(this.attempts, b.length - 1)]!;
    this.attempts++;
    this.cmd({ type: 'set-timer', key: 'reconnect', ms: delay });
  }

  /** Coming online or to the foreground: a dashboard that waits to reconnect tries now. */
  protected revive(): void {
    if (!this.wanted || this.socket) return;
    this.attempts = 0;
    this.cmd({ type: 'cancel-timer', key: 'reconnect' });
    this.open();
  }

  private request(method: 'POST' | 'PUT', path: string, content: string): void {
    const request = ++this.requestCounter;
    this.cmd({ type: 'request', request, method, path, body: JSON.stringify({ content, dashboard_user_id: this.dashboardUserId }) });
  }

  protected log(message: string, fields?: Record<string, unknown>): void {
    this.cmd({ type: 'log', message, fields });
  }

  protected cmd(c: DashboardCommand): void {
    this.cmds.push(c);
  }
}

/** A broadcast customer as the dashboard shows it (message ids only). */
function shownUser(u: LiveUser): ShownUser {
  return {
    email: u.email,
    dashboard_user_id: u.dashboard_user_id ?? null,
    chats: u.chats.map((c) => ({ chat_id: c.chat_id, messages: c.messages.map((m) => m.id) })),
  };
}
