import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { guarded, plural } from './query.js';

/**
 * SYNC-14 (SHOULD): a `401` refuses the credentials the request carried (RFC 9110 §
 * 15.5.2); asking again with the same token only hammers the server. After a page answered
 * 401, the client sends no further request — page request or stream connect — until the
 * user syncs again or the app restarts. A sync the user asked for while the refused sync
 * ran (after its stream connect) may run once after it (§ 6, SYNC-11(a)).
 */
export const checkNoRetryAfter401 = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  for (const node of m.nodes) {
    type Step = { seq: number; t: number; kind: 'sync' | 'connect' | 'page' | 'refused' | 'restart'; id: string };
    const steps: Step[] = [];
    for (const a of m.syncActions) if (a.node === node) steps.push({ seq: a.seq, t: a.t, kind: 'sync', id: 'sync' });
    for (const s of m.streams) if (s.node === node) steps.push({ seq: s.connectSeq, t: s.connectAt, kind: 'connect', id: s.id });
    for (const p of m.pages) {
      if (p.node !== node) continue;
      steps.push({ seq: p.requestSeq, t: p.requestAt, kind: 'page', id: p.id });
      if (p.status === 401 && p.responseSeq !== undefined) steps.push({ seq: p.responseSeq, t: p.responseAt!, kind: 'refused', id: p.id });
    }
    for (const r of m.restarts) if (r.node === node) steps.push({ seq: r.seq, t: r.t, kind: 'restart', id: node });
    steps.sort((a, b) => a.seq - b.seq);
    let refused: Step | undefined;
    let asked = false; // a sync action since the last stream connect (or, once refused, since the 401)
    for (const s of steps) {
      if (s.kind === 'sync') asked = true;
      else if (s.kind === 'restart') {
        refused = undefined;
        asked = false;
      } else if (s.kind === 'refused') {
        checked++;
        refused = s;
      } else if (refused) {
        if (asked) refused = undefined;
        else {
          v.push({
            at: s.t,
            seq: s.seq,
            text: `page ${refused.id} was answered 401 at ${fmtTime(refused.t)}, yet ${node} ${s.kind === 'page' ? `asked for page ${s.id}` : `connected ${s.id}`} at ${fmtTime(s.t)} with the same token, though the user had not synced again: a refused token is not retried`,
          });
          refused = undefined;
        }
        if (s.kind === 'connect') asked = false;
      } else if (s.kind === 'connect') asked = false;
    }
  }
  return verdict(v, checked > 0, `no request followed ${plural(checked, '401')} until the user synced again`, 'no page was answered 401');
});
