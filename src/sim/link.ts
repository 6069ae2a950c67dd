import type { LatencySpec } from './latency.js';

/** One direction of the path between a client node and the server. */
export interface LinkConfig {
  /** Propagation delay per envelope. */
  latency: LatencySpec;
  /** Probability that an HTTP envelope is lost (on a WebSocket: a TCP retransmission, i.e. delay). */
  loss: number;
  /** Probability that an HTTP request is delivered twice (a retrying proxy). */
  duplicate: number;
  /** Probability that an HTTP envelope is held back long enough for later ones to overtake it. */
  reorder: number;
  /** Bytes per second; 0 means unlimited. Serialization delay queues behind earlier envelopes. */
  bandwidth: number;
}

/** Network-wide settings: links (default, per direction, per client node) and OS timeouts. */
export interface NetworkConfig {
  /** Applies to both directions of every client's link. */
  link?: Partial<LinkConfig>;
  /** Client→server overrides. */
  toServer?: Partial<LinkConfig>;
  /** Server→client overrides. */
  toClient?: Partial<LinkConfig>;
  /** Per client node overrides, e.g. `{ c2: { toClient: { latency: 300 } } }`. */
  nodes?: Record<
    string,
    {
      /** This node's client→server overrides. */
      toServer?: Partial<LinkConfig>;
      /** This node's server→client overrides. */
      toClient?: Partial<LinkConfig>;
    }
  >;
  /** ms after which an unanswered HTTP request fails, as the OS or URLSession would (default 60000). */
  requestTimeout?: number;
  /** ms after which an unanswered WebSocket handshake fails with 1006 (default 30000). */
  connectTimeout?: number;
  /** ms a side waits for the peer's close frame before closing with 1006 (default 5000). */
  closeTimeout?: number;
  /** ms of delay one lost TCP segment adds to a WebSocket frame, doubling on repeats (default 200). */
  retransmitTimeout?: number;
}

/** The link used when a scenario says nothing: 20 ms one way, lossless. */
export const defaultLink: LinkConfig = { latency: 20, loss: 0, duplicate: 0, reorder: 0, bandwidth: 0 };

/** The OS-level timeouts, resolved. */
export interface NetworkTimeouts {
  /** ms after which an unanswered HTTP request fails. */
  requestTimeout: number;
  /** ms after which an unanswered WebSocket handshake fails with 1006. */
  connectTimeout: number;
  /** ms a side waits for the peer's close frame. */
  closeTimeout: number;
  /** ms of delay one lost TCP segment adds to a WebSocket frame. */
  retransmitTimeout: number;
}

/** Resolves the timeouts of a config. */
export function resolveTimeouts(c: NetworkConfig): NetworkTimeouts {
  return {
    requestTimeout: c.requestTimeout ?? 60_000,
    connectTimeout: c.connectTimeout ?? 30_000,
    closeTimeout: c.closeTimeout ?? 5_000,
    retransmitTimeout: c.retransmitTimeout ?? 200,
  };
}

/** The link of `node` in direction `dir`, most specific setting first. A setting left
 * undefined (or null, as an empty YAML value) does not override a less specific one. */
export function resolveLink(c: NetworkConfig, node: string, dir: 'to-server' | 'to-client'): LinkConfig {
  const perDir = dir === 'to-server' ? c.toServer : c.toClient;
  const perNode = c.nodes?.[node]?.[dir === 'to-server' ? 'toServer' : 'toClient'];
  return { ...defaultLink, ...defined(c.link), ...defined(perDir), ...defined(perNode) };
}

function defined(l: Partial<LinkConfig> | undefined): Partial<LinkConfig> {
  return l ? (Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined && v !== null)) as Partial<LinkConfig>) : {};
}
