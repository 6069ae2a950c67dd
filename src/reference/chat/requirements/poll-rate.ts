/**
 * CHAT-17: two consecutive polls of one loop (see poll-gaps) start at least
 * `0.9 × 3 s − T` apart — the documents' polling interval, less 10 % of jitter — unless
 * the user sent a message (with a conversation open) between `prev − 30 s − T` and
 * `next`: then the adaptive schedule's fast interval applies, and CHAT-6 bounds it.
 */
import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { chatTiming } from '../wire.js';
import { fmtDuration, fmtTime, guarded, plural, req } from './evidence.js';
import { pollGaps, sendTimes } from './poll-gaps.js';

/** The CHAT-17 checker. */
export const checkPollRate = guarded((m) => {
  const v: Violation[] = [];
  const minGap = (1 - chatTiming.jitter) * chatTiming.basePollInterval - m.T;
  const fastWindow = chatTiming.adaptive.fastWindow + m.T;
  let judged = 0;
  const sends = new Map<string, number[]>();
  for (const { session, prev, next, gap } of pollGaps(m)) {
    if (!sends.has(session.node)) sends.set(session.node, sendTimes(m, session.node));
    if (sends.get(session.node)!.some((t) => t >= prev.requestAt - fastWindow && t <= next.requestAt)) continue;
    judged++;
    if (gap >= minGap) continue;
    v.push({
      at: next.requestAt,
      seq: next.requestSeq,
      text: `poll ${req(next)} at ${fmtTime(next.requestAt)} started only ${fmtDuration(gap)} after poll ${prev.id} at ${fmtTime(prev.requestAt)}, with no message sent within 30 s: at least 0.9 × 3 s − T = ${fmtDuration(minGap)} expected`,
    });
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'pair')} of consecutive polls outside the 30 s after a send, each at least 0.9 × 3 s − T (${fmtDuration(minGap)}) apart`,
    'no conversation was polled twice in a row outside the 30 s after a send',
  );
});
