import { NamedTimers, SocketTable } from '../shell/index.js';
import type { ClientEnv } from '../../sim/client-node.js';
import {
  DashboardMachine,
  defaultDashboardConfig,
  type DashboardCommand,
  type DashboardConfig,
  type DashboardEvent,
} from './dashboard-machine.js';
import { defaultWidgetConfig, WidgetMachine, type WidgetCommand, type WidgetConfig, type WidgetEvent } from './widget-machine.js';
import {
  liveTiming,
  livePaths,
  parseChatList,
  parseMessageAck,
  parseServerFrame,
  type LiveSupportDriver,
  type LiveSupportSnapshot,
} from './wire.js';

/** Options of the reference live-support client. */
export interface LiveSupportClientOptions {
  /** Widget timing (defaults: {@link defaultWidgetConfig}). */
  widget?: Partial<WidgetConfig>;
  /** Dashboard timing (defaults: {@link defaultDashboardConfig}). */
  dashboard?: Partial<DashboardConfig>;
  /**
   * Builds the decision machines (default: the reference ones). A faulty variant in the
   * zoo passes a subclass that overrides one decision; the shells stay the same.
   */
  machines?: {
    /** The widget's machine. */
    widget?: (config: WidgetConfig) => WidgetMachine;
    /** The dashboard's machine; `online` is the device's network state at creation. */
    dashboard?: (config: DashboardConfig, online: boolean) => DashboardMachine;
  };
}

type Timer = ReturnType<ClientEnv['setTimeout']>;

/**
 * The reference live-support client. One factory serves both roles of a node: the first
 * widget action (`mountWidget`, …) makes it a widget, the first dashboard action
 * (`connectDashboard`, …) a dashboard; an action of the other role then throws. The role
 * and its state (the widget's email, chat and mount; the dashboard's agent) are kept in
 * `env.storage`, so a relaunched app (a refreshed tab) comes back as it was. Each
 * role is a thin shell that carries out its pure machine's commands
 * ({@link WidgetMachine}, {@link DashboardMachine}) with `env` and feeds what happens
 * back in as events.
 */
export function createLiveSupportClient(env: ClientEnv, options: LiveSupportClientOptions = {}): LiveSupportDriver {
  let widget: WidgetShell | undefined;
  let dashboard: DashboardShell | undefined;

  const asWidget = (action: string): WidgetShell => {
    if (dashboard)
      throw new Error(`${env.node} is a dashboard node: ${action} is a widget action (a node is either a widget or a dashboard)`);
    return (widget ??= createWidgetShell(env, { ...defaultWidgetConfig, ...options.widget }, options.machines?.widget));
  };
  const asDashboard = (action: string): DashboardShell => {
    if (widget) throw new Error(`${env.node} is a widget node: ${action} is a dashboard action (a node is either a widget or a dashboard)`);
    return (dashboard ??= createDashboardShell(env, { ...defaultDashboardConfig, ...options.dashboard }, options.machines?.dashboard));
  };
  const idle: LiveSupportSnapshot = { role: 'idle' };

  // A relaunched app (a refreshed tab) comes back as it was: the widget page mounts its
  // chat again, the dashboard reconnects as the signed-in agent.
  const saved = readSaved(env);
  if (saved?.role === 'widget' && saved.mounted) asWidget('restore').feed({ type: 'mount', email: saved.email, chat: saved.chat });
  if (saved?.role === 'dashboard' && saved.connected)
    asDashboard('restore').feed({ type: 'connect', dashboardUserId: saved.dashboardUserId });
  const saveWidget = (): void => {
    const w = widget!.machine.snapshot();
    if (w.email !== null && w.chatId !== null) save(env, { role: 'widget', email: w.email, chat: w.chatId, mounted: w.mounted });
  };
  const saveDashboard = (): void => {
    const d = dashboard!.machine.snapshot();
    if (d.dashboardUserId !== null)
      save(env, { role: 'dashboard', dashboardUserId: d.dashboardUserId, connected: d.connection !== 'idle' });
  };

  return {
    mountWidget: (email, chat) => {
      asWidget('mountWidget').feed({ type: 'mount', email, chat });
      saveWidget();
    },
    unmountWidget: () => {
      asWidget('unmountWidget').feed({ type: 'unmount' });
      saveWidget();
    },
    switchChat: (chat) => {
      asWidget('switchChat').feed({ type: 'switch', chat });
      saveWidget();
    },
    customerSend: (text) => asWidget('customerSend').feed({ type: 'send', text }),
    connectDashboard: (dashboardUserId) => {
      asDashboard('connectDashboard').feed({ type: 'connect', dashboardUserId });
      saveDashboard();
    },
    disconnectDashboard: () => {
      asDashboard('disconnectDashboard').feed({ type: 'disconnect' });
      saveDashboard();
    },
    agentSend: (chat, text) => asDashboard('agentSend').feed({ type: 'send', chat, text }),
    agentReplace: (chat, text) => asDashboard('agentReplace').feed({ type: 'replace', chat, text }),
    snapshot: () => widget?.machine.snapshot() ?? dashboard?.machine.snapshot() ?? idle,
    dispose: () => {
      widget?.dispose();
      dashboard?.dispose();
    },
  };
}

/** What survives an app restart (a refreshed tab): the widget's page state, or the dashboard's signed-in agent. */
type Saved =
  { role: 'widget'; email: string; chat: string; mounted: boolean } | { role: 'dashboard'; dashboardUserId: string; connected: boolean };

const SAVED_KEY = 'live-support.client';

function save(env: ClientEnv, v: Saved): void {
  const text = JSON.stringify(v);
  if (env.storage.getItem(SAVED_KEY) === text) return;
  try {
    env.storage.setItem(SAVED_KEY, text);
  } catch (err) {
    // A full quota (or a private mode that refuses writes): the app works on; only a
    // refreshed tab will not come back as it was, which no requirement asks of it.
    env.log('could not save the view for a refreshed tab', { reason: (err as Error).name });
  }
}

function readSaved(env: ClientEnv): Saved | undefined {
  const raw = env.storage.getItem(SAVED_KEY);
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    if (v.role === 'widget' && typeof v.email === 'string' && typeof v.chat === 'string')
      return { role: 'widget', email: v.email, chat: v.chat, mounted: v.mounted === true };
    if (v.role === 'dashboard' && typeof v.dashboardUserId === 'string')
      return { role: 'dashboard', dashboardUserId: v.dashboardUserId, connected: v.connected === true };
  } catch {
    // unreadable: start idle
  }
  return undefined;
}

interface WidgetShell {
  machine: WidgetMachine;
  feed(e: WidgetEvent): void;
  dispose(): void;
}

/** A `fetch` abandoned after `ms` (its timer is cleared when it settles, so no idle task is left behind). */
async function fetchWithin(env: ClientEnv, ms: number, url: string, init: RequestInit = {}): Promise<Response> {
  const abort = new AbortController();
  const timer = env.setTimeout(function requestTimeout() {
    abort.abort();
  }, ms);
  try {
    return await env.fetch(url, { ...init, signal: abort.signal });
  } finally {
    env.clearTimeout(timer);
  }
}

function createWidgetShell(
  env: ClientEnv,
  config: WidgetConfig,
  make: NonNullable<LiveSupportClientOptions['machines']>['widget'] = (c) => new WidgetMachine(c),
): WidgetShell {
  const machine = make(config);
  const intervals = new Map<number, Timer>();
  let disposed = false;

  const feed = (e: WidgetEvent): void => {
    if (disposed) return;
    for (const c of machine.handle(e)) execute(c);
  };

  const execute = (c: WidgetCommand): void => {
    switch (c.type) {
      case 'get':
        void poll(c.request, c.email);
        return;
      case 'post':
        void send(c.request, c.email, c.chat, c.content);
        return;
      case 'set-interval': {
        const interval = c.interval;
        intervals.set(
          interval,
          env.setInterval(function pollMessages() {
            feed({ type: 'tick', interval });
          }, c.ms),
        );
        return;
      }
      case 'clear-interval':
        env.clearInterval(intervals.get(c.interval));
        intervals.delete(c.interval);
        return;
      case 'log':
        env.log(c.message, c.fields);
        return;
    }
  };

  const poll = async (request: number, email: string): Promise<void> => {
    try {
      const r = await fetchWithin(env, liveTiming.requestTimeout, livePaths.chats(email));
      if (r.status === 404) return feed({ type: 'poll-done', request, chats: [], status: 404 });
      if (!r.ok) return feed({ type: 'poll-done', request, chats: undefined, status: r.status });
      let chats;
      try {
        chats = parseChatList(await r.json());
      } catch {
        // A captive portal's sign-in page, or a body cut short: the loop goes on.
        return feed({ type: 'poll-done', request, chats: undefined, status: r.status, malformed: true });
      }
      feed({ type: 'poll-done', request, chats, status: r.status });
    } catch {
      feed({ type: 'poll-done', request, chats: undefined });
    }
  };

  const send = async (request: number, email: string, chat: string, content: string): Promise<void> => {
    try {
      const r = await fetchWithin(env, liveTiming.requestTimeout, livePaths.widgetSend(email, chat), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ content }),
      });
      if (!r.ok) return feed({ type: 'send-done', request, message: undefined, status: r.status });
      feed({ type: 'send-done', request, message: parseMessageAck(await r.json()), status: r.status });
    } catch {
      feed({ type: 'send-done', request, message: undefined });
    }
  };

  return {
    machine,
    feed,
    dispose: () => {
      disposed = true;
      for (const t of intervals.values()) env.clearInterval(t);
      intervals.clear();
    },
  };
}

interface DashboardShell {
  machine: DashboardMachine;
  feed(e: DashboardEvent): void;
  dispose(): void;
}

type DashboardTimerKey = Extract<DashboardEvent, { type: 'timer' }>['key'];

function createDashboardShell(
  env: ClientEnv,
  config: DashboardConfig,
  make: NonNullable<LiveSupportClientOptions['machines']>['dashboard'] = (c, online) => new DashboardMachine(c, online),
): DashboardShell {
  const machine = make(config, env.isOnline());
  const timers = new NamedTimers<DashboardTimerKey>(env, (key) => feed({ type: 'timer', key }));
  // The socket table reports a close without its event: a listener added when the socket
  // is made runs before the table's `onclose` (listeners run in the order they were added)
  // and keeps the code for the `closed` report that follows at once.
  let lastClose: { code: number; wasClean: boolean } | undefined;
  const Base = env.WebSocket;
  const WebSocketWithCloseCode = class extends Base {
    constructor(...args: ConstructorParameters<typeof Base>) {
      super(...args);
      this.addEventListener('close', (e) => {
        lastClose = { code: (e as CloseEvent).code, wasClean: (e as CloseEvent).wasClean };
      });
    }
  } as typeof Base;
  const sockets = new SocketTable({ WebSocket: WebSocketWithCloseCode }, {
    open: (socket) => feed({ type: 'ws-open', socket }),
    message: (socket, data) => {
      let frame;
      try {
        frame = parseServerFrame(data);
      } catch (err) {
        env.log('ignored a malformed frame', { socket, reason: (err as Error).message });
        return;
      }
      feed({ type: 'ws-frame', socket, frame });
    },
    closed: (socket) => {
      const e = lastClose;
      lastClose = undefined;
      feed({ type: 'ws-closed', socket, code: e?.code, wasClean: e?.wasClean });
    },
  });
  const headers = { authorization: `Bearer ${env.token}`, 'content-type': 'application/json' };
  let disposed = false;

  const feed = (e: DashboardEvent): void => {
    if (disposed) return;
    for (const c of machine.handle(e)) execute(c);
  };

  const execute = (c: DashboardCommand): void => {
    switch (c.type) {
      case 'connect':
        return sockets.connect(c.socket, livePaths.socket(env.token));
      case 'disconnect':
        return sockets.close(c.socket, c.code, c.reason);
      case 'ws-send':
        return sockets.send(c.socket, c.data);
      case 'set-timer':
        return timers.set(c.key, c.ms);
      case 'cancel-timer':
        return timers.cancel(c.key);
      case 'request':
        void request(c.request, c.method, c.path, c.body);
        return;
      case 'log':
        env.log(c.message, c.fields);
        return;
    }
  };

  const request = async (id: number, method: string, path: string, body: string): Promise<void> => {
    try {
      const r = await fetchWithin(env, liveTiming.requestTimeout, path, { method, headers, body });
      feed({ type: 'request-done', request: id, status: r.status });
    } catch {
      feed({ type: 'request-done', request: id });
    }
  };

  const onLifecycle = (e: Event): void => {
    if (e.type === 'online' || e.type === 'offline' || e.type === 'foreground') feed({ type: e.type });
  };
  for (const t of ['online', 'offline', 'foreground']) env.lifecycle.addEventListener(t, onLifecycle);

  return {
    machine,
    feed,
    dispose: () => {
      disposed = true;
      for (const t of ['online', 'offline', 'foreground']) env.lifecycle.removeEventListener(t, onLifecycle);
      timers.cancelAll();
    },
  };
}
