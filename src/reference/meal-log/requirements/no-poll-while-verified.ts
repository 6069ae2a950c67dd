import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { guarded, healthyAt, plural, req, sockEnd, type Model } from './model.js';

/**
 * Polls that start while a socket of the node is verified and healthy (a frame within
 * H + T); `first` selects the first socket of each incarnation, or the later ones
 * (reconnects). Exercised by every socket of that kind that was verified.
 */
export function pollsWhileVerified(m: Model, first: boolean): { v: Violation[]; judged: number } {
  const v: Violation[] = [];
  const relevant = m.sockets.filter((s) => s.first === first && s.verifiedSeq !== undefined);
  for (const p of m.polls) {
    for (const s of relevant) {
      if (s.node !== p.node || !healthyAt(m, s, p.requestAt, p.requestSeq)) continue;
      v.push({
        at: p.requestAt,
        seq: p.requestSeq,
        text: `${p.node} polled (${req(p)}) at ${fmtTime(p.requestAt)} while ${s.id}${first ? '' : ' (a reconnect)'} was verified since ${fmtTime(s.verifiedAt!)} and healthy (${sockEnd(s)})`,
      });
      break;
    }
  }
  return { v, judged: relevant.length };
}

/** MEAL-3: no poll starts while the first socket of an incarnation is verified and healthy. */
export const checkNoPollWhileVerified = guarded((m) => {
  const { v, judged } = pollsWhileVerified(m, true);
  return verdict(
    v,
    judged > 0,
    `no poll while ${plural(judged, 'first socket')} ${judged === 1 ? 'was' : 'were'} verified`,
    'no socket was ever verified',
  );
});
