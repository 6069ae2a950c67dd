/**
 * The msw adapter, `lockstep/msw`. Two directions:
 *
 * - {@link routeThroughSimulation}: unmodified client code — a `fetch` it captured, Node's
 *   `http`/`https` (axios in Node), `XMLHttpRequest` — reaches the simulated network of a
 *   client node through msw's interceptors, with latency, loss, faults and the trace
 *   applied as for any simulated client.
 * - {@link mswServer}: a team's existing msw handlers (`http.*`, `graphql.*`, `ws.link()`)
 *   act as the simulated server, with `delay()` on virtual time.
 *
 * Needs `msw` 2.x (a peer dependency). Guide: `docs/adapters/msw.md`.
 * @module lockstep/msw
 */
export { routeThroughSimulation, type MswBridge } from './msw/bridge.js';
export { mswServer, type MswServerOptions } from './msw/server.js';
