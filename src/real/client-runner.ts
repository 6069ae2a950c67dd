/**
 * Runs a lockstep client module in its own process against `lockstep serve` (or
 * `lockstep check --real`): it reads the `LOCKSTEP_*` environment, builds a real-world
 * {@link ClientEnv}, polls the control endpoint for the scenario's user actions, reports
 * each action together with the snapshot right after it, and reports every later change
 * of the snapshot. This is the JavaScript reference of the control protocol a Swift,
 * Kotlin or browser test harness implements (docs/real-socket-mode.md).
 */
import type { ClientDriver, ClientFactory } from '../conformance/driver.js';
import type { ProtocolDefinition } from '../conformance/protocol.js';
import { canonicalJson } from '../sim/canonical-json.js';
import { createRealClientWorld, Gate, MemoryStorage, type RealClientWorld } from './client-env.js';

/** The environment variables `check --real` and `serve` give a client. */
export interface LockstepClientEnv {
  LOCKSTEP_BASE_URL: string;
  LOCKSTEP_WS_URL: string;
  LOCKSTEP_TOKEN: string;
  LOCKSTEP_CONTROL_URL: string;
  LOCKSTEP_NODE?: string;
  LOCKSTEP_PROTOCOL?: string;
}

/** One action handed out by `GET /__lockstep/next-action`. */
export interface ControlAction {
  id: number;
  at: number;
  do: string;
  args: Record<string, unknown>;
}

/** The answer of `GET /__lockstep/next-action`. */
export interface NextActionAnswer {
  t: number;
  started: boolean;
  done: boolean;
  node: string;
  actions: ControlAction[];
}

/** A small client of the control endpoint: every call is serialized, so reports reach the trace in the order they were made. */
export class ControlClient {
  private chain: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  private call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const run = async (): Promise<T> => {
      const r = await fetch(`${this.url}/${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await r.text();
      if (!r.ok) throw new Error(`control ${method} ${path}: HTTP ${r.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  nextAction(wait = 0): Promise<NextActionAnswer> {
    return this.call('GET', `next-action?wait=${wait}`);
  }
  action(a: { id?: number; do: string; args?: Record<string, unknown>; state?: unknown }): Promise<void> {
    return this.call('POST', 'action', a);
  }
  snapshot(state: unknown): Promise<void> {
    return this.call('POST', 'snapshot', { state });
  }
  log(msg: string, fields?: Record<string, unknown>): Promise<void> {
    return this.call('POST', 'log', { ...fields, msg });
  }
}

/** Options of {@link runRealClient}. */
export interface RealClientRunOptions {
  protocol: ProtocolDefinition;
  /** The client to run (default: the protocol's reference client). */
  factory?: ClientFactory;
  env?: NodeJS.ProcessEnv;
  /** ms between control polls and snapshot checks (default 40). */
  pollMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function required(env: NodeJS.ProcessEnv, name: keyof LockstepClientEnv): string {
  const v = env[name];
  if (!v)
    throw new Error(`${name} is not set: run this client through lockstep check --real, or export the variables lockstep serve prints`);
  return v;
}

/**
 * Runs the client until the control endpoint says the run is done. Resolves when it is;
 * rejects when the control endpoint cannot be reached.
 */
export async function runRealClient(o: RealClientRunOptions): Promise<void> {
  const env = o.env ?? process.env;
  const node = env.LOCKSTEP_NODE ?? 'c1';
  const config = {
    node,
    baseUrl: required(env, 'LOCKSTEP_BASE_URL'),
    wsUrl: required(env, 'LOCKSTEP_WS_URL'),
    token: required(env, 'LOCKSTEP_TOKEN'),
  };
  const control = new ControlClient(required(env, 'LOCKSTEP_CONTROL_URL'), config.token);
  const factory = o.factory ?? o.protocol.reference;
  const pollMs = o.pollMs ?? 40;
  const log = (message: string, fields?: Record<string, unknown>): void => {
    control.log(message, fields).catch(() => undefined);
  };
  const storage = new MemoryStorage();
  let world: RealClientWorld = createRealClientWorld({ ...config, log }, storage, new Gate(true));
  let driver: ClientDriver | undefined;
  let lastPosted: string | undefined;

  const create = (): void => {
    try {
      driver = factory(world.env);
    } catch (e) {
      driver = undefined;
      log('createClient() threw', { message: e instanceof Error ? e.message : String(e) });
    }
  };
  const snap = (): { state: unknown; canon: string } | undefined => {
    if (!driver) return undefined;
    try {
      const state = driver.snapshot();
      return { state, canon: canonicalJson(state) };
    } catch (e) {
      log('snapshot() threw', { message: e instanceof Error ? e.message : String(e) });
      return undefined;
    }
  };
  const reportChange = async (): Promise<void> => {
    const s = snap();
    if (!s || s.canon === lastPosted) return;
    lastPosted = s.canon;
    await control.snapshot(s.state);
  };
  const perform = async (a: ControlAction): Promise<void> => {
    if (a.do === 'restart') {
      world.gate.close();
      await control.action({ id: a.id, do: 'restart' });
      try {
        driver?.dispose?.();
      } catch {
        // a failing dispose changes nothing
      }
      world.kill();
      world = createRealClientWorld({ ...config, log }, storage, new Gate(true));
      lastPosted = undefined;
      create();
      await reportChange();
      world.gate.open();
      return;
    }
    world.gate.close();
    const teardowns = world.teardowns;
    const def = o.protocol.actions[a.do];
    try {
      if (!def) throw new Error(`unknown action "${a.do}"`);
      if (driver) {
        const r = def.run(driver, a.args);
        if (r && typeof (r as Promise<unknown>).then === 'function')
          (r as Promise<unknown>).catch((e: unknown) =>
            log(`action ${a.do} failed`, { message: e instanceof Error ? e.message : String(e) }),
          );
      }
    } catch (e) {
      log(`action ${a.do} threw`, { message: e instanceof Error ? e.message : String(e) });
    }
    const s = snap();
    if (s) lastPosted = s.canon;
    // What the action ended (socket closes) has left at once; give it a moment to reach the
    // server, so that the trace shows it at the action, as a simulation does.
    if (world.teardowns > teardowns) await sleep(10);
    // Reported (with what the user sees now) before anything the action started leaves.
    await control.action({ id: a.id, do: a.do, args: a.args, state: s?.state });
    world.gate.open();
  };

  create();
  let started = false;
  try {
    for (;;) {
      const r = await control.nextAction(0);
      if (r.done) break;
      if (!r.started) {
        await sleep(pollMs);
        continue;
      }
      if (!started) {
        started = true;
        await reportChange();
        world.gate.open();
      }
      for (const a of r.actions) await perform(a);
      await reportChange();
      await sleep(pollMs);
    }
  } finally {
    try {
      driver?.dispose?.();
    } catch {
      // ignore
    }
    world.kill();
  }
}
