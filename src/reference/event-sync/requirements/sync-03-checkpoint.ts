import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import type { Final, Snap } from './model.js';
import { cmp, contractViolations, guarded, sameCursor, settles, show, snapsOf, storageFailedAcross } from './query.js';

/**
 * SYNC-3: the saved checkpoint changes only to a checkpoint the server had already
 * handed out as final to that client (`sync.stream.complete.newCheckpoint`, or the
 * `nextCursor` of a last REST page) — never to a batch's or a page's position — never
 * goes backwards and is never lost (also across an app restart); once the client has
 * settled a sync whose final checkpoint reached it, the saved checkpoint is that one
 * (or, never backwards, a later one). Across an app restart after a storage failure (a
 * write refused in the launch that ended, or the storage lost at the restart), the
 * relaunched app may show an earlier checkpoint it had received, or `null`.
 */
export const checkCheckpointSaved = guarded((m) => {
  const v: Violation[] = contractViolations(m, 'SYNC-3', ['checkpoint']);
  let checked = 0;
  for (const node of m.nodes) {
    const finals = m.finals.filter((f) => f.node === node);
    let prevCp: string | null | undefined;
    let prevSnap: Snap | undefined;
    let fi = 0;
    const received: Final[] = [];
    for (const s of snapsOf(m, node)) {
      while (fi < finals.length && finals[fi]!.seq < s.seq) received.push(finals[fi++]!);
      const cp = s.checkpoint;
      if (cp === undefined) continue;
      if (prevCp !== undefined && !sameCursor(cp, prevCp)) {
        checked++;
        const lastFinal = received[received.length - 1];
        // Storage that refused writes or was wiped may give the relaunched app an earlier checkpoint, or none.
        const storageFailed = prevSnap !== undefined && prevSnap.incarnation !== s.incarnation && storageFailedAcross(m, node, prevSnap.incarnation, s.seq);
        if (cp === null && storageFailed) {
          // what storage never kept, or lost, is gone: the client starts over
        } else if (cp === null)
          v.push({
            at: s.t,
            seq: s.seq,
            text: `${node}'s saved checkpoint ${prevCp} was lost at ${fmtTime(s.t)}${prevSnap && prevSnap.incarnation !== s.incarnation ? ' (across the app restart)' : ''}`,
          });
        else if (!received.some((f) => f.checkpoint !== null && sameCursor(f.checkpoint, cp)))
          v.push({
            at: s.t,
            seq: s.seq,
            text: `${node} saved the checkpoint ${cp} at ${fmtTime(s.t)} before any sync had completed with it (the last final checkpoint it received was ${lastFinal ? `${show(lastFinal.checkpoint)} from ${lastFinal.via} at ${fmtTime(lastFinal.t)}` : 'none'}): a checkpoint is saved only on completion`,
          });
        else if (prevCp !== null && !storageFailed && (cmp(cp, prevCp) ?? 0) < 0)
          v.push({ at: s.t, seq: s.seq, text: `${node}'s saved checkpoint went backwards at ${fmtTime(s.t)}: from ${prevCp} to ${cp}` });
      }
      prevCp = cp;
      prevSnap = s;
    }
    for (const { final, snap, declared } of settles(m, node)) {
      if (!snap || snap.checkpoint === undefined || final.checkpoint === null) continue;
      checked++;
      const cp = snap.checkpoint;
      if (cp !== null && (cmp(final.checkpoint, cp) ?? 1) <= 0) continue;
      v.push({
        at: snap.t,
        seq: snap.seq,
        text: `${declared ? `${node} completed a sync at ${fmtTime(snap.t)}` : `${node} had finished the sync that ended at ${fmtTime(final.t)} (by ${fmtTime(snap.t)})`} with the checkpoint ${show(cp)}, but the server's final checkpoint was ${final.checkpoint} (${final.via} at ${fmtTime(final.t)})`,
      });
    }
  }
  return verdict(
    v,
    checked > 0,
    `the checkpoint changed only on completion, to the server's final checkpoint, never backwards (${checked} changes and completions)`,
    'no checkpoint was saved',
  );
});
