import { NamedTimers, SocketTable } from '../shell/index.js';
import type { ClientEnv } from '../../sim/client-node.js';
import {
  defaultMealLogConfig,
  MealLogMachine,
  type MealLogClientConfig,
  type MealLogMachineClass,
  type MealLogCommand,
  type MealLogEvent,
  type OutboxEntry,
} from './client-machine.js';
import { mealLogPaths, parseMealLogList, parseServerFrame, parseSubmitAck, type MealLogDriver, type MealLogSnapshot } from './wire.js';

const OUTBOX_KEY = 'meal-log.outbox';

/** Options of the reference meal-log client. */
export interface MealLogClientOptions {
  config?: Partial<MealLogClientConfig>;
  /** The decisions to run: the reference {@link MealLogMachine}, or a subclass that changes one of them (a zoo variant). */
  Machine?: MealLogMachineClass;
}

/**
 * The reference meal-log client: a thin shell that carries out the {@link MealLogMachine}'s
 * commands with `env.WebSocket`, `env.fetch`, `env` timers and `env.storage`, and feeds what
 * happens back in as events.
 */
export function createMealLogClient(env: ClientEnv, options: MealLogClientOptions = {}): MealLogDriver {
  const config = { ...defaultMealLogConfig, ...options.config };
  const saved = readOutbox(env);
  const Machine = options.Machine ?? MealLogMachine;
  // Local ids are unique without the storage (the source's are UUIDs): a relaunch whose storage was
  // lost starts its counter again, and must not reuse an id the server already has.
  const machine = new Machine(config, saved.outbox, saved.counter, env.isOnline(), `${env.node}-${launchNonce(env)}`);
  machine.epoch = env.Date.now() - env.performance.now();
  const timers = new NamedTimers(env, (key) => feed({ type: 'timer', key }));
  const sockets = new SocketTable(env, {
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
    closed: (socket) => feed({ type: 'ws-closed', socket }),
  });
  const requests = new Map<number, AbortController>();
  const headers = { authorization: `Bearer ${env.token}`, 'content-type': 'application/json' };
  let disposed = false;

  let persistFailed = false;
  const feed = (event: MealLogEvent): void => {
    if (disposed) return;
    run(machine.handle(event, env.performance.now()));
  };
  const run = (cmds: MealLogCommand[]): void => {
    for (const c of cmds) execute(c);
    // Told after the batch, so the machine decides with every command of the step carried out.
    if (persistFailed) {
      persistFailed = false;
      feed({ type: 'persist-failed' });
    }
  };

  const execute = (c: MealLogCommand): void => {
    switch (c.type) {
      case 'connect':
        return sockets.connect(c.socket, mealLogPaths.socket(env.token));
      case 'disconnect':
        return sockets.close(c.socket, c.code, c.reason);
      case 'ws-send':
        return sockets.send(c.socket, c.data);
      case 'get':
        void get(c.request, c.date);
        return;
      case 'abort':
        requests.get(c.request)?.abort();
        requests.delete(c.request);
        return;
      case 'post':
        void post(c.entry);
        return;
      case 'set-timer':
        return timers.set(c.key, c.ms);
      case 'cancel-timer':
        return timers.cancel(c.key);
      case 'persist':
        try {
          env.storage.setItem(OUTBOX_KEY, JSON.stringify({ outbox: c.outbox, counter: c.counter }));
        } catch (err) {
          // QuotaExceededError: the storage is full (or refuses writes); the machine keeps the outbox in memory.
          env.log('could not save the outbox', { reason: (err as Error).name });
          persistFailed = true;
        }
        return;
      case 'log':
        env.log(c.message, c.fields);
        return;
    }
  };

  const get = async (request: number, date: string | undefined): Promise<void> => {
    const abort = new AbortController();
    requests.set(request, abort);
    try {
      const signal = AbortSignal.any([abort.signal, env.timeoutSignal(config.requestTimeout)]);
      const r = await env.fetch(mealLogPaths.list(date), { headers, signal });
      if (!r.ok) return feed({ type: 'get-failed', request, status: r.status });
      let meals;
      try {
        meals = parseMealLogList(await r.json());
      } catch {
        return feed({ type: 'get-failed', request, status: r.status, unreadable: true });
      }
      feed({ type: 'get-ok', request, meals });
    } catch {
      feed({ type: 'get-failed', request });
    } finally {
      requests.delete(request);
    }
  };

  const post = async (entry: OutboxEntry): Promise<void> => {
    try {
      const r = await env.fetch(mealLogPaths.submit, {
        method: 'POST',
        headers,
        body: JSON.stringify({ localId: entry.localId, rawInput: entry.rawInput, loggedAt: entry.loggedAt }),
        signal: env.timeoutSignal(config.requestTimeout),
      });
      if (!r.ok) return feed({ type: 'post-failed', localId: entry.localId, status: r.status });
      let mealLog;
      try {
        mealLog = parseSubmitAck(await r.json());
      } catch {
        // An answer the client cannot read: it cannot know the meal was stored, so it uploads it again (same local id).
        return feed({ type: 'post-failed', localId: entry.localId, status: r.status });
      }
      feed({ type: 'post-ok', localId: entry.localId, mealLog });
    } catch (err) {
      feed({ type: 'post-failed', localId: entry.localId, error: (err as Error).name === 'TimeoutError' ? 'timeout' : 'network' });
    }
  };

  const onLifecycle = (e: Event): void => {
    if (e.type === 'online' || e.type === 'offline') feed({ type: e.type });
  };
  for (const t of ['online', 'offline']) env.lifecycle.addEventListener(t, onLifecycle);
  run(machine.start(env.performance.now()));

  return {
    openNutritionView: () => feed({ type: 'open-view' }),
    submitMeal: (text) => feed({ type: 'submit', text }),
    snapshot: (): MealLogSnapshot => machine.snapshot(),
    dispose: () => {
      disposed = true;
      for (const t of ['online', 'offline']) env.lifecycle.removeEventListener(t, onLifecycle);
      timers.cancelAll();
    },
  };
}

/** Six base-36 digits from the seeded random stream: this launch's part of every local id it mints. */
function launchNonce(env: ClientEnv): string {
  return Math.floor(env.random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
}

function readOutbox(env: ClientEnv): { outbox: OutboxEntry[]; counter: number } {
  const raw = env.storage.getItem(OUTBOX_KEY);
  if (!raw) return { outbox: [], counter: 0 };
  try {
    const v = JSON.parse(raw) as { outbox?: unknown; counter?: unknown };
    const outbox = Array.isArray(v.outbox)
      ? (v.outbox as OutboxEntry[]).filter(
          (e) => e && typeof e.localId === 'string' && typeof e.rawInput === 'string' && typeof e.loggedAt === 'string',
        )
      : [];
    return { outbox, counter: typeof v.counter === 'number' ? v.counter : 0 };
  } catch {
    return { outbox: [], counter: 0 };
  }
}
