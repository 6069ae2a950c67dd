import { pathMatches } from '../sim/network.js';
import { takeRule } from '../sim/server-host.js';
import type { RealWsConnection } from './ws-connection.js';

/**
 * A fault in force on real WebSocket connections (idle-timeout, flapping, message-too-big,
 * slow-consumer): the kernel's `ConnectionRule`, over the layer's own connections.
 */
export interface RealConnectionRule {
  /** Index of the entry in the plan. */
  entry: number;
  /** Only connections of this client node. */
  node?: string;
  /** Only connections to this path (exact or `*` glob). */
  path?: string;
  /** The 101 of a matching connection was written (the client opens on it). */
  opened?(conn: RealWsConnection): void;
  /** A data frame of `bytes` is about to reach the server application; true refuses it. */
  refuses?(conn: RealWsConnection, bytes: number, n: number): boolean;
  /** The server application sent a data frame (its unread backlog grew). */
  sent?(conn: RealWsConnection): void;
  /** The entry is over (window end, heal, end of the run): cancel what it scheduled. */
  stop?(): void;
}

/** What an HTTP edge fault does with a matching request. */
export type RealHttpAction =
  { kind: 'reset' } | { kind: 'html' } | { kind: 'truncated' } | { kind: 'retry-after'; status: number; seconds: number };

/** A fault in force at the HTTP edge, in front of the application (request-reset, bad-body, retry-after). */
export interface RealHttpRule {
  /** Index of the entry in the plan. */
  entry: number;
  node?: string;
  path?: string;
  method?: string;
  /** Matching requests still to be affected (`undefined`: all). */
  remaining?: number;
  action: RealHttpAction;
}

/**
 * The real-world fault rules in force on one real-socket run: consulted by the
 * connections when a socket opens, a frame reaches the server or the server sends, and by
 * the host when a request reaches the edge — the points where a real intermediary, edge or
 * server acts. The counterpart of the kernel's `LiveFaultRules`.
 */
export class RealLiveRules {
  /** Connection rules in force, in the order they started. */
  readonly connections: RealConnectionRule[] = [];
  /** HTTP edge rules in force, in the order they started. */
  readonly http: RealHttpRule[] = [];

  /** Puts a connection rule in force; returns what lifts it (and cancels what it scheduled). */
  addConnection(rule: RealConnectionRule): () => void {
    return this.add(this.connections, rule, () => rule.stop?.());
  }

  /** Puts an HTTP edge rule in force; returns what lifts it. */
  addHttp(rule: RealHttpRule): () => void {
    return this.add(this.http, rule);
  }

  private add<R>(list: R[], rule: R, after?: () => void): () => void {
    list.push(rule);
    return () => {
      const i = list.indexOf(rule);
      if (i >= 0) list.splice(i, 1);
      after?.();
    };
  }

  /** Lifts every rule (a heal, the end of the run). */
  clear(): void {
    for (const r of this.connections.splice(0)) r.stop?.();
    this.http.length = 0;
  }

  /** The client end of `conn` opens. */
  opened(conn: RealWsConnection): void {
    for (const r of this.matching(conn)) r.opened?.(conn);
  }

  /** Whether a rule refuses a client frame of `bytes` before the application sees it (the first that does acts). */
  refuses(conn: RealWsConnection, bytes: number, n: number): boolean {
    for (const r of this.matching(conn)) if (r.refuses?.(conn, bytes, n)) return true;
    return false;
  }

  /** The server application sent a frame on `conn`. */
  sent(conn: RealWsConnection): void {
    for (const r of this.matching(conn)) r.sent?.(conn);
  }

  /** The first HTTP rule matching the request, counted against its `count`. */
  takeHttp(node: string, method: string, path: string): RealHttpRule | undefined {
    return takeRule(this.http, { node, method, path });
  }

  private matching(conn: RealWsConnection): RealConnectionRule[] {
    if (this.connections.length === 0) return this.connections;
    return this.connections.filter(
      (r) => (r.node === undefined || r.node === conn.node) && (r.path === undefined || pathMatches(r.path, conn.path)),
    );
  }
}
