import type { TraceEvent } from '../sim/trace.js';

/**
 * How soon after a refused upgrade a second one of the same node to the same URL counts as
 * the WebSocket library's own silent retry. java.net.http's HttpClient (and through it
 * every JVM WebSocket built on it) sends an opening handshake again, once, when the
 * connection ends without an answer; it did so 21 ms later on a busy 2-core machine. No
 * backoff a spec asks for is this short.
 */
export const stackRetryWindowMs = 250;

/** Why a `ws.fail` means the layer refused the connection itself (a dead server, an offline device). */
const refusedByLayer = (e: TraceEvent): boolean => e.ev === 'ws.fail' && (e.status === 0 || e.reason === 'the client is offline');

/**
 * A real trace with each *single* transport-level retry of an upgrade the layer refused
 * (server down, device offline) taken out: the second `ws.connect` of a node to the same
 * URL within {@link stackRetryWindowMs} of the first one's refusal, itself refused, when the
 * first one was no such retry. On a real network a dead server refuses the TCP handshake
 * and a library's retry is refused too, unseen; lockstep accepts and resets upgrades while
 * the server is down so that a reconnect storm is in the trace — and then must not charge
 * a library's one silent retry to the app as a second reconnect (chat CHAT-8). A client
 * that reconnects at once by itself still shows every other attempt. Returns the steps to
 * judge and one note per retry taken out.
 */
export function collapseStackRetries(events: readonly TraceEvent[]): { events: readonly TraceEvent[]; notes: string[] } {
  const connects = events.filter((e) => e.ev === 'ws.connect');
  if (connects.length < 2) return { events, notes: [] };
  const failOf = new Map<string, TraceEvent>();
  for (const e of events) if (e.ev === 'ws.fail' && typeof e.id === 'string' && !failOf.has(e.id)) failOf.set(e.id, e);
  const drop = new Set<string>();
  const notes: string[] = [];
  const last = new Map<string, { connect: TraceEvent; retry: boolean }>();
  for (const c of connects) {
    const node = String(c.node);
    const prev = last.get(node);
    const prevFail = prev ? failOf.get(String(prev.connect.id)) : undefined;
    const ownFail = failOf.get(String(c.id));
    const retry =
      !!prev &&
      !prev.retry &&
      !!prevFail &&
      refusedByLayer(prevFail) &&
      prev.connect.url === c.url &&
      c.t >= prevFail.t &&
      c.t - prevFail.t <= stackRetryWindowMs &&
      !!ownFail &&
      refusedByLayer(ownFail);
    if (retry) {
      drop.add(String(c.id));
      notes.push(
        `${String(c.id)} at ${(c.t / 1000).toFixed(3)} s came ${Math.round(c.t - prevFail!.t)} ms after ${String(prev!.connect.id)} was refused (${String(prevFail!.reason)}): taken for the WebSocket library's own silent retry of the same attempt (java.net.http retries a handshake once), not judged as a reconnect`,
      );
    }
    last.set(node, { connect: c, retry });
  }
  if (drop.size === 0) return { events, notes };
  return { events: events.filter((e) => !(typeof e.id === 'string' && drop.has(e.id))), notes };
}
