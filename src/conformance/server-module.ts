import { ClientModuleError, importClientModule } from './client-module.js';
import type { ServerFactory } from '../sim/server-host.js';

/**
 * Turns the scenario's server (reference or variant, with its options) into the server a
 * run uses. `--server-module` puts a team's msw handlers in front of it.
 */
export type ServerWrapper = (server: ServerFactory) => ServerFactory;

/** A server module that cannot be used: the message names the file, what was expected and what was found. */
export class ServerModuleError extends Error {
  /** The error name. */
  override readonly name = 'ServerModuleError';
}

/** The shape lockstep relies on: what msw's `http.*`, `graphql.*` and `ws.link()` handlers all have. */
interface HandlerLike {
  kind: 'request' | 'websocket';
  run: (...args: unknown[]) => unknown;
  isUsed?: boolean;
}

/**
 * Loads a `--server-module` file — TypeScript or JavaScript, any module syntax, compiled
 * the way a client module is ({@link importClientModule}) — whose `handlers` export (or
 * default export) is an array of msw handlers, and returns the wrapper that puts them in
 * front of a run's server: `mswServer(handlers, { fallback })`. Requests no handler
 * answers, or answers with `passthrough()`, and WebSocket upgrades no `ws.link()`
 * matches reach the scenario's own server.
 *
 * The module is loaded once per process (once per worker); each run starts with msw's
 * own per-handler state reset (`{ once: true }` handlers answer again), as a fresh
 * `setupServer` would. State the module keeps in its own variables carries over between
 * runs: keep such handlers stateless, or a replay may not reproduce the run.
 */
export async function loadServerModule(spec: string, cwd = process.cwd()): Promise<ServerWrapper> {
  const mswServer = await loadMswAdapter(spec);
  let mod: Record<string, unknown>;
  try {
    mod = await importClientModule(spec, cwd);
  } catch (e) {
    if (e instanceof ClientModuleError) throw new ServerModuleError(e.message.replace(/^--client /, '--server-module '));
    throw e;
  }
  const handlers = handlersOf(spec, mod);
  return (fallback) => (env) => {
    for (const h of handlers) if (h.kind === 'request' && typeof h.isUsed === 'boolean') h.isUsed = false;
    return mswServer(handlers as never, { fallback })(env);
  };
}

async function loadMswAdapter(spec: string): Promise<typeof import('../sim/adapters/msw/server.js').mswServer> {
  try {
    return (await import('../sim/adapters/msw/server.js')).mswServer;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
      throw new ServerModuleError(
        `--server-module ${spec}: needs msw 2.x, which is not installed (npm i -D msw@2): ${(e as Error).message}`,
      );
    throw e;
  }
}

function handlersOf(spec: string, mod: Record<string, unknown>): HandlerLike[] {
  const exported =
    'handlers' in mod ? { name: 'handlers', value: mod.handlers } : 'default' in mod ? { name: 'default', value: mod.default } : undefined;
  if (!exported) {
    const names = Object.keys(mod).filter((k) => k !== '__esModule');
    throw new ServerModuleError(
      `--server-module ${spec}: expected an export named "handlers" (or a default export): an array of msw handlers; found ${names.length ? `only the exports ${names.map((n) => `"${n}"`).join(', ')}` : 'no exports'}`,
    );
  }
  const { name, value } = exported;
  if (!Array.isArray(value))
    throw new ServerModuleError(
      `--server-module ${spec}: the "${name}" export must be an array of msw handlers (http.*, graphql.*, ws.link()), found ${describe(value)}`,
    );
  value.forEach((h: unknown, i) => {
    const k = (h as { kind?: unknown } | null)?.kind;
    if ((k !== 'request' && k !== 'websocket') || typeof (h as { run?: unknown }).run !== 'function') {
      throw new ServerModuleError(
        `--server-module ${spec}: "${name}"[${i}] must be an msw handler (made by http.*, graphql.* or ws.link().addEventListener), found ${describe(h)}`,
      );
    }
  });
  return value as HandlerLike[];
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'function') return `a function${v.name ? ` (${v.name})` : ''}`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).slice(0, 5);
    return `an object${keys.length ? ` with keys ${keys.join(', ')}` : ''}`;
  }
  return `${typeof v} ${JSON.stringify(v)}`;
}
