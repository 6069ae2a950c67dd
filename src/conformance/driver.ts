import type { ClientEnv } from '../sim/client-node.js';

/**
 * What every client under test exposes to the harness, whatever its protocol: the
 * protocol's user actions (methods named in the protocol's catalogue) and a snapshot of
 * what its user would see. The harness records the snapshot in the trace whenever it
 * changes.
 */
export interface ClientDriver {
  /** What the user sees now, as plain JSON data. Called after every simulation step: keep it cheap. */
  snapshot(): unknown;
  /** Called when the run ends or the app is killed; stop timers here if you like (the kernel cancels them anyway). */
  dispose?(): void;
}

/**
 * Creates a client under test. It receives an `env` with everything it may use (the
 * simulated `WebSocket`, `fetch`, timers, `Date`, `performance`, `random()`, `storage`,
 * `baseUrl`, `wsBaseUrl`, `token`, `lifecycle`). A client written against the globals
 * instead works too when the run installs them (`--globals`): then `env`'s members are
 * the very functions installed as globals.
 */
export type ClientFactory<D extends ClientDriver = ClientDriver> = (env: ClientEnv) => D;

/**
 * The shape of a client module a team plugs in with `--client ./my-client.js`: it names
 * its protocol and exports a factory (as `createClient` or as the default export).
 */
export interface ClientModule<D extends ClientDriver = ClientDriver> {
  /** The protocol's name (`chat`, ...). */
  protocol: string;
  /** The factory: one client per node and app incarnation. */
  createClient: ClientFactory<D>;
}

/** Declares a client module with type checking of the protocol's driver interface. */
export function defineClient<D extends ClientDriver>(protocol: string, createClient: ClientFactory<D>): ClientModule<D> {
  return { protocol, createClient };
}
