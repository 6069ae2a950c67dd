import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { backoffHigh, backoffLow, mealLogLimits } from './limits.js';
import { deadlineAfter, guarded, incarnationOf, plural, sockEnd, type MealSocket, type Model } from './model.js';
import { pollsWhileVerified } from './no-poll-while-verified.js';

const maxK = mealLogLimits.backoff.length - 1;

/**
 * MEAL-9: (a) after a socket ends (not by an app restart), the node's next connect comes
 * within the backoff window of k: no sooner than half the nominal delay (at once for
 * k = 0) − T after the end, and no later than 1.5 × the nominal delay + T, counted in time
 * the app could act (offline or background time restarts the count). k is the number of
 * reconnects the client already made since the last reset point — the incarnation's
 * launch, or the verification of a socket — not counting the one now due: after a
 * verified socket ends k = 0, and the next end gives k = 1 (the verified socket's own end
 * counted, as the attempt that followed it was a reconnect). Coming back online, and a
 * user action that needs the socket (NutritionView, a submission), are optional reset
 * points: for the two reconnects that follow one (the attempt in flight and the next),
 * k = 0 is accepted as well as the count without the reset. Where several k are possible,
 * the window runs from the smallest one's lower bound to the largest one's upper bound,
 * and the counts that explain the delay seen carry on. With no next connect, the
 * incarnation and the run must end before it was due. (b) no poll starts while a later
 * (reconnected) socket of an incarnation is verified and healthy.
 */
export const checkBackoff = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const node of m.nodes) {
    const list = m.sockets.filter((s) => s.node === node).sort((a, b) => a.connectSeq - b.connectSeq);
    let ks = new Set([0]);
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (s.first || s.verifiedSeq !== undefined) ks = new Set([0]);
      if (s.endedBy === 'alive' || s.endedBy === 'restart') continue;
      const next = list[i + 1];
      const sameInc = next !== undefined && next.incarnation === s.incarnation;
      const until = sameInc ? next.connectAt : Math.min(incarnationOf(m, node, s.connectSeq)?.end ?? Infinity, m.endAt);
      const reset = resets(m, node, s, until);
      if (reset) ks.add(0);
      const candidates = [...ks];
      const low = Math.min(...candidates.map(backoffLow));
      const high = Math.max(...candidates.map(backoffHigh));
      const due = deadlineAfter(m, node, s.endAt, high);
      if (!sameInc) {
        if (due + m.T < until) {
          judged++;
          v.push({
            at: due,
            text: `${node} never reconnected after ${s.id} ${sockEnd(s)}: the next attempt was due within ${fmtDuration(high)}${due > s.endAt + high ? ' of the app being online and in the foreground again' : ''}, by ${fmtTime(due)}`,
          });
        }
        continue;
      }
      judged++;
      const gap = next.connectAt - s.endAt;
      if (gap < low - m.T || next.connectAt > due + m.T) {
        const ks = [...candidates].sort((a, b) => a - b).join(' or ');
        const k = `with k = ${ks} (reconnects already made since the launch, the last verification or a reset)`;
        v.push({
          at: next.connectAt,
          seq: next.connectSeq,
          text: `${node} reconnected (${next.id}) ${fmtDuration(gap)} after ${s.id} ${sockEnd(s)}; ${k} the backoff allows ${fmtDuration(low)}–${fmtDuration(high)} (± ${fmtDuration(m.T)}${due > s.endAt + high ? ', plus the time the app was offline or in the background' : ''})`,
        });
      }
      // The attempt counts that explain this gap carry on; if none does, the client's count is unknown.
      const fit = candidates.filter((k) => gap >= backoffLow(k) - m.T);
      const base = fit.length ? fit : [0, ...candidates];
      ks = new Set(base.map((k) => Math.min(k + 1, maxK)));
      // A reset after this socket ended also zeroes the count the next socket's end starts from.
      if (reset) ks.add(0);
    }
  }
  const polls = pollsWhileVerified(m, false);
  v.push(...polls.v);
  return verdict(
    v,
    judged > 0 || polls.judged > 0,
    `${plural(judged, 'reconnect')} within the backoff; no poll while a reconnected socket was verified`,
    'no socket ended while the app ran on, and no reconnect was verified',
  );
});

/** Whether the client may have reset its backoff between the socket's connect and the next one: the device came back online, or the user needed the socket. */
function resets(m: Model, node: string, s: MealSocket, until: number): boolean {
  return (
    m.online.some((o) => o.node === node && o.seq > s.connectSeq && o.t <= until) ||
    m.needs.some((a) => a.node === node && a.seq > s.connectSeq && a.t <= until)
  );
}
