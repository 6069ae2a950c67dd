/**
 * CHAT-8: within each session, after the k-th consecutive failure of the conversation's
 * sockets (k = 1…5; the count resets at a new session and at a *stable* socket — one that
 * stayed open 10 s + T must reset it, one open 5 s may; a socket that opens and dies sooner,
 * as under flapping, is one more consecutive failure), the next
 * `ws.connect` of that conversation comes within
 * `[closing + 0.9·b_k − T, close + 1.1·b_k + T]` with b = 2, 4, 8, 16, 32 s ("closing" is
 * when the client stopped using the socket, "close" its `close` event: a client may time
 * its backoff from either); after the 6th consecutive failure (5 reconnects failed) no
 * further connect comes. A reconnect is free of these bounds after the device came
 * online, the app returned to the foreground, or the user acted after an auth error
 * (at or after the failure). Such a reset may or may not restart the count — decision: a
 * client whose reconnect was already under way when it came back (the reference) keeps
 * counting, and both counts are accepted from then on, consistently: the checker keeps
 * every count still possible; a reconnect keeps only the counts whose window it fits (it
 * shows which count the client follows), and when one possible count has reached the 6th
 * failure, no further connect is required (the client may stop: its 5 attempts are spent;
 * CHAT-16 still requires one attempt after the next return online or to the foreground).
 * A late or missing reconnect is
 * excused while the device was offline, the app in the background, or the node in an auth
 * error, and not judged when the session or run ended first. Decision: the initial
 * connect is not one of the 5 attempts.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import * as q from '../../../conformance/trace-query.js';
import { chatTiming } from '../wire.js';
import { convOf, fmtDuration, fmtTime, guarded, plural, sockEnd } from './evidence.js';
import { authDuring, failedInSession, socketsOf, type ChatSocket } from './model.js';

/** The CHAT-8 checker. */
export const checkBackoff = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  const B = chatTiming.backoff;
  const resetsOf = (node: string): number[] => [
    ...m.faults
      .filter(
        (w) =>
          (w.kind === 'client-offline' || w.kind === 'app-background') &&
          (w.node === undefined || w.node === node) &&
          Number.isFinite(w.end),
      )
      .map((w) => w.end),
    ...m.auth.filter((w) => w.node === node && Number.isFinite(w.to)).map((w) => w.to),
  ];
  const excused = (node: string, from: number, to: number): boolean =>
    q.faultsDuring(m.faults, 'client-offline', from, to, node).length > 0 ||
    q.faultsDuring(m.faults, 'app-background', from, to, node).length > 0 ||
    authDuring(m, node, from, to) !== undefined;
  interface Window {
    k: number;
    b: number;
    lo: number;
    hi: number;
  }
  const windowsOf = (ks: Set<number>, last: { from: number; to: number }): Window[] =>
    [...ks]
      .filter((k) => k >= 1 && k <= B.length)
      .sort((a, b) => a - b)
      .map((k) => {
        const b = B[k - 1]!;
        return { k, b, lo: last.from + 0.9 * b - m.T, hi: last.to + 1.1 * b + m.T };
      });
  const expected = (ws: Window[], bound: 'lo' | 'hi'): string =>
    ws
      .map((w) => `${fmtDuration(w.b)} (±10 % + T: ${bound === 'lo' ? `not before ${fmtTime(w.lo)}` : `by ${fmtTime(w.hi)}`})`)
      .join(' or ');
  const inRow = (ks: Set<number>): string => `failure ${[...ks].sort((a, b) => a - b).join(' or ')} in a row`;
  for (const session of m.sessions) {
    const socks = socketsOf(m, session);
    const resets = resetsOf(session.node);
    /** The possible counts of consecutive failures (more than one after an ambiguous reset). */
    let ks = new Set([0]);
    let last: { s: ChatSocket; from: number; to: number } | undefined;
    for (const s of socks) {
      const resetBefore = last !== undefined && resets.some((r) => r >= last!.from && r <= s.connectAt);
      if (last && !resetBefore) {
        judged++;
        const ws = windowsOf(ks, last);
        const c = s.connectAt;
        const wait = `${fmtDuration(c - last.from)} after ${last.s.id} ${sockEnd(last.s)} (${inRow(ks)})`;
        const fitting = ws.filter((w) => c >= w.lo && (c <= w.hi || excused(s.node, last!.from, c)));
        // The counts this reconnect fits are the ones the client may follow from now on.
        if (fitting.length > 0) ks = new Set(fitting.map((w) => w.k));
        else {
          if (ws.length === 0) {
            v.push({
              at: c,
              seq: s.connectSeq,
              text: `${s.id} connected at ${fmtTime(c)}: a reconnect attempt after ${B.length} failed reconnects (${last.s.id} was ${inRow(ks)}); at most ${B.length} attempts`,
            });
          } else if (c < ws[0]!.lo) {
            v.push({ at: c, seq: s.connectSeq, text: `${s.id} connected at ${fmtTime(c)}, ${wait}; the backoff is ${expected(ws, 'lo')}` });
          } else {
            v.push({ at: c, seq: s.connectSeq, text: `${s.id} connected at ${fmtTime(c)}, ${wait}; the backoff is ${expected(ws, 'hi')}` });
          }
        }
      }
      if (resetBefore) ks.add(0);
      // The count resets at a stable socket: one open for `stableAfter` (10 s) must reset
      // it, one open for `stableMin` (5 s) may; a socket that dies sooner is one more failure.
      if (s.openAt !== undefined) {
        const uptime = (s.endedBy === 'alive' ? m.endAt : s.endAt) - s.openAt;
        if (uptime >= chatTiming.stableAfter + m.T) ks = new Set([0]);
        else if (uptime >= chatTiming.stableMin) ks.add(0);
      }
      if (failedInSession(s, session)) {
        ks = new Set([...ks].map((k) => Math.min(k + 1, B.length + 1)));
        last = { s, from: s.endAt, to: s.closeAt ?? s.failAt ?? s.endAt };
      } else last = undefined;
    }
    if (last) {
      const ws = windowsOf(ks, last);
      const hi = Math.max(...ws.map((w) => w.hi));
      const reset = resets.some((r) => r >= last!.from && r <= hi);
      // A count that reached the 6th failure allows stopping (the 5 attempts are spent).
      const spent = ks.has(B.length + 1);
      if (ws.length > 0 && !reset && Math.min(session.end, m.endAt) > hi && !excused(session.node, last.from, hi)) {
        judged++;
        if (spent) continue;
        v.push({
          at: last.from,
          seq: last.s.endSeq,
          text: `${last.s.id} (${convOf(last.s)}) ${sockEnd(last.s)} (${inRow(ks)}) and no reconnect followed by ${fmtTime(hi)} (backoff ${ws.map((w) => fmtDuration(w.b)).join(' or ')} ±10 % + T)`,
        });
      }
    }
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'reconnect')} after failures followed the 2/4/8/16/32 s backoff (±10 % + T = ${fmtDuration(m.T)}) and stopped after 5 attempts`,
    'no socket failed while its conversation stayed open, so no reconnect was due',
  );
});
