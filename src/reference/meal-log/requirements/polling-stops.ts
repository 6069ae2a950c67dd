import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { guarded, plural, req } from './model.js';

/**
 * MEAL-5: no poll starts while, by what the server had told the client (a listing
 * succeeded in this incarnation, and since then), no meal of its user is processing and
 * no submitted meal is still unheard of. Judged from the server's answers, not from the
 * client's snapshot; a meal a duplicated listing showed both ways counts as processing.
 */
export const checkPollingStops = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const p of m.polls) {
    const k = m.knowledge.at(p.node, p.requestSeq);
    if (!k.complete) continue;
    judged++;
    if (k.processing > 0 || k.maybe > 0 || k.pending > 0) continue;
    v.push({
      at: p.requestAt,
      seq: p.requestSeq,
      text: `${p.node} polled (${req(p)}) at ${fmtTime(p.requestAt)} although the server had told it (by ${fmtTime(k.t)}) that none of its meals was processing`,
    });
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'poll')}, each while the client knew of a meal processing`,
    'the client never polled after a listing had told it its meals',
  );
});
