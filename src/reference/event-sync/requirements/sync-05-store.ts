import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import type { Issued, Snap, StoreView } from './model.js';
import { contractViolations, guarded, plural, sameCursor, sameStore, settles, show, snapsOf } from './query.js';

/**
 * SYNC-5: whenever a sync is over for the client, its store holds exactly the valid
 * events at or before the checkpoint: its count and digest equal those the server
 * logged when it issued that checkpoint. Judged where the client settled each sync
 * whose final reached it (against that final), and at every snapshot where the saved
 * checkpoint moves to a final it received (against that one: a checkpoint is never
 * ahead of the store).
 */
export const checkStoreExact = guarded((m) => {
  const v: Violation[] = contractViolations(m, 'SYNC-5', ['store']);
  let checked = 0;
  const judged = new Set<string>();
  const judge = (node: string, snap: Snap, checkpoint: string | null, want: Issued, when: string): void => {
    const key = `${snap.seq}|${checkpoint ?? ''}`;
    if (judged.has(key) || !snap.store) return;
    judged.add(key);
    checked++;
    if (sameStore(snap.store, want)) return;
    v.push({
      at: snap.t,
      seq: snap.seq,
      text: `${when}, ${node}'s store held ${storeText(snap.store)} where the server's valid events up to ${show(checkpoint)} are ${want.count} (digest ${want.digestText}): ${difference(snap.store, want)}`,
    });
  };
  for (const node of m.nodes) {
    for (const { final, snap, declared } of settles(m, node)) {
      const want = m.issued.get(final.checkpoint ?? '');
      if (!snap || !want) continue;
      judge(
        node,
        snap,
        final.checkpoint,
        want,
        declared
          ? `after the sync that completed at ${fmtTime(snap.t)} with checkpoint ${show(final.checkpoint)}`
          : `after the sync that ended at ${fmtTime(final.t)} with checkpoint ${show(final.checkpoint)} (judged at ${fmtTime(snap.t)}, before the client's next step)`,
      );
    }
    let prev: Snap | undefined;
    for (const s of snapsOf(m, node)) {
      const moved =
        prev &&
        prev.incarnation === s.incarnation &&
        prev.checkpoint !== undefined &&
        s.checkpoint &&
        !sameCursor(prev.checkpoint, s.checkpoint);
      prev = s;
      if (!moved) continue;
      const final = m.finals.find(
        (f) => f.node === node && f.seq < s.seq && f.checkpoint !== null && sameCursor(f.checkpoint, s.checkpoint),
      );
      const want = final ? m.issued.get(final.checkpoint ?? '') : undefined;
      if (final && want) judge(node, s, final.checkpoint, want, `when it saved the checkpoint ${s.checkpoint} at ${fmtTime(s.t)}`);
    }
  }
  return verdict(
    v,
    checked > 0,
    `after each of ${plural(checked, 'completion')} the store held exactly the server's valid events up to the checkpoint`,
    'no sync completed',
  );
});

function storeText(s: StoreView): string {
  return `${s.count} events (digest ${s.digestText})`;
}

function difference(have: StoreView, want: Issued): string {
  const diff = have.count - want.count;
  return diff > 0
    ? `${diff} more than the server has (duplicates or invalid events stored)`
    : diff < 0
      ? `${-diff} missing (lost at a batch, page or equal-timestamp boundary?)`
      : 'the same number but different events';
}
