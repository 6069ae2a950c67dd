import { pathMatches } from '../network.js';
import type { SimHttpRequest } from '../transport/http-types.js';
import type { WsConnection } from '../transport/ws-connection.js';
import { takeRule, type HttpReply } from '../server-host.js';

/** A fault in force on WebSocket connections (idle-timeout, flapping, message-too-big, slow-consumer). */
export interface ConnectionRule {
  /** Index of the entry in the plan. */
  entry: number;
  /** Only connections of this client node. */
  node?: string;
  /** Only connections to this path (exact or `*` glob). */
  path?: string;
  /** The client's `open` event fired on a matching connection. */
  opened?(conn: WsConnection): void;
  /** A data frame of `bytes` is about to reach the end `dir` points at; true refuses it. */
  refuses?(conn: WsConnection, dir: 'to-server' | 'to-client', bytes: number, n: number): boolean;
  /** The server sent a data frame on a matching connection (its unread backlog grew). */
  sent?(conn: WsConnection): void;
  /** The entry is over (window end or heal): cancel what it scheduled. */
  stop?(): void;
}

/** A fault in force at the HTTP edge, in front of the server (request-reset, bad-body, retry-after). */
export interface HttpRule {
  /** Index of the entry in the plan. */
  entry: number;
  /** Only requests of this client node. */
  node?: string;
  /** Only requests to this path (exact or `*` glob). */
  path?: string;
  /** Only requests with this method. */
  method?: string;
  /** Matching requests still to be affected (`undefined`: all). */
  remaining?: number;
  /** Handles a matching request: answer it at the edge, or `forward` it to the server and change the answer. */
  handle(req: SimHttpRequest, forward: (reply: (r: HttpReply) => void) => void, reply: (r: HttpReply) => void): void;
}

/** The request-matching part of an {@link HttpRule}, from a plan entry's `node`, `path`, `method` and `count`. */
export function requestMatchOf(e: {
  node?: string;
  path?: string;
  method?: string;
  count?: number;
}): Pick<HttpRule, 'node' | 'path' | 'method' | 'remaining'> {
  return { node: e.node, path: e.path, method: e.method, remaining: e.count };
}

/**
 * The rules of the real-world fault kinds in force on one simulated network. Transports
 * consult them at the points a real intermediary or server acts: when a socket opens, when
 * a frame arrives or is sent, when a request reaches the edge. Kept beside the network (one
 * per {@link liveRules} key) so the transports need no new constructor arguments.
 */
export class LiveFaultRules {
  /** Connection rules in force, in plan order of their start. */
  readonly connections: ConnectionRule[] = [];
  /** HTTP edge rules in force, in plan order of their start. */
  readonly http: HttpRule[] = [];

  /** Puts a rule in force; returns what lifts it (and cancels what it scheduled). */
  add(rule: ConnectionRule): () => void;
  add(rule: HttpRule, http: true): () => void;
  add(rule: ConnectionRule | HttpRule, http?: true): () => void {
    const list: (ConnectionRule | HttpRule)[] = http ? this.http : this.connections;
    list.push(rule);
    return () => {
      const i = list.indexOf(rule);
      if (i >= 0) list.splice(i, 1);
      (rule as ConnectionRule).stop?.();
    };
  }

  /** Lifts every rule (a heal). */
  clear(): void {
    for (const r of this.connections.splice(0)) r.stop?.();
    this.http.length = 0;
  }

  /** @internal The client end of `conn` opened. */
  opened(conn: WsConnection): void {
    for (const r of this.connections) if (appliesTo(r, conn)) r.opened?.(conn);
  }

  /** @internal Whether a rule refuses a frame arriving at the end `dir` points at (the first one that does acts). */
  refuses(conn: WsConnection, dir: 'to-server' | 'to-client', bytes: number, n: number): boolean {
    for (const r of this.connections) if (appliesTo(r, conn) && r.refuses?.(conn, dir, bytes, n)) return true;
    return false;
  }

  /** @internal The server sent a frame on `conn`. */
  sent(conn: WsConnection): void {
    for (const r of this.connections) if (appliesTo(r, conn)) r.sent?.(conn);
  }

  /** @internal The first HTTP rule matching `req`, counting it against the rule's `count`. */
  takeHttp(req: SimHttpRequest): HttpRule | undefined {
    return takeRule(this.http, req);
  }
}

/** @internal Whether a rule or plan entry scoped to `node` and `path` (each optional) covers `conn`. */
export function appliesTo(scope: { node?: string; path?: string }, conn: WsConnection): boolean {
  return (scope.node === undefined || scope.node === conn.node) && (scope.path === undefined || pathMatches(scope.path, conn.path));
}

const byNetwork = new WeakMap<object, LiveFaultRules>();

/** The real-world fault rules of the network `net` (created on first use). */
export function liveRules(net: object): LiveFaultRules {
  let r = byNetwork.get(net);
  if (!r) byNetwork.set(net, (r = new LiveFaultRules()));
  return r;
}
