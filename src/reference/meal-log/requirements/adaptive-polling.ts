import { verdict, type Violation } from '../../../conformance/checker-kit.js';
import { fmtDuration, fmtTime } from '../../../conformance/trace-query.js';
import { mealLogLimits } from './limits.js';
import { disturbance, guarded, incarnationOf, plural, type MealRequest, type Model } from './model.js';

/** Where a client may be in its adaptive polling: interval, unchanged polls so far (capped), and its growth threshold. */
interface PollState {
  interval: number;
  unchanged: number;
  threshold: number;
}

const key = (s: PollState): string => `${s.interval}/${s.unchanged}/${s.threshold}`;
const cap = Math.max(...mealLogLimits.unchangedBeforeGrowth);

function dedupe(list: readonly PollState[]): PollState[] {
  const seen = new Map<string, PollState>();
  for (const s of list) seen.set(key(s), s);
  return [...seen.values()];
}

/** The states a polling run starts in: 5 s, nothing unchanged yet, either reading of the document's `> 3`. */
const initial = (): PollState[] =>
  mealLogLimits.unchangedBeforeGrowth.map((threshold) => ({ interval: mealLogLimits.pollInterval, unchanged: 0, threshold }));

/** Every state adaptive polling can reach: after a gap that could not be judged, the client may be in any of them. */
function anyState(): PollState[] {
  const ladder: number[] = [];
  for (let i: number = mealLogLimits.pollInterval; ; i = Math.min(i * mealLogLimits.pollGrowth, mealLogLimits.pollMax)) {
    ladder.push(i);
    if (i >= mealLogLimits.pollMax) break;
  }
  const out: PollState[] = [];
  for (const interval of ladder)
    for (let unchanged = 0; unchanged <= cap; unchanged++)
      for (const threshold of mealLogLimits.unchangedBeforeGrowth) out.push({ interval, unchanged, threshold });
  return out;
}

/**
 * The states after one poll: a poll that made a meal final resets the count (and the
 * interval to 5 s — or keeps it, as the document's code never lowers it); one that changed
 * nothing counts, and from the threshold on grows the interval ×1.5 up to 30 s. A poll
 * whose effect is uncertain (it failed, it only showed a new meal, or a duplicated request
 * gave two answers) may have counted either way or not at all.
 */
function after(states: readonly PollState[], effect: 'changed' | 'none' | 'uncertain'): PollState[] {
  const out: PollState[] = [];
  for (const s of states) {
    const changed = [
      { ...s, interval: mealLogLimits.pollInterval, unchanged: 0 },
      { ...s, unchanged: 0 },
    ];
    const unchanged = Math.min(s.unchanged + 1, cap);
    const none = {
      ...s,
      unchanged,
      interval: s.unchanged + 1 >= s.threshold ? Math.min(s.interval * mealLogLimits.pollGrowth, mealLogLimits.pollMax) : s.interval,
    };
    if (effect === 'changed') out.push(...changed);
    else if (effect === 'none') out.push(none);
    else out.push(...changed, none, s);
  }
  return dedupe(out);
}

/**
 * MEAL-8 (SHOULD): consecutive polls of one polling run (same incarnation, no socket
 * verified between them, the client knowing of a meal processing throughout) are spaced
 * by the adaptive interval: the next starts no sooner than the interval − T after the
 * previous one started, and no later than the interval + T after it ended (a loop that
 * sleeps after each poll and a timer-driven one both fit). Only pairs with no other
 * listing GET and no disturbance between them are judged; after any other pair — and at
 * the start of a run that a load preceded — the client may be in any state of the
 * adaptive ladder. "Changed" means the poll's answer made a meal final (the server's
 * answer, not the client's view).
 */
export const checkAdaptivePolling = guarded((m) => {
  const v: Violation[] = [];
  let judged = 0;
  for (const node of m.nodes) {
    const polls = m.polls.filter((p) => p.node === node).sort((a, b) => a.requestSeq - b.requestSeq);
    const gets = m.gets.filter((g) => g.node === node);
    let states = initial();
    for (let i = 0; i < polls.length; i++) {
      const p = polls[i]!;
      const prev = polls[i - 1];
      if (!prev || !sameRun(m, node, prev, p)) {
        // A load earlier in the same run (the first poll after a failed load counts as its retry) may have been a poll to the client.
        const earlier = [...gets].reverse().find((g) => g.requestSeq < p.requestSeq);
        states = earlier && sameRun(m, node, earlier, p) ? anyState() : initial();
      } else if (
        prev.endAt === Infinity ||
        gets.some((g) => g.requestSeq > prev.requestSeq && g.requestSeq < p.requestSeq) ||
        disturbance(m, node, prev.requestAt, p.requestAt) !== undefined
      ) {
        states = anyState();
      } else {
        judged++;
        const fromEnd = p.requestAt - prev.endAt;
        const fromStart = p.requestAt - prev.requestAt;
        // A loop that sleeps after each poll, and a timer that fires an interval after each poll started, are both fine.
        const fits = (s: PollState): boolean => fromStart >= s.interval - m.T && fromEnd <= s.interval + m.T;
        const consistent = states.filter(fits);
        if (consistent.length === 0) {
          const expected = [...new Set(states.map((s) => s.interval))]
            .sort((a, b) => a - b)
            .map(fmtDuration)
            .join(' or ');
          v.push({
            at: p.requestAt,
            seq: p.requestSeq,
            text: `${node} polled at ${fmtTime(p.requestAt)}, ${fmtDuration(fromStart)} after the previous poll started and ${fmtDuration(fromEnd)} after it ended; the adaptive interval was ${expected} (due no sooner than that − ${fmtDuration(m.T)} after the previous poll's start, no later than that + ${fmtDuration(m.T)} after its end)`,
          });
          states = anyState();
        } else states = consistent;
      }
      states = after(states, effectOf(m, p));
    }
  }
  return verdict(
    v,
    judged > 0,
    `${plural(judged, 'consecutive poll pair')} spaced by the adaptive interval`,
    'no two consecutive polls of one polling run with nothing between them',
  );
});

function effectOf(m: Model, p: MealRequest): 'changed' | 'none' | 'uncertain' {
  const e = m.knowledge.effect(p.id);
  return e === 'changed' ? 'changed' : e === 'none' ? 'none' : 'uncertain';
}

/** Two polls belong to one polling run: same incarnation, no socket verified at any moment between them, a meal known processing from the first one's start to the second one's. */
function sameRun(m: Model, node: string, a: MealRequest, b: MealRequest): boolean {
  if (incarnationOf(m, node, a.requestSeq) !== incarnationOf(m, node, b.requestSeq)) return false;
  if (m.sockets.some((s) => s.node === node && s.verifiedSeq !== undefined && s.verifiedSeq < b.requestSeq && s.endSeq > a.requestSeq))
    return false;
  const busy = (k: { processing: number; maybe: number }): boolean => k.processing + k.maybe > 0;
  if (!busy(m.knowledge.at(node, a.requestSeq))) return false;
  return m.knowledge.between(node, a.requestSeq, b.requestSeq).every(busy);
}
