import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RealServer } from '../../src/real/server.js';
import { openTraceFile, RealTrace, TraceFileError, TraceNotKept } from '../../src/real/trace-file.js';
import { Trace } from '../../src/sim/trace.js';
import { auth, chatServer } from './harness.js';

// `lockstep serve` streams its trace to the file and keeps nothing in memory: the lines
// must be the very bytes the kernel's Trace writes.

let dir: string | undefined;
let server: RealServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const steps: [number, string, Record<string, unknown> | undefined][] = [
  [0, 'sim.start', { seed: 7, clients: ['c1'], mode: 'real', network: { link: { latency: 1 } } }],
  [0.1234567, 'http.request', { id: 'c1/http#1', node: 'c1', method: 'GET', url: 'http://x/?token=***', bytes: undefined }],
  [1.5, 'client.snapshot', { node: 'c1', state: { z: 1, a: [1, { y: null, b: 'é\u2028"' }], '10': true, '2': -0 } }],
  [2, 'client.log', { msg: 'x', '1': 'index key', zeta: false, alpha: 1e21, nested: { when: new Date(0) } }],
  [3, 'sim.end', {}],
  [4, 'plain', undefined],
];

describe('a streamed real-socket trace', () => {
  it('writes the kernel’s bytes, knows its length and hash, and keeps no lines', () => {
    const kernel = new Trace();
    const kept: string[] = [];
    kernel.onRecord((l) => kept.push(l));
    const streamed = new RealTrace({ keep: false });
    const lines: string[] = [];
    const events: Record<string, unknown>[] = [];
    streamed.onRecord((l, e) => (lines.push(l), events.push(e)));
    for (const [t, ev, f] of steps) expect(streamed.record(t, ev, f)).toBe(kernel.record(t, ev, f));
    expect(lines).toEqual(kept);
    expect(events).toEqual(kernel.events().map((e) => expect.objectContaining({ ev: e.ev, seq: e.seq, t: e.t })));
    expect(streamed.length).toBe(kernel.length);
    expect(streamed.hash()).toBe(kernel.hash());
    expect(() => streamed.events()).toThrow(TraceNotKept);
    expect(() => streamed.toJsonl()).toThrow(/streamed \(keep: false\) and 6 steps went to its listeners only/);
  });

  it('refuses what the kernel refuses, without using a sequence number', () => {
    const streamed = new RealTrace({ keep: false });
    expect(() => streamed.record(Number.NaN, 'x')).toThrow(/virtual time must be a finite number/);
    expect(() => streamed.record(0, 'x', { seq: 1 })).toThrow(/trace field "seq" is reserved/);
    expect(() => streamed.record(0, 'x', { v: Infinity })).toThrow(/field "v": canonical JSON cannot hold Infinity/);
    expect(streamed.record(0, 'ok')).toBe(0);
  });

  it('a server with keepTrace: false writes the file and answers what judges need (length, hash)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-stream-'));
    const file = openTraceFile(join(dir, 't.jsonl'), false);
    server = await chatServer([], { keepTrace: false, onTrace: file.listener });
    for (let i = 0; i < 3; i++)
      expect((await fetch(`${server.urls.baseUrl}/api/v1/consultations/A/messages`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${server.urls.baseUrl}/api/v1/consultations/A/messages`, { headers: { authorization: 'Bearer x' } })).status).toBe(
      401,
    );
    await server.close();
    file.close();
    const text = readFileSync(join(dir, 't.jsonl'), 'utf8');
    const copy = new Trace();
    for (const l of text.trimEnd().split('\n')) {
      const { t, seq: _seq, ev, ...rest } = JSON.parse(l) as { t: number; seq: number; ev: string };
      copy.record(t, ev, rest);
    }
    expect(server.trace.length).toBe(copy.length);
    expect(server.trace.hash()).toBe(copy.hash());
    expect(() => server!.trace.events()).toThrow(TraceNotKept);
  });
});

describe('opening a trace file', () => {
  it('refuses, with a message naming the path, what it cannot write (and never hangs under /proc)', () => {
    const d = (dir = mkdtempSync(join(tmpdir(), 'lockstep-stream-')));
    writeFileSync(join(d, 'file'), 'x');
    expect(() => openTraceFile(join(d, 'file', 't.jsonl'), false)).toThrow(
      new TraceFileError(
        `cannot write the trace file ${join(d, 'file', 't.jsonl')}: a file is in the way of its folder ${join(d, 'file')}`,
      ),
    );
    if (existsSync('/proc/self'))
      expect(() => openTraceFile('/proc/self/lockstep/t.jsonl', true)).toThrow(/\/proc\/self is a proc file system/);
  });
});
