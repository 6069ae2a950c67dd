import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { contractViolations, guarded, incarnationAt, plural, sameStore, settles, show, snapBefore, snapsOf } from './query.js';

/**
 * SYNC-10: events applied before a stream failure are neither lost nor applied twice by
 * the fallback: from the failure until the client settled the next sync that ended (its
 * final reached the client, same app launch) the store never shrinks, and there it holds
 * exactly the server's valid events up to that final checkpoint.
 */
export const checkFallbackKeepsApplied = guarded((m) => {
  const v: Violation[] = contractViolations(m, 'SYNC-10', ['store']);
  let checked = 0;
  for (const s of m.streams) {
    const f = s.failure;
    if (!f || s.deliveries.length === 0) continue;
    const fromSeq = Number.isFinite(f.seq) ? f.seq : s.endSeq;
    if (!s.deliveries.some((d) => d.seq < fromSeq)) continue;
    const start = snapBefore(m, s.node, fromSeq);
    if (!start) continue;
    const inc = incarnationAt(m, s.node, fromSeq);
    const done = settles(m, s.node).find((x) => x.final.seq > fromSeq && incarnationAt(m, s.node, x.final.seq) === inc);
    if (!done?.snap) continue;
    checked++;
    let prev = start;
    for (const x of snapsOf(m, s.node)) {
      if (x.seq <= start.seq || x.seq > done.snap.seq) continue;
      if (prev.store && x.store && x.store.count < prev.store.count) {
        v.push({
          at: x.t,
          seq: x.seq,
          text: `after ${f.text}, ${s.node}'s store shrank from ${prev.store.count} to ${x.store.count} events at ${fmtTime(x.t)}: events applied before the failure were lost`,
        });
        break;
      }
      prev = x;
    }
    const want = m.issued.get(done.final.checkpoint ?? '');
    const have = done.snap.store;
    if (!want || !have || sameStore(have, want)) continue;
    const diff = have.count - want.count;
    v.push({
      at: done.snap.t,
      seq: done.snap.seq,
      text: `after ${f.text}, the fallback ended at ${fmtTime(done.final.t)} with ${have.count} events in the store where the server's valid events up to ${show(done.final.checkpoint)} are ${want.count}: ${diff > 0 ? `${diff} applied twice` : diff < 0 ? `${-diff} lost` : `different events (digest ${have.digestText} vs ${want.digestText})`}`,
    });
  }
  return verdict(
    v,
    checked > 0,
    `${plural(checked, 'fallback')} after a mid-stream failure kept every applied event exactly once`,
    'no fallback after a mid-stream failure completed',
  );
});
