import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { guarded, plural, type Created, type Submission } from './model.js';

/** MEAL-7: per node and meal text, the server creates no more meals than the user submitted, and (by `heal + B`) no fewer. */
export const checkCreatedOnce = guarded((m) => {
  const v: Violation[] = [];
  const submitted = new Map<string, Submission[]>();
  for (const s of m.submissions) submitted.set(`${s.node}\n${s.text}`, [...(submitted.get(`${s.node}\n${s.text}`) ?? []), s]);
  const created = new Map<string, Created[]>();
  for (const c of m.created)
    if (c.node !== undefined && c.rawInput !== undefined)
      created.set(`${c.node}\n${c.rawInput}`, [...(created.get(`${c.node}\n${c.rawInput}`) ?? []), c]);
  for (const [key, subs] of submitted) {
    const list = created.get(key) ?? [];
    const [node, text] = key.split('\n') as [string, string];
    if (list.length > subs.length) {
      const extra = list[subs.length]!;
      v.push({
        at: extra.t,
        seq: extra.seq,
        text: `the server created the meal "${text}" that ${node} submitted ${subs.length === 1 ? 'once' : `${subs.length} times`} ${list.length} times: ${list.map((c) => `${c.id} (local id ${c.localId ?? '?'}) at ${fmtTime(c.t)}`).join(', ')}`,
      });
    } else if (list.length < subs.length && m.healAt + m.bound <= m.endAt) {
      v.push({
        at: m.healAt + m.bound,
        text: `the meal "${text}" that ${node} submitted at ${fmtTime(subs[list.length]!.t)} was never created on the server (by ${fmtTime(m.healAt + m.bound)})`,
      });
    }
  }
  return verdict(
    v,
    m.submissions.length > 0,
    `${plural(m.submissions.length, 'submitted meal')}, each created on the server exactly once`,
    'the user submitted no meal',
  );
});
