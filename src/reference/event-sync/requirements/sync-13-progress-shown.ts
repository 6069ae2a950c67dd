import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { contractViolations, guarded, incarnationAt, plural, settles, snapsOf, timersDisturbed } from './query.js';

/**
 * SYNC-13: progress is shown while a sync runs, not only at its end: for every sync the
 * client settled in which some non-empty delivery left more events announced (a batch
 * that was not the last, a page with `hasMore`; same app launch, after the previous
 * final), some snapshot after that delivery and before the settling one shows a
 * progress with 0 < processed < total. Not judged when the app was in the background
 * meanwhile (nobody sees it; a throttled client may catch up in one burst).
 */
export const checkProgressShown = guarded((m) => {
  const v: Violation[] = contractViolations(m, 'SYNC-13', ['progress']);
  let checked = 0;
  for (const node of m.nodes) {
    let prevFinalSeq = -1;
    for (const { final, snap } of settles(m, node)) {
      const from = prevFinalSeq;
      prevFinalSeq = final.seq;
      if (!snap) continue;
      const inc = incarnationAt(m, node, final.seq);
      const first = m.deliveries.find(
        (d) => d.node === node && d.seq > from && d.seq < final.seq && d.count > 0 && d.more && incarnationAt(m, node, d.seq) === inc,
      );
      if (!first || timersDisturbed(m, node, first.t, snap.t)) continue;
      checked++;
      const shown = snapsOf(m, node).some(
        (s) =>
          s.seq > first.seq &&
          s.seq < snap.seq &&
          s.incarnation === inc &&
          s.progress &&
          s.progress.processed > 0 &&
          s.progress.processed < s.progress.total,
      );
      if (!shown)
        v.push({
          at: snap.t,
          seq: snap.seq,
          text: `during the sync that ended at ${fmtTime(final.t)}, ${first.what} at ${fmtTime(first.t)} brought ${plural(first.count, 'event')} with more announced, but ${node} never showed a progress between 0 and its total before it finished at ${fmtTime(snap.t)}: progress is shown while the sync runs`,
        });
    }
  }
  return verdict(
    v,
    checked > 0,
    `${plural(checked, 'sync')} in several parts showed progress while running`,
    'no sync delivered events with more announced',
  );
});
