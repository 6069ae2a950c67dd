import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import type { Snap } from './model.js';
import { contractViolations, guarded, settles, snapsOf, syncEpoch, syncStarts } from './query.js';

/**
 * SYNC-2: within one sync `progress.processed` never decreases and never exceeds
 * `progress.total`; when the sync has ended (its final checkpoint reached the client)
 * and the client has settled it, processed equals total. Two snapshots belong to one
 * sync when they share the app incarnation, the `syncs` count and the sync the server's
 * side of the trace shows running (a sync ends with a final, a 401 or a restart).
 */
export const checkProgress = guarded((m) => {
  const v: Violation[] = contractViolations(m, 'SYNC-2', ['progress', 'syncs']);
  let checked = 0;
  for (const node of m.nodes) {
    const starts = syncStarts(m, node);
    let prev: Snap | undefined;
    for (const s of snapsOf(m, node)) {
      const p = s.progress;
      const same =
        prev !== undefined &&
        prev.incarnation === s.incarnation &&
        prev.syncs === s.syncs &&
        syncEpoch(starts, prev.seq) === syncEpoch(starts, s.seq);
      if (p) {
        checked++;
        if (p.processed > p.total)
          v.push({
            at: s.t,
            seq: s.seq,
            text: `${node} showed progress ${p.processed} of ${p.total} at ${fmtTime(s.t)}: processed above total`,
          });
        const pp = same ? prev!.progress : undefined;
        if (pp && p.processed < pp.processed)
          v.push({
            at: s.t,
            seq: s.seq,
            text: `${node}'s progress went back from ${pp.processed} of ${pp.total} to ${p.processed} of ${p.total} at ${fmtTime(s.t)} (sync ${s.syncs ?? '?'})`,
          });
      }
      prev = s;
    }
    for (const { final, snap } of settles(m, node)) {
      if (!snap) continue;
      checked++;
      const p = snap.progress;
      if (p && p.processed !== p.total)
        v.push({
          at: snap.t,
          seq: snap.seq,
          text: `${node} had finished the sync that ended with ${final.via} at ${fmtTime(final.t)}, but showed progress ${p.processed} of ${p.total} at ${fmtTime(snap.t)}: processed must equal total at completion`,
        });
    }
  }
  return verdict(
    v,
    checked > 0,
    `progress stayed monotonic and within its total, and equalled it at each completion (${checked} checks)`,
    'no progress was shown',
  );
});
