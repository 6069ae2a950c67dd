/**
 * Draws a failure's timeline as HTML: lanes side by side (clients, network, server), rows
 * placed by virtual time ({@link layoutTimeline}), requests and sockets as bars beside
 * their lane, the checker's deadlines and intervals in red, elided idle stretches marked.
 */
import { layoutTimeline } from './html-layout.js';
import type { TimelineStep, TimelineWindow } from './html-timeline.js';
import { esc, secs } from './html-text.js';

/** Width of the time and seq columns, em: bars and marks are placed from it with `calc()`. */
const leftEm = 10;
const cols = (n: number): string => `grid-template-columns: 6.5em 3.5em repeat(${n}, 1fr)`;
/** The x of a lane's line (plus `dx` px), as CSS. */
const laneX = (i: number, n: number, dx = 0): string => `calc(${leftEm}em + (100% - ${leftEm}em) * ${(i + 0.5) / n} + ${dx}px)`;

function rowHtml(w: TimelineWindow, s: TimelineStep, top: number, lane: Map<string, number>): string {
  const n = w.lanes.length;
  const last = n - 1;
  const a = lane.get(s.from) ?? 0;
  const b = s.to === undefined ? a : (lane.get(s.to) ?? a);
  const hl = s.seq === w.highlight;
  const lanesBg = w.lanes.map((_, i) => `<div class="tl-lane" style="grid-column:${i + 3}"></div>`).join('');
  let mark: string;
  if (s.to !== undefined && a !== b) {
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    mark = `<div class="tl-arrow ${a < b ? 'right' : 'left'}${s.lost ? ' lost' : ''} k-${s.kind}" style="grid-column:${lo + 3} / ${hi + 4}"><span class="tl-label">${esc(s.label)}</span></div>`;
  } else {
    // A step on one lane: its label starts at the lane's line (ends there, on the last lane);
    // the violating step's label runs across the remaining lanes.
    const end = a === last;
    const start = end ? a + 2 : a + 3;
    const span = end ? 2 : hl ? last - a + 1 : 2;
    const pad = `${end ? 'padding-right' : 'padding-left'}:calc(50% / ${span})`;
    mark = `<div class="tl-dot${end ? ' end' : ''} k-${s.kind}" style="grid-column:${start} / span ${span};${pad}"><span class="tl-label">${esc(s.label)}</span></div>`;
  }
  const cls = `tl-row${hl ? ' violation' : ''}${s.folded ? ' folded' : ''}`;
  const title = s.folded ? s.label : `${s.ev} seq ${s.seq} at ${secs(s.t)}: ${s.label}`;
  return `<div class="${cls}" data-seq="${s.seq}" data-ev="${esc(s.ev)}" style="top:${top.toFixed(1)}px;${cols(n)}" title="${esc(title)}"><div class="tl-t">${esc(secs(s.t))}</div><div class="tl-seq">${s.seq}</div>${lanesBg}${mark}${hl ? '<div class="tl-flag">violation</div>' : ''}</div>`;
}

/** The timeline of one failure: a header of lane names over a scrollable, time-scaled canvas. */
export function renderTimeline(w: TimelineWindow): string {
  const lane = new Map(w.lanes.map((l, i) => [l, i]));
  const n = w.lanes.length;
  const layout = layoutTimeline(w.steps);
  const head = `<div class="tl-row tl-head" style="${cols(n)}"><div>time</div><div>seq</div>${w.lanes
    .map((l, i) => `<div class="tl-lane-name" style="grid-column:${i + 3}">${esc(l === 'network' || l === 'server' ? l : `client ${l}`)}</div>`)
    .join('')}</div>`;
  const rows = w.steps.map((s, i) => rowHtml(w, s, layout.rowTop[i]!, lane));
  const gaps = layout.gaps.map(
    (g) => `<div class="tl-gap" style="top:${g.top.toFixed(1)}px" title="nothing happened for ${esc(secs(g.ms))}">⋯ ${esc(secs(g.ms))} idle, cut out ⋯</div>`,
  );
  // Bars: each lane's concurrent requests and sockets take slots left of its line.
  const slots = new Map<string, number[]>();
  const bars = (w.bars ?? []).map((b) => {
    const y0 = layout.y(b.start, 'start');
    const y1 = b.end === undefined ? layout.height : layout.y(b.end, 'end');
    const ends = slots.get(b.lane) ?? [];
    let k = ends.findIndex((e) => e <= y0);
    if (k === -1) k = ends.length;
    ends[k] = y1 + 2;
    slots.set(b.lane, ends);
    const x = laneX(lane.get(b.lane) ?? 0, n, -10 - k * 7);
    return `<div class="tl-bar b-${b.kind}${b.end === undefined ? ' open' : ''}" data-id="${esc(b.id)}" style="left:${x};top:${y0.toFixed(1)}px;height:${Math.max(3, y1 - y0).toFixed(1)}px" title="${esc(b.label)}"></div>`;
  });
  // The checker's own marks: intervals as red bars right of the lane, deadlines as a line across.
  const marks = (w.marks ?? []).map((m, i) => {
    const li = lane.get(m.node ?? w.lanes[0]!) ?? 0;
    const y0 = layout.y(m.start, 'start');
    if (m.kind === 'deadline') {
      const y1 = m.end === undefined ? layout.height : layout.y(m.end, 'end');
      const past = m.end !== undefined && m.end > (w.steps[w.steps.length - 1]?.folded?.until ?? w.steps[w.steps.length - 1]?.t ?? 0);
      return `<div class="tl-mark-span" style="left:${laneX(li, n, 6)};top:${y0.toFixed(1)}px;height:${Math.max(3, y1 - y0).toFixed(1)}px" title="${esc(m.label)} from ${esc(secs(m.start))}"></div><div class="tl-deadline${past ? ' past-window' : ''}" data-mark="${i}" style="top:${y1.toFixed(1)}px"><span>deadline ${esc(m.label)}: ${esc(m.end === undefined ? 'none' : secs(m.end))}${m.id ? ` (${esc(m.id)})` : ''}</span></div>`;
    }
    const y1 = m.end === undefined ? layout.height : layout.y(m.end, 'end');
    return `<div class="tl-mark-bar" data-mark="${i}" style="left:${laneX(li, n, 8 + (i % 3) * 8)};top:${y0.toFixed(1)}px;height:${Math.max(4, y1 - y0).toFixed(1)}px" title="${esc(m.label)}: ${esc(secs(m.start))} – ${esc(m.end === undefined ? 'never ended' : secs(m.end))}"><span>${esc(m.label)}</span></div>`;
  });
  const before = w.omittedBefore ? `<div class="tl-omitted">… ${w.omittedBefore} earlier steps not shown</div>` : '';
  const after = w.omittedAfter ? `<div class="tl-omitted">… ${w.omittedAfter} later steps not shown</div>` : '';
  const legend = `<div class="tl-legend"><span class="lg b-request"></span> request (start → answer) <span class="lg b-socket"></span> socket (connect → close)${w.marks?.length ? ' <span class="lg mark"></span> the checker\'s interval / deadline' : ''} · rows placed by virtual time; idle stretches over ${esc(secs(4000))} cut out</div>`;
  return `${legend}<div class="timeline" role="figure" aria-label="sequence diagram, time-scaled">${head}${before}<div class="tl-canvas" style="height:${layout.height.toFixed(0)}px">${gaps.join('')}${bars.join('')}${rows.join('')}${marks.join('')}</div>${after}</div>`;
}
