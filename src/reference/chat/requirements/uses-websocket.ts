/**
 * CHAT-15: a client actually uses the WebSocket. For each session the user opened while
 * nothing hindered a socket on that node — no fault in force on it (any kind, the server's
 * restarts included), no auth error, no token revocation (`auth.revoked`) — from the open
 * until `open + 1 s + 2T`:
 * (i) a socket of that conversation is open (`ws.open`) by `open + 1 s + 2T` (connect at
 *     once, one handshake round trip, a second of slack for whatever the client does first);
 * (ii) from that socket's `ws.open` until the session ends or the first hindrance on the
 *     node begins, every message the server stores for the conversation is pushed
 *     (`message.pushed`) to a socket of that node that the client has open at that moment:
 *     the client keeps a socket open and receives over it, rather than dropping it and polling.
 * Judged only when the session and the run last past the deadline of (i).
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import * as q from '../../../conformance/trace-query.js';
import { fmtDuration, fmtTime, guarded, list, plural, sockEnd } from './evidence.js';
import { authDuring, socketsOf, type ChatModel } from './model.js';

/** When hindrances of a WebSocket on `node` begin: fault windows, auth errors, revocations. */
function hindranceStarts(m: ChatModel, node: string): number[] {
  return [
    ...m.faults.filter((w) => w.node === undefined || w.node === node).map((w) => w.start),
    ...m.auth.filter((w) => w.node === node).map((w) => w.from),
    ...q.serverLogs(m.events, 'auth.revoked').map((e) => e.t),
  ].sort((a, b) => a - b);
}

/** `true` when nothing hindered a WebSocket on `node` at any time within `[from, to]`. */
function clear(m: ChatModel, node: string, from: number, to: number): boolean {
  const fault = m.faults.some((w) => (w.node === undefined || w.node === node) && w.start <= to && (w.end > from || w.start >= from));
  const revoked = q.serverLogs(m.events, 'auth.revoked').some((e) => e.t <= to);
  return !fault && !revoked && authDuring(m, node, from, to) === undefined;
}

/** The CHAT-15 checker. */
export const checkUsesWebSocket = guarded((m) => {
  const v: Violation[] = [];
  let opened = 0;
  let pushed = 0;
  const bound = 1000 + 2 * m.T;
  for (const session of m.sessions) {
    if (session.startedBy !== 'open') continue;
    const deadline = session.start + bound;
    if (session.end <= deadline || m.endAt < deadline || !clear(m, session.node, session.start, deadline)) continue;
    const socks = socketsOf(m, session);
    const first = socks.find((s) => s.openAt !== undefined && s.openAt <= deadline);
    opened++;
    if (!first) {
      const tried = socks[0];
      v.push({
        at: session.start,
        seq: session.startSeq,
        text: `${session.node} opened conversation ${session.conversation} at ${fmtTime(session.start)} with nothing hindering a WebSocket, and no socket of it was open by ${fmtTime(deadline)} (1 s + 2T = ${fmtDuration(bound)}): ${tried ? `${tried.id} connected at ${fmtTime(tried.connectAt)}, ${tried.openAt !== undefined ? `open only at ${fmtTime(tried.openAt)}` : sockEnd(tried)}` : 'it never connected one'}`,
      });
      continue;
    }
    const troubleAt = hindranceStarts(m, session.node).find((t) => t >= session.start) ?? Infinity;
    const until = Math.min(session.end, troubleAt, m.endAt);
    // A push counts when it went to a socket the client still had open (not one it dropped, or lost in a restart).
    const nodeSockets = new Map(m.sockets.filter((s) => s.node === session.node && s.openAt !== undefined).map((s) => [s.id, s]));
    const reached = (id: string): boolean =>
      m.pushed.some((p) => {
        const s = p.id === id ? nodeSockets.get(p.socket) : undefined;
        return s !== undefined && s.openAt! <= p.t && p.t < s.endAt;
      });
    const missed: string[] = [];
    let firstMiss: { t: number; seq: number } | undefined;
    for (const msg of m.stored) {
      if (msg.conversation !== session.conversation || msg.seq <= first.openSeq! || msg.t >= until) continue;
      pushed++;
      if (reached(msg.id)) continue;
      missed.push(msg.id);
      firstMiss ??= { t: msg.t, seq: msg.seq };
    }
    if (firstMiss) {
      const live = socks.filter((s) => s.openAt !== undefined && s.openAt <= firstMiss!.t);
      const last = live[live.length - 1] ?? first;
      v.push({
        at: firstMiss.t,
        seq: firstMiss.seq,
        text: `${plural(missed.length, 'message')} the server stored for conversation ${session.conversation} while nothing hindered a WebSocket (${list(missed)}, the first at ${fmtTime(firstMiss.t)}) reached no socket of ${session.node}: ${last.id} opened at ${fmtTime(last.openAt!)} and was ${sockEnd(last)}`,
      });
    }
  }
  return verdict(
    v,
    opened > 0,
    `${plural(opened, 'conversation')} opened while nothing hindered a WebSocket had a socket open within 1 s + 2T (${fmtDuration(bound)}); ${plural(pushed, 'message')} stored meanwhile reached it`,
    'no conversation was opened while nothing hindered a WebSocket for 1 s + 2T',
  );
});
