import { describe, expect, it } from 'vitest';
import {
  describeOutcome,
  faultActiveAt,
  faultWindows,
  faultsDuring,
  fmtDuration,
  fmtTime,
  httpExchanges,
  lastFrameBefore,
  maxLatency,
  pathOf,
  restarts,
  snapshotAt,
  snapshotTimeline,
  socketLiveAt,
  socketOpenAt,
  sockets,
  tolerance,
} from '../../src/conformance/trace-query.js';
import type { TraceEvent } from '../../src/sim/trace.js';

/** Numbers the steps as the kernel would. */
function trace(steps: Omit<TraceEvent, 'seq'>[]): TraceEvent[] {
  return steps.map((s, seq) => ({ ...s, seq }) as TraceEvent);
}

describe('trace queries', () => {
  it('follows a socket from connect to close, with frames, and ends sockets at an app restart', () => {
    const events = trace([
      { t: 0, ev: 'sim.start', clients: ['c1'] },
      { t: 0, ev: 'ws.connect', id: 'c1/ws#1', node: 'c1', url: 'ws://lockstep.test/api/v1/consultations/A/ws?token=***' },
      { t: 40, ev: 'ws.open', id: 'c1/ws#1' },
      { t: 100, ev: 'ws.send', id: 'c1/ws#1', dir: 'to-client', n: 0, data: '{"type":"pong"}' },
      { t: 120, ev: 'ws.recv', id: 'c1/ws#1', dir: 'to-client', n: 0 },
      { t: 5000, ev: 'ws.closing', id: 'c1/ws#1', side: 'client', code: 4000 },
      { t: 10_000, ev: 'ws.close', id: 'c1/ws#1', side: 'client', code: 1006, wasClean: false, why: 'no close frame' },
      { t: 11_000, ev: 'ws.connect', id: 'c1/ws#2', node: 'c1', url: 'ws://lockstep.test/api/v1/consultations/A/ws?token=***' },
      { t: 12_000, ev: 'client.action', node: 'c1', do: 'restart' },
      { t: 12_000, ev: 'client.restart', node: 'c1', incarnation: 1 },
    ]);
    const [a, b] = sockets(events);
    expect(a).toMatchObject({
      id: 'c1/ws#1',
      path: '/api/v1/consultations/A/ws',
      openAt: 40,
      closingAt: 5000,
      closingCode: 4000,
      closeAt: 10_000,
      closeCode: 1006,
      endAt: 5000,
      endedBy: 'closing',
    });
    expect(a!.received).toEqual([{ t: 120, seq: 4, n: 0, data: '{"type":"pong"}' }]);
    expect(lastFrameBefore(a!, 120)?.t).toBe(120);
    expect(lastFrameBefore(a!, 119)).toBeUndefined();
    expect(socketOpenAt(a!, 4999)).toBe(true);
    expect(socketLiveAt(a!, 5000)).toBe(false);
    expect(b).toMatchObject({ id: 'c1/ws#2', endAt: 12_000, endedBy: 'restart' });
    expect(socketOpenAt(b!, 11_500)).toBe(false);
    expect(socketLiveAt(b!, 11_500)).toBe(true);
    expect(restarts(events)).toEqual([{ t: 12_000, seq: 8, node: 'c1' }]);
  });

  it('pairs HTTP requests with their outcome', () => {
    const events = trace([
      { t: 0, ev: 'http.request', id: 'c1/http#1', node: 'c1', method: 'GET', url: 'http://lockstep.test/api/x?y=1' },
      { t: 20, ev: 'http.serve', id: 'c1/http#1', method: 'GET', path: '/api/x' },
      { t: 20, ev: 'http.serve', id: 'c1/http#1', method: 'GET', path: '/api/x', dup: true },
      { t: 20, ev: 'http.respond', id: 'c1/http#1', status: 200, bytes: 2 },
      { t: 40, ev: 'http.response', id: 'c1/http#1', status: 200, bytes: 2 },
      { t: 50, ev: 'http.request', id: 'c1/http#2', node: 'c1', method: 'post', url: '/api/y' },
      { t: 50, ev: 'http.fail', id: 'c1/http#2', reason: 'offline' },
      { t: 60, ev: 'http.request', id: 'c1/http#3', node: 'c1', method: 'GET', url: '/api/z' },
    ]);
    const [a, b, c] = httpExchanges(events);
    expect(a).toMatchObject({ path: '/api/x', method: 'GET', status: 200, responseAt: 40, endAt: 40 });
    expect(a!.serves.map((s) => s.dup)).toEqual([false, true]);
    expect(b).toMatchObject({ method: 'POST', path: '/api/y', failReason: 'offline', endAt: 50 });
    expect(c!.endAt).toBe(Infinity);
    expect([a, b, c].map((x) => describeOutcome(x!))).toEqual([
      '200 at 0.04 s',
      'failed (offline) at 0.05 s',
      'no answer by the end of the run',
    ]);
  });

  it('gives the snapshot in force at a time', () => {
    const events = trace([
      { t: 0, ev: 'client.snapshot', node: 'c1', state: 1 },
      { t: 10, ev: 'client.snapshot', node: 'c2', state: 'other' },
      { t: 10, ev: 'client.snapshot', node: 'c1', state: 2 },
      { t: 30, ev: 'client.snapshot', node: 'c1', state: 3 },
    ]);
    const tl = snapshotTimeline(events, 'c1');
    expect(tl.map((s) => s.state)).toEqual([1, 2, 3]);
    expect(snapshotAt(tl, -1)).toBeUndefined();
    expect(snapshotAt(tl, 10)?.state).toBe(2);
    expect(snapshotAt(tl, 10, 1)?.state).toBe(1);
    expect(snapshotAt(tl, 29.999)?.state).toBe(2);
    expect(snapshotAt(tl, 1e9)?.state).toBe(3);
  });

  it('knows which faults were in force, ended by fault.end, a release, server.up or the heal', () => {
    const events = trace([
      { t: 1000, ev: 'fault.start', entry: 0, kind: 'partition', duration: 2000 },
      { t: 1500, ev: 'fault.start', entry: 1, kind: 'client-offline', node: 'c2' },
      { t: 2000, ev: 'fault.start', entry: 2, kind: 'ws-half-open', direction: 'both' },
      { t: 2500, ev: 'fault.start', entry: 3, kind: 'hold', name: 'p', match: {} },
      { t: 3000, ev: 'fault.end', entry: 0, kind: 'partition' },
      { t: 3500, ev: 'fault.start', entry: 4, kind: 'server-restart', downtime: 500 },
      { t: 4000, ev: 'server.up', generation: 1 },
      { t: 4200, ev: 'net.release', name: 'p', entry: 5 },
      { t: 9000, ev: 'sim.heal' },
    ]);
    const w = faultWindows(events);
    expect(w.map((x) => [x.kind, x.start, x.end])).toEqual([
      ['partition', 1000, 3000],
      ['client-offline', 1500, 9000],
      ['ws-half-open', 2000, 2000],
      ['hold', 2500, 4200],
      ['server-restart', 3500, 4000],
    ]);
    expect(w[0]!.params).toEqual({ duration: 2000 });
    expect(faultActiveAt(w, 'partition', 2999, 'c1')).toBe(true);
    expect(faultActiveAt(w, 'partition', 3000)).toBe(false);
    expect(faultActiveAt(w, 'client-offline', 2000, 'c1')).toBe(false);
    expect(faultActiveAt(w, 'client-offline', 2000, 'c2')).toBe(true);
    expect(faultActiveAt(w, 'ws-half-open', 2000)).toBe(true);
    expect(faultsDuring(w, 'ws-half-open', 1000, 2500)).toHaveLength(1);
    expect(faultsDuring(w, 'partition', 3000, 5000)).toHaveLength(0);
  });

  it('derives the tolerance T from the slowest link', () => {
    expect(tolerance({})).toBe(290);
    expect(tolerance({ network: { link: { latency: 100 } }, clients: ['c1'] })).toBe(450);
    expect(tolerance({ network: { toClient: { latency: { kind: 'uniform', min: 10, max: 80 } } } })).toBe(250 + 160);
    expect(tolerance({ network: { nodes: { c2: { toServer: { latency: { kind: 'fixed', ms: 300 } } } } }, clients: ['c1', 'c2'] })).toBe(
      850,
    );
    expect(maxLatency({ kind: 'lognormal', median: 40, sigma: 0.5, max: 2000 })).toBe(2000);
    expect(maxLatency({ kind: 'lognormal', median: 40, sigma: 0.5 })).toBeCloseTo(40 * Math.exp(1.165), 9);
  });

  it('formats times and paths for evidence', () => {
    expect(fmtTime(12_000)).toBe('12.0 s');
    expect(fmtTime(9100)).toBe('9.1 s');
    expect(fmtTime(40)).toBe('0.04 s');
    expect(fmtTime(12_345.6)).toBe('12.346 s');
    expect(fmtDuration(250)).toBe('250 ms');
    expect(fmtDuration(3290)).toBe('3.29 s');
    expect(pathOf('ws://lockstep.test/api/v1/consultations/A%20B/ws?token=***')).toBe('/api/v1/consultations/A%20B/ws');
    expect(pathOf('/relative/path?x')).toBe('/relative/path');
  });
});
