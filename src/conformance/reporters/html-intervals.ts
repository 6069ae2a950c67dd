/**
 * Requests and sockets as intervals (Jepsen's timeline: one bar per operation, from
 * invocation to completion, on its process's lane): an HTTP request lives from
 * `http.request` until the client got its answer or gave up; a socket from `ws.connect`
 * until the client saw it close or fail.
 */
import type { TraceEvent } from '../../sim/trace.js';
import type { TimelineWindow } from './html-timeline.js';

/** One bar of {@link TimelineWindow.bars}. */
type Bar = NonNullable<TimelineWindow['bars']>[number];

const requestEnds = new Set(['http.response', 'http.fail', 'http.lost', 'http.discard', 'http.refused']);

/** Every request and socket of the trace, in order of start. */
export function traceIntervals(events: readonly TraceEvent[]): Bar[] {
  const open = new Map<string, Bar>();
  const out: Bar[] = [];
  for (const e of events) {
    const f = e as Record<string, unknown>;
    const id = typeof f.id === 'string' ? f.id : undefined;
    if (!id) continue;
    const node = typeof f.node === 'string' ? f.node : id.includes('/') ? id.slice(0, id.indexOf('/')) : 'c1';
    if (e.ev === 'http.request' || e.ev === 'ws.connect') {
      const kind = e.ev === 'http.request' ? 'request' : 'socket';
      const what = kind === 'request' ? `${String(f.method ?? '')} ${String(f.url ?? '')}` : String(f.url ?? '');
      const bar: Bar = { lane: node, id, kind, start: e.t, label: `${id} ${what}`.trim() };
      open.set(id, bar);
      out.push(bar);
      continue;
    }
    const bar = open.get(id);
    if (!bar || bar.end !== undefined) continue;
    const ends = bar.kind === 'request' ? requestEnds.has(e.ev) : (e.ev === 'ws.close' && f.side !== 'server') || e.ev === 'ws.fail';
    if (ends) {
      bar.end = e.t;
      bar.label += ` (${e.ev}${f.status !== undefined ? ` ${String(f.status)}` : f.code !== undefined ? ` ${String(f.code)}` : ''} at ${(e.t / 1000).toFixed(3)} s)`;
    }
  }
  return out;
}
