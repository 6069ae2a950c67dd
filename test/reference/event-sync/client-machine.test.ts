import { describe, expect, it } from 'vitest';
import { defaultSyncClientConfig, EventSyncMachine, type SyncCommand } from '../../../src/reference/event-sync/client-machine.js';
import { CheckpointPerBatchMachine } from '../../../src/reference/event-sync/zoo/checkpoint-per-batch.js';
import { ExclusiveSinceLosesTiesMachine } from '../../../src/reference/event-sync/zoo/exclusive-since-loses-ties.js';
import { ProgressOvercountsMachine } from '../../../src/reference/event-sync/zoo/progress-overcounts.js';
import { digestAdd, digestHex, type SyncServerFrame } from '../../../src/reference/event-sync/wire.js';

// The reference client's decisions without any I/O: events in, commands out.

const ts = (s: number) => `2025-01-14T10:00:0${s}Z`;
const ev = (id: string, s: number, valid = true) => ({
  id,
  timestamp: ts(s),
  type: valid ? 'task.created' : 'nope',
  payload: { entity: 'x' },
});
const cur = (id: string, s: number) => `${ts(s)}#${id}`;
const start = (totalEvents: number): SyncServerFrame => ({ type: 'sync.stream.start', totalEvents });
const batch = (batchIndex: number, events: ReturnType<typeof ev>[], isLast = false): SyncServerFrame => ({
  type: 'sync.stream.batch',
  batchIndex,
  events,
  isLast,
});
const complete = (processedEvents: number, newCheckpoint: string | null): SyncServerFrame => ({
  type: 'sync.stream.complete',
  processedEvents,
  newCheckpoint,
});

type Persisted = ConstructorParameters<typeof EventSyncMachine>[1];
const fresh: Persisted = { checkpoint: null, resume: null, storedIds: [] };

function machine(persisted: Persisted = fresh, Machine: typeof EventSyncMachine = EventSyncMachine): EventSyncMachine {
  return new Machine(defaultSyncClientConfig, persisted);
}

const kinds = (cmds: SyncCommand[]) => cmds.filter((c) => c.type !== 'set-timer' && c.type !== 'cancel-timer' && c.type !== 'log');

describe('EventSyncMachine', () => {
  it('streams: connects, asks since the checkpoint, stores batches, saves the checkpoint only on completion, closes', () => {
    const m = machine({ checkpoint: cur('a', 0), resume: null, storedIds: ['a'] });
    expect(kinds(m.handle({ type: 'sync' }))).toEqual([{ type: 'connect', socket: 1 }]);
    expect(kinds(m.handle({ type: 'ws-open', socket: 1 }))).toEqual([
      { type: 'ws-send', socket: 1, data: JSON.stringify({ type: 'sync.stream.request', since: cur('a', 0) }) },
    ]);
    m.handle({ type: 'ws-frame', socket: 1, frame: start(3) });
    expect(m.snapshot().progress).toEqual({ processed: 0, total: 3 });
    expect(kinds(m.handle({ type: 'ws-frame', socket: 1, frame: batch(0, [ev('b', 0), ev('c', 1)]) }))).toEqual([
      { type: 'store', events: [ev('b', 0), ev('c', 1)] },
      { type: 'save-resume', resume: { base: cur('a', 0), cursor: cur('c', 1) } },
    ]);
    expect(m.snapshot().checkpoint).toBe(cur('a', 0));
    m.handle({ type: 'ws-frame', socket: 1, frame: batch(1, [ev('d', 1)], true) });
    expect(kinds(m.handle({ type: 'ws-frame', socket: 1, frame: complete(3, cur('d', 1)) }))).toEqual([
      { type: 'save-checkpoint', checkpoint: cur('d', 1) },
      { type: 'save-resume', resume: null },
      { type: 'disconnect', socket: 1, code: 1000, reason: 'sync complete' },
    ]);
    const digest = digestHex(['a', 'b', 'c', 'd'].reduce((d, id) => digestAdd(d, id), 0));
    expect(m.snapshot()).toEqual({
      syncing: false,
      via: null,
      progress: { processed: 3, total: 3 },
      syncs: 1,
      completed: 1,
      checkpoint: cur('d', 1),
      store: { count: 4, digest },
      skipped: 0,
      authError: false,
    });
  });

  it('falls back on a failure: closes the socket, pages from the resume point, completes on the last page', () => {
    const m = machine();
    m.handle({ type: 'sync' });
    m.handle({ type: 'ws-open', socket: 1 });
    m.handle({ type: 'ws-frame', socket: 1, frame: start(4) });
    m.handle({ type: 'ws-frame', socket: 1, frame: batch(0, [ev('a', 0), ev('b', 0)]) });
    expect(kinds(m.handle({ type: 'ws-frame', socket: 1, frame: { type: 'sync.stream.error', error: 'x', code: 'DB_ERROR' } }))).toEqual([
      { type: 'disconnect', socket: 1, code: 4000, reason: 'stream failed' },
      { type: 'get-page', request: 1, since: cur('b', 0) },
    ]);
    expect(m.snapshot().via).toBe('rest');
    const out = kinds(
      m.handle({
        type: 'page-ok',
        request: 1,
        page: { events: [ev('b', 0), ev('c', 0), ev('d', 1)], nextCursor: cur('d', 1), hasMore: false, totalEvents: 3 },
      }),
    );
    expect(out[0]).toEqual({ type: 'store', events: [ev('c', 0), ev('d', 1)] });
    expect(out).toContainEqual({ type: 'save-checkpoint', checkpoint: cur('d', 1) });
    expect(m.snapshot()).toMatchObject({ completed: 1, store: { count: 4 }, progress: { processed: 5, total: 5 } });
  });

  it('treats a gap in batchIndex, a stall and a close as failures; ignores a repeated batch', () => {
    const m = machine();
    m.handle({ type: 'sync' });
    m.handle({ type: 'ws-open', socket: 1 });
    m.handle({ type: 'ws-frame', socket: 1, frame: start(9) });
    m.handle({ type: 'ws-frame', socket: 1, frame: batch(0, [ev('a', 0)]) });
    expect(kinds(m.handle({ type: 'ws-frame', socket: 1, frame: batch(0, [ev('a', 0)]) }))).toEqual([]);
    expect(kinds(m.handle({ type: 'ws-frame', socket: 1, frame: batch(2, [ev('c', 0)]) }))[1]).toEqual({
      type: 'get-page',
      request: 1,
      since: cur('a', 0),
    });
    const s = machine();
    s.handle({ type: 'sync' });
    expect(kinds(s.handle({ type: 'timer', key: 'idle#1' }))).toEqual([
      { type: 'disconnect', socket: 1, code: 4000, reason: 'stream failed' },
      { type: 'get-page', request: 1, since: null },
    ]);
    const c = machine();
    c.handle({ type: 'sync' });
    expect(kinds(c.handle({ type: 'ws-closed', socket: 1 }))).toEqual([{ type: 'get-page', request: 1, since: null }]);
  });

  it('skips and counts invalid events, never stores them or duplicates', () => {
    const m = machine({ checkpoint: null, resume: null, storedIds: ['a'] });
    m.handle({ type: 'sync' });
    m.handle({ type: 'ws-open', socket: 1 });
    m.handle({ type: 'ws-frame', socket: 1, frame: start(3) });
    const out = kinds(m.handle({ type: 'ws-frame', socket: 1, frame: batch(0, [ev('a', 0), ev('b', 0, false), ev('c', 1)], true) }));
    expect(out[0]).toEqual({ type: 'store', events: [ev('c', 1)] });
    expect(m.snapshot()).toMatchObject({ skipped: 1, store: { count: 2 }, progress: { processed: 3, total: 3 } });
  });

  it('runs one sync at a time: a sync asked for meanwhile runs right after', () => {
    const m = machine();
    m.handle({ type: 'sync' });
    expect(kinds(m.handle({ type: 'sync' }))).toEqual([]);
    m.handle({ type: 'ws-open', socket: 1 });
    m.handle({ type: 'ws-frame', socket: 1, frame: start(0) });
    expect(m.handle({ type: 'ws-frame', socket: 1, frame: complete(0, null) })).toContainEqual({ type: 'set-timer', key: 'resync', ms: 0 });
    expect(kinds(m.handle({ type: 'timer', key: 'resync' }))).toEqual([{ type: 'connect', socket: 2 }]);
  });

  it('retries a failed page with backoff, stops on 401 until the user syncs again', () => {
    const m = machine();
    m.handle({ type: 'sync' });
    m.handle({ type: 'ws-closed', socket: 1 });
    expect(m.handle({ type: 'page-failed', request: 1, status: 503 })).toContainEqual({ type: 'set-timer', key: 'retry#1', ms: 1000 });
    expect(kinds(m.handle({ type: 'timer', key: 'retry#1' }))).toEqual([{ type: 'get-page', request: 2, since: null }]);
    expect(m.handle({ type: 'page-failed', request: 2 })).toContainEqual({ type: 'set-timer', key: 'retry#1', ms: 2000 });
    m.handle({ type: 'timer', key: 'retry#1' });
    m.handle({ type: 'page-failed', request: 3, status: 401 });
    expect(m.snapshot()).toMatchObject({ authError: true, syncing: false });
    expect(kinds(m.handle({ type: 'sync' }))).toEqual([{ type: 'connect', socket: 2 }]);
    expect(m.snapshot().authError).toBe(false);
  });

  it('resumes an interrupted sync on launch from the resume point in storage', () => {
    const m = machine({ checkpoint: cur('a', 0), resume: { base: cur('a', 0), cursor: cur('c', 1) } as never, storedIds: ['a', 'b', 'c'] });
    expect(kinds(m.launch())).toEqual([{ type: 'connect', socket: 1 }]);
    expect(kinds(m.handle({ type: 'ws-open', socket: 1 }))[0]).toMatchObject({
      data: JSON.stringify({ type: 'sync.stream.request', since: cur('c', 1) }),
    });
    const stale = machine({ checkpoint: cur('d', 1), resume: { base: cur('a', 0), cursor: cur('c', 1) } as never, storedIds: [] });
    expect(stale.launch()).toEqual([]);
  });

  it('faulty variants: per-batch checkpoints, exclusive since, overcounted progress', () => {
    const p = machine(fresh, CheckpointPerBatchMachine);
    p.handle({ type: 'sync' });
    p.handle({ type: 'ws-open', socket: 1 });
    p.handle({ type: 'ws-frame', socket: 1, frame: start(3) });
    expect(p.handle({ type: 'ws-frame', socket: 1, frame: batch(0, [ev('a', 0), ev('b', 0)]) })).toContainEqual({
      type: 'save-checkpoint',
      checkpoint: cur('b', 0),
    });
    const x = machine({ checkpoint: cur('a', 0), resume: null, storedIds: ['a'] }, ExclusiveSinceLosesTiesMachine);
    x.handle({ type: 'sync' });
    x.handle({ type: 'ws-open', socket: 1 });
    x.handle({ type: 'ws-frame', socket: 1, frame: start(2) });
    x.handle({ type: 'ws-frame', socket: 1, frame: batch(0, [ev('b', 0), ev('c', 1)], true) });
    expect(x.snapshot().store.count).toBe(2); // b (same second as the checkpoint) was dropped
    const o = machine(fresh, ProgressOvercountsMachine);
    o.handle({ type: 'sync' });
    o.handle({ type: 'ws-open', socket: 1 });
    o.handle({ type: 'ws-frame', socket: 1, frame: start(3) });
    o.handle({ type: 'ws-frame', socket: 1, frame: batch(0, [ev('a', 0), ev('b', 0)]) });
    o.handle({ type: 'ws-frame', socket: 1, frame: batch(1, [ev('c', 0)], true) });
    expect(o.snapshot().progress).toEqual({ processed: 4, total: 3 });
  });
});
