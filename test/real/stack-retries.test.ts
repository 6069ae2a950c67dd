import { describe, expect, it } from 'vitest';
import { collapseStackRetries } from '../../src/real/stack-retries.js';
import type { TraceEvent } from '../../src/sim/trace.js';

// A WebSocket library's one silent retry of an upgrade the layer refused (java.net.http
// sends the handshake again when the connection ends unanswered) is the same attempt; a
// client that reconnects at once by itself is not excused.

let seq = 0;
const url = 'ws://127.0.0.1:1/api/v1/consultations/A/ws?token=***';
/** One upgrade attempt at `t`: connected, then refused by the layer (`status` 0) or opened. */
function attempt(n: number, t: number, refused = true): TraceEvent[] {
  const id = `c1/ws#${n}`;
  const ev = (at: number, name: string, f: Record<string, unknown>): TraceEvent => ({ t: at, seq: seq++, ev: name, ...f }) as TraceEvent;
  return refused
    ? [
        ev(t, 'ws.connect', { id, node: 'c1', url }),
        ev(t, 'ws.refuse', { id, status: 0 }),
        ev(t + 1, 'ws.fail', { id, reason: 'connection refused', status: 0 }),
        ev(t + 1, 'ws.close', { id, side: 'client', code: 1006, wasClean: false }),
      ]
    : [ev(t, 'ws.connect', { id, node: 'c1', url }), ev(t + 2, 'ws.open', { id })];
}
const ids = (events: readonly TraceEvent[]): string[] => [...new Set(events.filter((e) => e.ev === 'ws.connect').map((e) => String(e.id)))];

describe('collapseStackRetries', () => {
  it('takes one refused retry 21 ms after a refused attempt out, with a note', () => {
    const { events, notes } = collapseStackRetries([...attempt(1, 5000), ...attempt(2, 5022), ...attempt(3, 9000, false)]);
    expect(ids(events)).toEqual(['c1/ws#1', 'c1/ws#3']);
    expect(events.some((e) => e.id === 'c1/ws#2')).toBe(false);
    expect(notes).toEqual([expect.stringMatching(/^c1\/ws#2 at 5\.022 s came 21 ms after c1\/ws#1 was refused/)]);
  });

  it('keeps a client that reconnects at once by itself: only one retry per attempt is the library\'s', () => {
    const { events } = collapseStackRetries([...attempt(1, 5000), ...attempt(2, 5022), ...attempt(3, 5044), ...attempt(4, 5066)]);
    expect(ids(events)).toEqual(['c1/ws#1', 'c1/ws#3']);
  });

  it('keeps a reconnect after a backoff, one to another URL, one after a failure the layer did not cause, and one that opened', () => {
    const later = collapseStackRetries([...attempt(1, 5000), ...attempt(2, 7100)]);
    expect(ids(later.events)).toEqual(['c1/ws#1', 'c1/ws#2']);
    const other = attempt(2, 5022);
    other[0] = { ...other[0]!, url: url.replace('/A/', '/B/') };
    expect(ids(collapseStackRetries([...attempt(1, 5000), ...other]).events)).toEqual(['c1/ws#1', 'c1/ws#2']);
    const refusedByServer = attempt(1, 5000).map((e) => (e.ev === 'ws.fail' ? { ...e, status: 503, reason: 'upgrade refused with HTTP 503' } : e));
    expect(ids(collapseStackRetries([...refusedByServer, ...attempt(2, 5022)]).events)).toEqual(['c1/ws#1', 'c1/ws#2']);
    expect(ids(collapseStackRetries([...attempt(1, 5000), ...attempt(2, 5022, false)]).events)).toEqual(['c1/ws#1', 'c1/ws#2']);
  });
});
