/**
 * Places a failure's timeline rows by virtual time: the space between two rows grows with
 * the time between them, up to {@link elideAfterMs}; a longer idle stretch is cut out and
 * marked, so minutes of silence cost one thin row instead of a screenful.
 */
import type { TimelineStep } from './html-timeline.js';

/** Height of one row, px. */
export const rowPx = 24;
/** Extra space per second between two rows, px. */
export const pxPerSecond = 18;
/** Gaps longer than this are elided (drawn as a marked cut). */
export const elideAfterMs = 4000;
/** Height of an elided-gap marker, px. */
export const gapPx = 20;

/** Where each row and each elided gap goes. */
export interface TimelineLayout {
  /** Top of each row, px, in the order of the steps. */
  rowTop: number[];
  /** Elided gaps: top, px, and the virtual time cut out, ms. */
  gaps: { top: number; ms: number }[];
  /** Total height, px. */
  height: number;
  /** The vertical position of a virtual time, px (interpolated between rows; clamped to the window). */
  y(t: number, edge?: 'start' | 'end'): number;
}

/** Lays out `steps` (in trace order) on a time scale. */
export function layoutTimeline(steps: readonly TimelineStep[]): TimelineLayout {
  const rowTop: number[] = [];
  const gaps: { top: number; ms: number }[] = [];
  // Points of the time → y map: (time, y) pairs in order.
  const points: { t: number; y: number }[] = [];
  let y = 4;
  let prevT: number | undefined;
  for (const s of steps) {
    if (prevT !== undefined) {
      const dt = s.t - prevT;
      if (dt > elideAfterMs) {
        gaps.push({ top: y, ms: dt });
        y += gapPx;
      } else y += (dt / 1000) * pxPerSecond;
    }
    rowTop.push(y);
    points.push({ t: s.t, y: y + 2 });
    const end = s.folded?.until ?? s.t;
    points.push({ t: end, y: y + rowPx - 2 });
    prevT = end;
    y += rowPx;
  }
  const height = y + 4;
  const map = (t: number, edge: 'start' | 'end' = 'start'): number => {
    if (points.length === 0) return 0;
    if (t < points[0]!.t) return 0;
    if (t > points[points.length - 1]!.t) return height;
    // The first point at `t` for a start, the last for an end; else interpolate.
    let lo = -1;
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      if (p.t === t) {
        if (edge === 'start') return p.y;
        lo = i;
      } else if (p.t > t) {
        if (lo >= 0) return points[lo]!.y;
        const a = points[i - 1]!;
        return a.y + ((p.y - a.y) * (t - a.t)) / (p.t - a.t || 1);
      }
    }
    return points[lo >= 0 ? lo : points.length - 1]!.y;
  };
  return { rowTop, gaps, height, y: map };
}
