import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { disturbance, guarded, P, plural, timersDisturbed, tokenExpiredAt, wsKinds } from './model.js';

/**
 * LIVE-10: after the user opens a dashboard (`connectDashboard` at `t`), the server logs a
 * `chat_updates` subscription (`dashboard.subscribed`) for a `/ws/dashboard` socket of that
 * node by `t + P + T` — on a new socket, or one that was already subscribed and is still
 * open. The server's log is the evidence: a socket that never subscribes, or a dashboard
 * that polls instead, fails. Not judged when the identity ends by then (the user closed
 * or re-opened the dashboard, the app restarted), a fault that can delay the socket or
 * the app's timers touches `[t, t + P + T]`, a socket of the node made half-open before
 * `t` is still in place at `t`, the node's token expired by the deadline, or the run ends first. Exercised by every
 * judged `connectDashboard`.
 */
export const checkUsesSocket = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const who of m.identities) {
    if (who.restored) continue;
    const deadline = who.from + P + m.T;
    if (deadline > m.endAt || who.to <= deadline) continue;
    if (disturbance(m, wsKinds, who.node, who.from, deadline) || timersDisturbed(m, who.node, who.from, deadline)) continue;
    // An expired token is refused (401) until the agent signs in again, which this protocol has no way to do.
    if (tokenExpiredAt(m, who.node) <= deadline) continue;
    // A socket the network silenced earlier (half-open) and still in place when the dashboard
    // is re-opened: the fault keeps acting although its entry lies in the past.
    if (m.sockets.some((s) => s.node === who.node && s.halfOpenAt !== undefined && s.halfOpenAt <= who.from && s.endAt > who.from)) continue;
    judged++;
    const ok = m.sockets.some((s) => {
      const sub = m.subscribed.get(s.id);
      return (
        s.node === who.node && sub !== undefined && sub.t <= deadline && s.endAt > who.from && (sub.seq > who.fromSeq || s.endAt > deadline)
      );
    });
    if (ok) continue;
    const mine = m.sockets.filter((s) => s.node === who.node && s.connectSeq > who.fromSeq && s.connectAt <= deadline);
    const polls = m.requests.filter(
      (x) => x.node === who.node && x.requestSeq > who.fromSeq && x.requestAt <= deadline && x.method === 'GET',
    );
    const kept = m.sockets.filter((s) => s.node === who.node && s.connectSeq < who.fromSeq && s.endAt > who.from);
    const seen =
      mine.length === 0
        ? kept.length > 0
          ? `it kept ${kept.map((s) => s.id).join(', ')}, which never subscribed to chat_updates`
          : `it opened no /ws/dashboard socket${polls.length ? ` (it made ${plural(polls.length, 'GET request')} instead)` : ''}`
        : `its socket${mine.length === 1 ? '' : 's'} ${mine.map((s) => s.id).join(', ')} never subscribed to chat_updates`;
    v.push({
      at: deadline,
      seq: who.fromSeq,
      text: `${who.node} opened the dashboard as ${who.user} at ${fmtTime(who.from)}, but the server logged no chat_updates subscription of it within 2 s + T (${fmtDuration(P + m.T)}, by ${fmtTime(deadline)}): ${seen}`,
    });
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'dashboard')} subscribed to chat_updates over /ws/dashboard within 2 s + T (${fmtDuration(P + m.T)}) of being opened`,
    'no dashboard was opened (without a fault in the way)',
  );
});
