import { describe, expect, it } from 'vitest';
import { changeLine, snapshotChanges, snapshotSummary } from '../../src/conformance/reporters/html-diff.js';
import { foldRepeats } from '../../src/conformance/reporters/html-fold.js';
import { elideAfterMs, layoutTimeline, rowPx } from '../../src/conformance/reporters/html-layout.js';
import { traceIntervals } from '../../src/conformance/reporters/html-intervals.js';
import { headline } from '../../src/conformance/reporters/html.js';
import type { TimelineStep } from '../../src/conformance/reporters/html-timeline.js';
import type { JsonReport } from '../../src/conformance/reporters/index.js';
import type { TraceEvent } from '../../src/sim/trace.js';

describe('snapshot diffs', () => {
  it('names what changed, matching list items by id', () => {
    const before = { connection: 'open', messages: [{ id: 'm1', content: 'a' }, { id: 'm2', content: 'b' }], outbox: 0 };
    const after = { connection: 'closed', messages: [{ id: 'm1', content: 'a' }, { id: 'm3', content: 'c' }, { id: 'm2', content: 'B' }], outbox: 0 };
    expect(snapshotChanges(before, after).map((c) => changeLine(c))).toEqual([
      'connection: "open" → "closed"',
      '+ messages[m3]: {"id":"m3","content":"c"}',
      'messages[m2].content: "b" → "B"',
    ]);
    expect(snapshotSummary(before, before)).toBe('shows the same state again');
    expect(snapshotSummary(undefined, { a: 1 })).toBe('shows {"a":1}');
  });
});

describe('folding repeated traffic', () => {
  const step = (seq: number, label: string, kind: TimelineStep['kind'] = 'frame'): TimelineStep => ({ t: seq * 1000, seq, ev: 'ws.send', from: 'c1', to: 'server', kind, label });
  it('keeps the first of a repeated pair and folds the rest into one row, never the violation', () => {
    const steps = Array.from({ length: 10 }, (_, i) => step(i, i % 2 ? `#${i} pong` : `#${i} ping`));
    const out = foldRepeats(steps);
    expect(out.map((s) => s.ev)).toEqual(['ws.send', 'ws.send', 'fold']);
    expect(out[2]!.folded).toEqual({ count: 8, until: 9000 });
    const kept = foldRepeats(steps, 5);
    expect(kept.some((s) => s.seq === 5)).toBe(true);
  });
  it('never folds state changes', () => {
    const steps = Array.from({ length: 6 }, (_, i) => step(i, 'shows x', 'state'));
    expect(foldRepeats(steps)).toHaveLength(6);
  });
});

describe('the time scale', () => {
  it('spaces rows by virtual time and cuts out long idle stretches', () => {
    const s = (t: number, seq: number): TimelineStep => ({ t, seq, ev: 'x', from: 'c1', kind: 'info', label: '' });
    const l = layoutTimeline([s(0, 0), s(0, 1), s(1000, 2), s(1000 + elideAfterMs + 60_000, 3)]);
    expect(l.rowTop[1]! - l.rowTop[0]!).toBe(rowPx);
    expect(l.rowTop[2]! - l.rowTop[1]!).toBeGreaterThan(rowPx);
    expect(l.gaps).toHaveLength(1);
    expect(l.gaps[0]!.ms).toBe(elideAfterMs + 60_000);
    expect(l.y(500)).toBeGreaterThan(l.y(0));
  });
});

describe('requests and sockets as intervals', () => {
  it('runs from request to response, from connect to the client-side close', () => {
    const e = (t: number, ev: string, f: Record<string, unknown>): TraceEvent => ({ t, seq: t, ev, ...f }) as TraceEvent;
    const bars = traceIntervals([
      e(1, 'http.request', { id: 'c1/http#1', node: 'c1', method: 'GET', url: '/m' }),
      e(2, 'ws.connect', { id: 'c1/ws#1', node: 'c1', url: 'ws://x' }),
      e(5, 'http.response', { id: 'c1/http#1', status: 200 }),
      e(7, 'ws.close', { id: 'c1/ws#1', side: 'server', code: 1006 }),
      e(8, 'ws.close', { id: 'c1/ws#1', side: 'client', code: 1006 }),
      e(9, 'http.request', { id: 'c1/http#2', node: 'c1', method: 'GET', url: '/m' }),
    ]);
    expect(bars.map((b) => [b.id, b.kind, b.start, b.end])).toEqual([
      ['c1/http#1', 'request', 1, 5],
      ['c1/ws#1', 'socket', 2, 8],
      ['c1/http#2', 'request', 9, undefined],
    ]);
  });
});

describe('the headline', () => {
  const client = (verdicts: string[], exitCode: 0 | 1 | 3, inconclusive: string[] = []) =>
    ({
      exitCode,
      inconclusive,
      requirements: verdicts.map((v, i) => ({ id: `R-${i}`, verdict: v, subject: 'client' })),
    }) as unknown as JsonReport['clients'][number];
  it('counts failed requirements, not clients or runs', () => {
    const r = { clients: [client(['fail', 'fail', 'pass'], 1)] } as JsonReport;
    expect(headline(r).text).toBe('2 requirements failed · 1 client failing');
    const two = { clients: [client(['fail', 'non-strict'], 1), client(['pass', 'not-exercised'], 3, ['R-1'])] } as JsonReport;
    expect(headline(two).text).toBe('1 requirement failed · 1 requirement non-strict · 1 client failing · 1 client inconclusive');
    expect(headline({ clients: [client(['pass'], 0)] } as JsonReport).text).toBe('1 client passing');
  });
});
