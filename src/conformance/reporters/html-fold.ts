/**
 * Folding of repeated traffic in a failure's timeline: after a violation a healthy client
 * goes on with ping/pong or polling for minutes, and those rows would push everything
 * else out of the window. A block of one to four steps repeated at least three times in a
 * row keeps its first occurrence and becomes one row saying how many repeats followed.
 */
import type { TimelineStep } from './html-timeline.js';

/** Steps that may be folded: traffic and notes, never state changes, actions, faults or errors. */
const foldable = new Set(['request', 'response', 'frame', 'info']);

/** What makes two steps "the same" for folding: kind, lanes and label with numbers and ids erased. */
const signature = (s: TimelineStep): string => `${s.ev}|${s.from}|${s.to ?? ''}|${s.label.replace(/\d+(\.\d+)?/g, '#')}`;

/** Fewest repeats of a block that get folded. */
export const foldMinRepeats = 3;
/** Longest block (in steps) looked for. */
export const foldMaxBlock = 4;

/** The steps with runs of repeated blocks folded; the step `keep` (the violation) is never folded. */
export function foldRepeats(steps: readonly TimelineStep[], keep?: number): TimelineStep[] {
  const sig = steps.map((s) => (foldable.has(s.kind) && s.seq !== keep && !s.lost ? signature(s) : undefined));
  const out: TimelineStep[] = [];
  let i = 0;
  while (i < steps.length) {
    let best: { p: number; r: number } | undefined;
    for (let p = 1; p <= foldMaxBlock && i + p * foldMinRepeats <= steps.length; p++) {
      const block = sig.slice(i, i + p);
      if (block.some((x) => x === undefined)) break;
      let r = 1;
      while (i + (r + 1) * p <= steps.length && block.every((x, k) => sig[i + r * p + k] === x)) r++;
      if (r >= foldMinRepeats && (!best || r * p > best.r * best.p)) best = { p, r };
    }
    if (!best) {
      out.push(steps[i]!);
      i++;
      continue;
    }
    const { p, r } = best;
    out.push(...steps.slice(i, i + p));
    const rest = steps.slice(i + p, i + r * p);
    const first = rest[0]!;
    const last = rest[rest.length - 1]!;
    const what = steps
      .slice(i, i + p)
      .map((s) => s.label.replace(/\s*\(c\d+\/[^)]*\)$/, ''))
      .join(' · ');
    out.push({
      t: first.t,
      seq: first.seq,
      ev: 'fold',
      from: first.from,
      kind: 'info',
      label: `⋯ the same ${p === 1 ? 'step' : `${p} steps`} ${r - 1} more time${r - 1 === 1 ? '' : 's'} until ${(last.t / 1000).toFixed(3)} s (${what})`,
      folded: { count: rest.length, until: last.t },
    });
    i += r * p;
  }
  return out;
}
