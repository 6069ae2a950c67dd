/**
 * CHAT-6: two consecutive polls of one loop (see poll-gaps) start at least
 * `0.9 × 2 s − T` apart: 2 s is the fastest interval any one loop may use (the adaptive
 * schedule's), less 10 % of jitter. Decision: a poll that overtakes a slow one still in
 * flight is not judged by itself — a timer-driven loop may do that — only the spacing of
 * starts, which is what a second loop shows.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { chatTiming } from '../wire.js';
import { fmtDuration, fmtTime, guarded, plural, req } from './evidence.js';
import { pollGaps } from './poll-gaps.js';

/** The CHAT-6 checker. */
export const checkOnePollingLoop = guarded((m) => {
  const v: Violation[] = [];
  const minGap = (1 - chatTiming.jitter) * chatTiming.adaptive.fast - m.T;
  const gaps = pollGaps(m);
  for (const { prev, next, gap } of gaps) {
    if (gap >= minGap) continue;
    v.push({
      at: next.requestAt,
      seq: next.requestSeq,
      text: `poll ${req(next)} at ${fmtTime(next.requestAt)} started only ${fmtDuration(gap)} after poll ${prev.id} at ${fmtTime(prev.requestAt)} (at least 0.9 × 2 s − T = ${fmtDuration(minGap)} expected): two polling loops`,
      // The two polls as intervals (start to response or failure), so a report can draw the overlap.
      marks: [prev, next].map((r) => ({
        kind: 'interval' as const,
        start: r.requestAt,
        ...(Number.isFinite(r.endAt) ? { end: r.endAt } : {}),
        label: `poll ${r.id}`,
        id: r.id,
        node: r.node,
      })),
    });
  }
  return verdict(
    v,
    gaps.length > 0,
    `${plural(gaps.length, 'pair')} of consecutive polls, each at least 0.9 × 2 s − T (${fmtDuration(minGap)}) apart`,
    'no conversation was polled twice in a row',
  );
});
