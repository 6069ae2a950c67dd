import { describe, expect, it } from 'vitest';
import {
  defaultMealLogConfig,
  MealLogMachine,
  type MealLogCommand,
  type MealLogMachineClass,
  type OutboxEntry,
} from '../../../src/reference/meal-log/client-machine.js';
import { DuplicateConnect } from '../../../src/reference/meal-log/zoo/duplicate-connect.js';
import { PollsForever } from '../../../src/reference/meal-log/zoo/polls-forever.js';
import { TrustsTransportState } from '../../../src/reference/meal-log/zoo/trusts-transport-state.js';
import type { MealLog } from '../../../src/reference/meal-log/wire.js';

// The client's decisions without any I/O: events in, commands out, time passed in.

const machine = (Machine: MealLogMachineClass = MealLogMachine, outbox: OutboxEntry[] = []) =>
  new Machine(defaultMealLogConfig, outbox, outbox.length, true, 'c1');
const of = <T extends MealLogCommand['type']>(cmds: MealLogCommand[], type: T) =>
  cmds.filter((c): c is Extract<MealLogCommand, { type: T }> => c.type === type);
const meal = (status: MealLog['status'], localId = 'c1-meal-1'): MealLog => ({
  id: 'ml-1',
  localId,
  userId: 'user-c1',
  rawInput: 'eggs',
  status,
  loggedAt: '2025-01-15T09:00:00.000Z',
  createdAt: '2025-01-15T09:00:00.000Z',
  updatedAt: '2025-01-15T09:00:00.000Z',
});
const connected = { type: 'connected' as const, userId: 'user-c1' };

describe('the meal-log client machine', () => {
  it('connects at launch and guards against a second connect while connecting or open', () => {
    const m = machine();
    const start = m.start(0);
    expect(of(start, 'connect')).toEqual([{ type: 'connect', socket: 1 }]);
    expect(of(start, 'get')).toHaveLength(1);
    expect(of(m.handle({ type: 'open-view' }, 300), 'connect')).toEqual([]);
    m.handle({ type: 'ws-open', socket: 1 }, 400);
    expect(of(m.handle({ type: 'open-view' }, 500), 'connect')).toEqual([]);
    // The bug: only a verified socket stops a connect.
    const buggy = machine(DuplicateConnect);
    buggy.start(0);
    expect(of(buggy.handle({ type: 'open-view' }, 300), 'connect')).toEqual([{ type: 'connect', socket: 2 }]);
  });

  it('counts the socket as verified only after a server message, and pings as soon as it opens', () => {
    const m = machine();
    m.start(0);
    const open = m.handle({ type: 'ws-open', socket: 1 }, 40);
    expect(of(open, 'ws-send')).toEqual([{ type: 'ws-send', socket: 1, data: '{"type":"ping"}' }]);
    expect(m.snapshot()).toMatchObject({ connection: 'connected', verified: false });
    m.handle({ type: 'ws-frame', socket: 1, frame: connected }, 41);
    m.handle({ type: 'ws-frame', socket: 1, frame: { type: 'pong' } }, 80);
    expect(m.snapshot()).toMatchObject({
      verified: true,
      metrics: { connectionAttempts: 1, successfulConnections: 1, messagesReceived: 2, averageLatency: 40 },
    });
    const trusting = machine(TrustsTransportState);
    trusting.start(0);
    trusting.handle({ type: 'ws-open', socket: 1 }, 40);
    expect(trusting.snapshot().verified).toBe(true);
  });

  it('waits up to 5 s for a connection in progress before uploading, and goes at once when it is verified', () => {
    const m = machine();
    m.start(0);
    const sub = m.handle({ type: 'submit', text: 'eggs' }, 100);
    expect(of(sub, 'post')).toEqual([]);
    expect(of(sub, 'set-timer')).toContainEqual({ type: 'set-timer', key: 'pre-connect', ms: 5000 });
    expect(of(sub, 'persist')[0]!.outbox).toEqual([{ localId: 'c1-meal-1', rawInput: 'eggs', loggedAt: '1970-01-01T00:00:00.100Z' }]);
    m.handle({ type: 'ws-open', socket: 1 }, 300);
    expect(of(m.handle({ type: 'ws-frame', socket: 1, frame: connected }, 300), 'post')).toHaveLength(1);
    const timeout = machine();
    timeout.start(0);
    timeout.handle({ type: 'submit', text: 'eggs' }, 100);
    expect(of(timeout.handle({ type: 'timer', key: 'pre-connect' }, 5100), 'post')).toHaveLength(1);
  });

  it('polls while a meal is processing and the socket is not verified, adapting 5, 5, 5, 7.5 … 30 s, and stops when verified', () => {
    const m = machine();
    m.start(0);
    m.handle({ type: 'ws-closed', socket: 1 }, 50);
    m.handle({ type: 'submit', text: 'eggs' }, 100);
    const acked = m.handle({ type: 'post-ok', localId: 'c1-meal-1', mealLog: meal('processing') }, 150);
    expect(of(acked, 'set-timer')).toContainEqual({ type: 'set-timer', key: 'poll', ms: 5000 });
    const intervals: number[] = [];
    let t = 5150;
    for (let i = 0; i < 8; i++) {
      const get = of(m.handle({ type: 'timer', key: 'poll' }, t), 'get')[0]!;
      const next = of(m.handle({ type: 'get-ok', request: get.request, meals: [meal('processing')] }, t + 40), 'set-timer').find(
        (c) => c.key === 'poll',
      )!;
      intervals.push(next.ms);
      t += 40 + next.ms;
    }
    expect(intervals).toEqual([5000, 5000, 7500, 11250, 16875, 25312.5, 30000, 30000]);
    // The reconnect is verified: polling stops, and a catch-up load fetches what was missed.
    m.handle({ type: 'timer', key: 'reconnect' }, t);
    m.handle({ type: 'ws-open', socket: 2 }, t + 40);
    const verified = m.handle({ type: 'ws-frame', socket: 2, frame: connected }, t + 40);
    expect(of(verified, 'cancel-timer')).toContainEqual({ type: 'cancel-timer', key: 'poll' });
    expect(of(verified, 'get')).toHaveLength(1);
    expect(m.snapshot()).toMatchObject({ polling: false, verified: true });
  });

  it('stops polling when nothing is processing; the polls-forever bug does not', () => {
    for (const [Machine, polling] of [
      [MealLogMachine, false],
      [PollsForever, true],
    ] as const) {
      const m = machine(Machine);
      m.start(0);
      m.handle({ type: 'ws-closed', socket: 1 }, 50);
      m.handle({ type: 'post-ok', localId: 'c1-meal-1', mealLog: meal('processing') }, 150);
      const get = of(m.handle({ type: 'timer', key: 'poll' }, 5150), 'get')[0]!;
      m.handle({ type: 'get-ok', request: get.request, meals: [meal('completed')] }, 5190);
      expect(m.snapshot().polling).toBe(polling);
      expect(m.snapshot().meals).toEqual([{ localId: 'c1-meal-1', id: 'ml-1', text: 'eggs', status: 'completed' }]);
    }
  });

  it('backs off 1, 2, 4, 8, 16, 30, 30 s between failed connects, and reuses the local id for every upload retry', () => {
    const m = machine();
    m.start(0);
    const delays: number[] = [];
    for (let socket = 1; socket <= 7; socket++) {
      const cmds = m.handle({ type: 'ws-closed', socket }, socket * 100_000);
      delays.push(of(cmds, 'set-timer').find((c) => c.key === 'reconnect')!.ms);
      m.handle({ type: 'timer', key: 'reconnect' }, socket * 100_000 + 1);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    const restored = machine(MealLogMachine, [{ localId: 'c1-meal-9', rawInput: 'toast', loggedAt: '2025-01-15T09:00:00.000Z' }]);
    // The restored entry waits for the connection in progress; its failure ends the wait.
    expect(of(restored.start(0), 'post')).toEqual([]);
    const first = of(restored.handle({ type: 'ws-closed', socket: 1 }, 10), 'post')[0]!;
    restored.handle({ type: 'post-failed', localId: 'c1-meal-9' }, 6000);
    const retry = of(restored.handle({ type: 'timer', key: 'outbox-retry' }, 11_000), 'post')[0]!;
    expect([first.entry.localId, retry.entry.localId]).toEqual(['c1-meal-9', 'c1-meal-9']);
  });
});
