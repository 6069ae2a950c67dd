import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtTime } from '../../../conformance/trace-query.js';
import { guarded } from './query.js';

/**
 * SYNC-7: one sync at a time: a node never runs two streams at once (connecting or
 * open, not yet completed), nor has two page requests in flight at once (one ending in
 * the very instant the other starts does not overlap it).
 */
export const checkOneSync = guarded((m) => {
  const v: Violation[] = [];
  let checked = 0;
  for (const node of m.nodes) {
    const socks = m.streams.filter((s) => s.node === node);
    for (let i = 0; i < socks.length; i++) {
      checked++;
      const s = socks[i]!;
      const other = socks
        .slice(0, i)
        .find((o) => o.connectSeq < s.connectSeq && s.connectSeq < o.activeEndSeq && o.activeEndAt > s.connectAt);
      if (other)
        v.push({
          at: s.connectAt,
          seq: s.connectSeq,
          text: `${node} connected a second stream ${s.id} at ${fmtTime(s.connectAt)} while ${other.id} (connected at ${fmtTime(other.connectAt)}) was still running: one sync at a time`,
        });
    }
    const pages = m.pages.filter((p) => p.node === node);
    for (let i = 0; i < pages.length; i++) {
      checked++;
      const p = pages[i]!;
      const other = pages.slice(0, i).find((o) => o.requestSeq < p.requestSeq && p.requestSeq < o.endSeq && o.endAt > p.requestAt);
      if (other)
        v.push({
          at: p.requestAt,
          seq: p.requestSeq,
          text: `${node} started page request ${p.id} at ${fmtTime(p.requestAt)} while ${other.id} (started at ${fmtTime(other.requestAt)}) was in flight: one sync at a time`,
        });
    }
  }
  return verdict(v, checked > 0, 'streams and page requests never overlapped', 'no sync ran');
});
