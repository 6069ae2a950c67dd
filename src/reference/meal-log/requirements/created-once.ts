import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { guarded, missingExcused, plural, type Created, type Submission } from './model.js';

/**
 * MEAL-7: per node and meal text, the server creates no more meals than the user
 * submitted, and (by `heal + B`) no fewer.
 *
 * "No more" is counted per server state: a server restart that loses its state forgets
 * every meal and local id, so a client that uploads again a meal the server forgot
 * creates no duplicate — the meals created since the last such restart are compared.
 * "No fewer" counts every creation, before and after a loss. A client may give a meal up
 * after a fault plan's edge answered its upload with a 4xx other than 408 and 429 (it
 * cannot tell that answer from the server's): each such answer excuses one missing meal
 * of its node. So does each meal submitted in an incarnation that ended in a restart after
 * which the storage did not hold the outbox (what was not uploaded by then is gone); and a
 * node whose token expired (`token-expiry`: every later upload is refused with 401, and
 * the protocol cannot renew it) is not blamed for missing meals at all.
 */
export const checkCreatedOnce = guarded((m) => {
  const v: Violation[] = [];
  const submitted = new Map<string, Submission[]>();
  for (const s of m.submissions) submitted.set(`${s.node}\n${s.text}`, [...(submitted.get(`${s.node}\n${s.text}`) ?? []), s]);
  const created = new Map<string, Created[]>();
  for (const c of m.created)
    if (c.node !== undefined && c.rawInput !== undefined)
      created.set(`${c.node}\n${c.rawInput}`, [...(created.get(`${c.node}\n${c.rawInput}`) ?? []), c]);
  const epochOf = (c: Created): number => m.stateLosses.filter((r) => r.seq < c.seq).length;
  const missing = new Map<string, { text: string; first: Submission; count: number }[]>();
  for (const [key, subs] of submitted) {
    const list = created.get(key) ?? [];
    const [node, text] = key.split('\n') as [string, string];
    const epochs = new Map<number, Created[]>();
    for (const c of list) epochs.set(epochOf(c), [...(epochs.get(epochOf(c)) ?? []), c]);
    const over = [...epochs.entries()].find(([, cs]) => cs.length > subs.length);
    if (over) {
      const [epoch, cs] = over;
      const extra = cs[subs.length]!;
      const since = epoch > 0 ? ` since the server lost its state at ${fmtTime(m.stateLosses[epoch - 1]!.t)}` : '';
      v.push({
        at: extra.t,
        seq: extra.seq,
        text: `the server created the meal "${text}" that ${node} submitted ${subs.length === 1 ? 'once' : `${subs.length} times`} ${cs.length} times${since}: ${cs.map((c) => `${c.id} (local id ${c.localId ?? '?'}) at ${fmtTime(c.t)}`).join(', ')}`,
      });
    } else if (list.length < subs.length && m.healAt + m.bound <= m.endAt) {
      missing.set(node, [...(missing.get(node) ?? []), { text, first: subs[list.length]!, count: subs.length - list.length }]);
    }
  }
  let excused = 0;
  for (const [node, list] of missing) {
    const count = list.reduce((n, x) => n + x.count, 0);
    if (missingExcused(m, node, count)) {
      excused += count;
      continue;
    }
    for (const { text, first } of list)
      v.push({
        at: m.healAt + m.bound,
        text: `the meal "${text}" that ${node} submitted at ${fmtTime(first.t)} was never created on the server (by ${fmtTime(m.healAt + m.bound)})`,
      });
  }
  return verdict(
    v,
    m.submissions.length > 0,
    excused
      ? `${plural(m.submissions.length, 'submitted meal')}: ${plural(excused, 'meal')} never created, excused (an edge 4xx, a lost storage or an expired token), the others created on the server exactly once`
      : `${plural(m.submissions.length, 'submitted meal')}, each created on the server exactly once`,
    'the user submitted no meal',
  );
});
