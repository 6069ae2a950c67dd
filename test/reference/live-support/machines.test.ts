import { describe, expect, it } from 'vitest';
import { DashboardMachine, defaultDashboardConfig } from '../../../src/reference/live-support/dashboard-machine.js';
import { defaultWidgetConfig, WidgetMachine, type WidgetCommand } from '../../../src/reference/live-support/widget-machine.js';
import type { ChatUpdatesFrame, LiveChat, LiveMessage } from '../../../src/reference/live-support/wire.js';
import { CountBasedDetection } from '../../../src/reference/live-support/zoo/count-based-detection.js';
import { IntervalRecreatedPerMessage } from '../../../src/reference/live-support/zoo/interval-recreated-per-message.js';
import { MissingUserFilter } from '../../../src/reference/live-support/zoo/missing-user-filter.js';
import { NoActiveFlag } from '../../../src/reference/live-support/zoo/no-active-flag.js';

// The pure machines, driven by hand: events in, commands out.

const msg = (id: string, role: 'user' | 'agent' = 'user'): LiveMessage => ({
  id,
  role,
  content: `text ${id}`,
  timestamp: '2025-01-15T09:00:00.000Z',
});
const chats = (chat: string, ids: string[]): LiveChat[] => [{ chat_id: chat, messages: ids.map((id) => msg(id)) }];
const kinds = (cmds: WidgetCommand[]) =>
  cmds
    .filter((c) => c.type !== 'log')
    .map((c) => `${c.type}${'interval' in c ? `#${c.interval}` : ''}${'request' in c ? `@${c.request}` : ''}`);

function widget(Machine: typeof WidgetMachine = WidgetMachine): WidgetMachine {
  return new Machine(defaultWidgetConfig);
}

describe('WidgetMachine: the polling effect with dependencies [stage, currentChatId, email]', () => {
  it('polls at once on mount and every tick of one interval', () => {
    const w = widget();
    expect(kinds(w.handle({ type: 'mount', email: 'a@x', chat: 'c1' }))).toEqual(['get@1', 'set-interval#1']);
    expect(kinds(w.handle({ type: 'tick', interval: 1 }))).toEqual(['get@2']);
    expect(kinds(w.handle({ type: 'mount', email: 'a@x', chat: 'c1' }))).toEqual([]); // same dependencies: nothing
    w.handle({ type: 'poll-done', request: 1, chats: chats('c1', ['m1', 'm2']) });
    expect(w.snapshot().messages.map((m) => m.id)).toEqual(['m1', 'm2']);
  });

  it('cleans up and runs again when the chat changes; answers of the old run are dropped', () => {
    const w = widget();
    w.handle({ type: 'mount', email: 'a@x', chat: 'c1' });
    expect(kinds(w.handle({ type: 'switch', chat: 'c2' }))).toEqual(['clear-interval#1', 'get@2', 'set-interval#2']);
    w.handle({ type: 'poll-done', request: 1, chats: chats('c1', ['m1']) });
    expect(w.snapshot()).toMatchObject({ chatId: 'c2', messages: [] });
    expect(kinds(w.handle({ type: 'tick', interval: 1 }))).toEqual([]); // the cleared interval's late tick
    expect(kinds(w.handle({ type: 'unmount' }))).toEqual(['clear-interval#2']);
    w.handle({ type: 'poll-done', request: 2, chats: chats('c2', ['m5']) });
    expect(w.snapshot()).toMatchObject({ mounted: false, messages: [] });
  });

  it('compares ids, not counts: a replaced message is shown', () => {
    const w = widget();
    w.handle({ type: 'mount', email: 'a@x', chat: 'c1' });
    w.handle({ type: 'poll-done', request: 1, chats: chats('c1', ['m1', 'm2']) });
    w.handle({ type: 'tick', interval: 1 });
    w.handle({ type: 'poll-done', request: 2, chats: chats('c1', ['m1', 'm9']) });
    expect(w.snapshot().messages.map((m) => m.id)).toEqual(['m1', 'm9']);
  });

  it('count-based-detection misses the replacement', () => {
    const w = widget(CountBasedDetection);
    w.handle({ type: 'mount', email: 'a@x', chat: 'c1' });
    w.handle({ type: 'poll-done', request: 1, chats: chats('c1', ['m1', 'm2']) });
    w.handle({ type: 'tick', interval: 1 });
    w.handle({ type: 'poll-done', request: 2, chats: chats('c1', ['m1', 'm9']) });
    expect(w.snapshot().messages.map((m) => m.id)).toEqual(['m1', 'm2']);
  });

  it('no-active-flag lets an answer of the old chat overwrite the new one', () => {
    const w = widget(NoActiveFlag);
    w.handle({ type: 'mount', email: 'a@x', chat: 'c1' });
    w.handle({ type: 'switch', chat: 'c2' });
    w.handle({ type: 'poll-done', request: 1, chats: [...chats('c1', ['m1']), ...chats('c2', ['m5'])] });
    expect(w.snapshot()).toMatchObject({ chatId: 'c2', messages: [{ id: 'm1' }] });
  });

  it('interval-recreated-per-message re-runs on every new message and leaves the old interval running', () => {
    const w = widget(IntervalRecreatedPerMessage);
    w.handle({ type: 'mount', email: 'a@x', chat: 'c1' });
    expect(kinds(w.handle({ type: 'poll-done', request: 1, chats: chats('c1', ['m1']) }))).toEqual(['get@2', 'set-interval#2']);
    expect(kinds(w.handle({ type: 'tick', interval: 1 }))).toEqual(['get@3']); // the old interval still polls
    expect(kinds(w.handle({ type: 'tick', interval: 2 }))).toEqual(['get@4']);
  });

  it('shows the customer’s acknowledged message in the view it was sent from only', () => {
    const w = widget();
    w.handle({ type: 'mount', email: 'a@x', chat: 'c1' });
    const [post] = w.handle({ type: 'send', text: 'hi' });
    expect(post).toEqual({ type: 'post', request: 2, email: 'a@x', chat: 'c1', content: 'hi' });
    w.handle({ type: 'send-done', request: 2, message: msg('m7') });
    expect(w.snapshot().messages.map((m) => m.id)).toEqual(['m7']);
    w.handle({ type: 'send', text: 'late' });
    w.handle({ type: 'switch', chat: 'c2' });
    w.handle({ type: 'send-done', request: 3, message: msg('m8') });
    expect(w.snapshot().messages).toEqual([]);
  });
});

const updates = (timestamp: string, users: [string, string | null, string[]][]): ChatUpdatesFrame => ({
  type: 'chat_updates',
  data: {
    timestamp,
    users: users.map(([email, owner, ids], i) => ({
      _id: `u${i}`,
      name: email,
      email,
      category: 'human-chats',
      status: 'active',
      dashboard_user_id: owner,
      chats: [{ chat_id: `chat-${email}`, messages: ids.map((id) => msg(id, 'agent')) }],
    })),
  },
});

describe('DashboardMachine', () => {
  it('connects, subscribes once open, and shows only its own customers', () => {
    const d = new DashboardMachine(defaultDashboardConfig, true);
    expect(d.handle({ type: 'connect', dashboardUserId: 'agent-1' })).toContainEqual({ type: 'connect', socket: 1 });
    expect(d.handle({ type: 'ws-open', socket: 1 })).toEqual([
      { type: 'ws-send', socket: 1, data: '{"type":"subscribe","channel":"chat_updates"}' },
      { type: 'set-timer', key: 'silence', ms: 10_000 },
      { type: 'set-timer', key: 'stable', ms: 10_000 },
    ]);
    d.handle({ type: 'ws-frame', socket: 1, frame: { type: 'subscribed', channel: 'chat_updates' } });
    d.handle({
      type: 'ws-frame',
      socket: 1,
      frame: updates('t2', [
        ['a', 'agent-1', ['m1']],
        ['c', 'agent-2', ['m2']],
        ['z', null, []],
      ]),
    });
    expect(d.snapshot()).toMatchObject({
      connection: 'open',
      subscribed: true,
      users: [{ email: 'a', dashboard_user_id: 'agent-1', chats: [{ messages: ['m1'] }] }],
    });
    d.handle({ type: 'ws-frame', socket: 1, frame: updates('t1', [['a', 'agent-1', []]]) }); // older: ignored
    expect(d.snapshot().users[0]!.chats[0]!.messages).toEqual(['m1']);
    const [put] = d.handle({ type: 'replace', chat: 'chat-a', text: 'fixed' });
    expect(put).toMatchObject({ type: 'request', method: 'PUT', path: '/api/dashboard/chats/chat-a/messages/m1' });
  });

  it('missing-user-filter shows everybody', () => {
    const d = new MissingUserFilter(defaultDashboardConfig, true);
    d.handle({ type: 'connect', dashboardUserId: 'agent-1' });
    d.handle({ type: 'ws-open', socket: 1 });
    d.handle({
      type: 'ws-frame',
      socket: 1,
      frame: updates('t', [
        ['a', 'agent-1', []],
        ['c', 'agent-2', []],
      ]),
    });
    expect(d.snapshot().users.map((u) => u.email)).toEqual(['a', 'c']);
  });

  it('reconnects with backoff, and gives up on a silent socket', () => {
    const d = new DashboardMachine(defaultDashboardConfig, true);
    d.handle({ type: 'connect', dashboardUserId: 'agent-1' });
    expect(d.handle({ type: 'ws-closed', socket: 1 })).toContainEqual({ type: 'set-timer', key: 'reconnect', ms: 1000 });
    expect(d.handle({ type: 'timer', key: 'reconnect' })).toEqual([
      { type: 'connect', socket: 2 },
      { type: 'set-timer', key: 'silence', ms: 10_000 },
    ]);
    expect(d.handle({ type: 'ws-closed', socket: 2 })).toContainEqual({ type: 'set-timer', key: 'reconnect', ms: 2000 });
    d.handle({ type: 'timer', key: 'reconnect' });
    d.handle({ type: 'ws-open', socket: 3 });
    // A socket silent from its open never proved stable: the backoff keeps growing.
    expect(d.handle({ type: 'timer', key: 'silence' })).toEqual([
      { type: 'disconnect', socket: 3, code: 4000, reason: 'no frame within 10000 ms' },
      { type: 'cancel-timer', key: 'silence' },
      { type: 'cancel-timer', key: 'stable' },
      { type: 'set-timer', key: 'reconnect', ms: 4000 },
    ]);
  });

  it('starts its backoff over only once a socket stayed open 10 s (the stable-connection rule), whatever the close code', () => {
    const d = new DashboardMachine(defaultDashboardConfig, true);
    d.handle({ type: 'connect', dashboardUserId: 'agent-1' });
    const delays: number[] = [];
    // A backend that accepts and drops at once (flapping): every socket opens, then closes.
    for (let socket = 1; socket <= 7; socket++) {
      d.handle({ type: 'ws-open', socket });
      const out = d.handle({ type: 'ws-closed', socket, code: socket % 2 ? 1006 : 1001, wasClean: socket % 2 === 0 });
      const timer = out.find((c) => c.type === 'set-timer' && c.key === 'reconnect') as { ms: number } | undefined;
      delays.push(timer?.ms ?? -1);
      d.handle({ type: 'timer', key: 'reconnect' });
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    d.handle({ type: 'ws-open', socket: 8 });
    d.handle({ type: 'timer', key: 'stable' });
    expect(d.handle({ type: 'ws-closed', socket: 8, code: 1012, wasClean: true })).toContainEqual({ type: 'set-timer', key: 'reconnect', ms: 1000 });
  });

  it('gives up on a handshake that stalls as on a silent socket', () => {
    const d = new DashboardMachine(defaultDashboardConfig, true);
    expect(d.handle({ type: 'connect', dashboardUserId: 'agent-1' })).toContainEqual({ type: 'set-timer', key: 'silence', ms: 10_000 });
    expect(d.handle({ type: 'timer', key: 'silence' })).toEqual([
      { type: 'disconnect', socket: 1, code: 4000, reason: 'no frame within 10000 ms' },
      { type: 'cancel-timer', key: 'silence' },
      { type: 'cancel-timer', key: 'stable' },
      { type: 'set-timer', key: 'reconnect', ms: 1000 },
    ]);
  });
});
