import { describe, expect, it } from 'vitest';
import { ALICE, CAROL, check, TraceBuilder } from './trace-builder.js';

// T = 290 ms (default 20 ms links), P = 2 s: a poll is due 2.29 s after an answer.

describe('LIVE-1: at most one poll per 2 s (one loop)', () => {
  it('passes a loop that polls at mount and every 2 s', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 8000);
    expect(check('LIVE-1', b, 8000)).toMatchObject({ verdict: 'pass' });
  });

  it('passes a loop that waits 2 s after each answer, and one that skips a beat while a poll hangs', () => {
    const chained = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1');
    for (let t = 0; t < 12_000; t += 2040) chained.poll(t);
    expect(check('LIVE-1', chained, 12_000)).toMatchObject({ verdict: 'pass' });
    const skipping = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 4000).polls(8000, 12_000);
    expect(check('LIVE-1', skipping, 12_000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails a second, overlapping loop (polls closer than 2 s − T)', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 8000).polls(60, 8000);
    const f = check('LIVE-1', b, 8000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(
      /poll w1\/http#5 at 0\.06 s started only 60 ms after poll w1\/http#1 at 0\.0 s \(at least 2 s − T = 1\.71 s expected\): a second polling loop or a faster interval/,
    );
    expect(f.at).toBe(60);
  });

  it('fails a loop that polls every 200 ms, and a retry of a failed poll before 2 s − T', () => {
    const fast = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 4000, 200);
    expect(check('LIVE-1', fast, 4000).evidence).toMatch(/started only 200 ms after/);
    const retry = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1');
    retry.poll(0, 'w1', ALICE, { status: 503 });
    retry.poll(1000);
    expect(check('LIVE-1', retry, 4000).verdict).toBe('fail');
  });

  it('does not compare polls across a remount or the app’s background time', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').poll(0);
    b.action(300, 'w1', 'unmountWidget').mount(600, 'w1', ALICE, 'chat-a1').polls(600, 5000);
    b.fault(5000, 0, 'app-background', { node: 'w1', timers: 'suspend' }).faultEnd(9000, 0, 'app-background');
    b.poll(9000).poll(9010);
    expect(check('LIVE-1', b, 10_000)).toMatchObject({ verdict: 'pass' });
  });

  it('is not exercised by a session with a single poll', () => {
    expect(check('LIVE-1', new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').poll(0), 1000).verdict).toBe('not-exercised');
  });
});

describe('LIVE-8: the widget keeps polling', () => {
  it('passes a fixed 2 s interval and a loop chained 2 s after each answer', () => {
    expect(check('LIVE-8', new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 9000), 9000)).toMatchObject({ verdict: 'pass' });
    const chained = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1');
    for (let t = 0; t < 12_000; t += 2040) chained.poll(t);
    expect(check('LIVE-8', chained, 12_000)).toMatchObject({ verdict: 'pass' });
  });

  it('passes a loop that backs off after failures (within 30 s + T) and resumes its beat', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').poll(0);
    b.poll(2000, 'w1', ALICE, { status: 503 });
    b.poll(6000, 'w1', ALICE, { failAfter: 5 });
    b.polls(20_000, 26_000);
    expect(check('LIVE-8', b, 26_000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails a first poll that waits for the interval', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(2000, 8000);
    expect(check('LIVE-8', b, 8000).evidence).toMatch(
      /no poll between 0\.0 s and 2\.0 s \(poll w1\/http#1\); after the mount at 0\.0 s the next was due by 0\.29 s/,
    );
  });

  it('fails a missed beat after an answer, and a loop that stops while the widget stays mounted', () => {
    const slow = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 12_000, 3000);
    expect(check('LIVE-8', slow, 12_000).evidence).toMatch(/after poll w1\/http#1 was answered 200 at 0\.04 s the next was due by 2\.33 s/);
    const stopped = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 4000);
    expect(check('LIVE-8', stopped, 12_000).evidence).toMatch(
      /polling stopped: after poll w1\/http#2 was answered 200 at 2\.04 s the next poll was due by 4\.33 s/,
    );
  });

  it('fails a loop that stops after a failed poll, once the 30 s allowance is over', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').poll(0);
    b.poll(2000, 'w1', ALICE, { status: 503 });
    const f = check('LIVE-8', b, 40_000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(/after poll w1\/http#2 failed \(503\) at 2\.04 s the next poll was due by 32\.33 s/);
    expect(check('LIVE-8', b, 30_000).verdict).toBe('pass');
  });

  it('lets a chat change of the same email continue the beat of the loop', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 3000);
    b.action(3000, 'w1', 'switchChat', { chat: 'chat-a2' }).polls(4000, 9000);
    expect(check('LIVE-8', b, 9000)).toMatchObject({ verdict: 'pass' });
    const other = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 3000);
    other.mount(3000, 'w1', CAROL, 'chat-c1').polls(4000, 9000, 2000, 'w1', CAROL);
    expect(check('LIVE-8', other, 9000).evidence).toMatch(/after the chat change at 3\.0 s the next was due by 3\.29 s/);
  });

  it('carries the beat through a chat change undone at once (a session with no poll of its own)', () => {
    // chat-a1 → chat-a2 → chat-a1 within 1 ms: the loop of alice's email keeps its beat from poll #2 (answered at 2.04 s).
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 3000);
    b.action(3000, 'w1', 'switchChat', { chat: 'chat-a2' }).action(3001, 'w1', 'switchChat', { chat: 'chat-a1' });
    b.polls(4040, 10_000);
    expect(check('LIVE-8', b, 10_000)).toMatchObject({ verdict: 'pass' });
    // The same through mountWidget with the same email, and over two empty sessions.
    const twice = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 3000);
    twice.mount(3000, 'w1', ALICE, 'chat-a2').mount(3001, 'w1', ALICE, 'chat-a1').action(3002, 'w1', 'switchChat', { chat: 'chat-a2' });
    twice.polls(4040, 10_000);
    expect(check('LIVE-8', twice, 10_000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails a missed beat after a chat change undone at once, and does not carry a beat across another email', () => {
    const late = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 3000);
    late.action(3000, 'w1', 'switchChat', { chat: 'chat-a2' }).action(3001, 'w1', 'switchChat', { chat: 'chat-a1' });
    late.polls(5000, 10_000);
    const f = check('LIVE-8', late, 10_000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(
      /w1's widget on alice@example\.com \/ chat-a1 \(from 3\.001 s\): no poll between 2\.0 s and 5\.0 s \(poll w1\/http#3\); after poll w1\/http#2 was answered 200 at 2\.04 s the next was due by 4\.33 s/,
    );
    expect(f.at).toBe(4330);
    // alice → carol → alice: carol's session started a loop of its own, so alice's new one polls at once.
    const other = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 3000);
    other.mount(3000, 'w1', CAROL, 'chat-c1').mount(3001, 'w1', ALICE, 'chat-a1').polls(4040, 10_000);
    expect(check('LIVE-8', other, 10_000).evidence).toMatch(
      /\(from 3\.001 s\): no poll between 3\.001 s and 4\.04 s \(poll w1\/http#3\); after the chat change at 3\.001 s the next was due by 3\.291 s/,
    );
  });

  it('does not judge the app’s background time, and ends a session at unmount', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').poll(0);
    b.fault(1000, 0, 'app-background', { node: 'w1', timers: 'suspend' }).faultEnd(11_000, 0, 'app-background');
    b.polls(11_000, 14_000).action(13_500, 'w1', 'unmountWidget');
    expect(check('LIVE-8', b, 20_000)).toMatchObject({ verdict: 'pass' });
  });

  it('is not exercised without a mounted widget', () => {
    expect(check('LIVE-8', new TraceBuilder(), 5000).verdict).toBe('not-exercised');
  });
});

describe('LIVE-2: no stale update after unmount or chat change', () => {
  const mounted = (): TraceBuilder => new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').widget(40, 'w1', ['chat-a1-s1', 'chat-a1-s2']);

  it('passes an unmount after which nothing changes and nothing polls', () => {
    const b = mounted();
    b.poll(0);
    b.action(2001, 'w1', 'unmountWidget').widget(2001, 'w1', [], { mounted: false });
    b.poll(2000); // in flight at the unmount, answered at 2040: ignored
    expect(check('LIVE-2', b, 10_000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails a state update from an answer that arrived after unmount', () => {
    const b = mounted();
    b.poll(0);
    b.poll(2000);
    b.action(2001, 'w1', 'unmountWidget').widget(2001, 'w1', [], { mounted: false });
    b.widget(2040, 'w1', ['chat-a1-s1', 'chat-a1-s2'], { mounted: false });
    const f = check('LIVE-2', b, 10_000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(
      /w1 showed messages chat-a1-s1, chat-a1-s2 at 2\.04 s, after .* was unmounted at 2\.001 s \(the answer of w1\/http#2, started 2\.0 s, had just arrived\)/,
    );
  });

  it('fails a poll after unmount', () => {
    const b = mounted();
    b.poll(0);
    b.action(1000, 'w1', 'unmountWidget').poll(2000);
    expect(check('LIVE-2', b, 10_000).evidence).toMatch(
      /poll w1\/http#2 GET \/api\/users\/alice%40example\.com\/chats at 2\.0 s: .* was unmounted at 1\.0 s/,
    );
  });

  it('passes a chat change whose old messages linger until the new chat’s answer replaces them', () => {
    const b = mounted().action(2001, 'w1', 'switchChat', { chat: 'chat-a2' });
    b.widget(2001, 'w1', ['chat-a1-s1', 'chat-a1-s2'], { chat: 'chat-a2' }).widget(2040, 'w1', ['chat-a2-s1', 'chat-a2-s2'], {
      chat: 'chat-a2',
    });
    expect(check('LIVE-2', b, 10_000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails old-chat messages coming back after the chat changed', () => {
    const b = mounted().action(2001, 'w1', 'switchChat', { chat: 'chat-a2' });
    b.widget(2001, 'w1', [], { chat: 'chat-a2' }).widget(2040, 'w1', ['chat-a1-s1', 'chat-a1-s2'], { chat: 'chat-a2' });
    expect(check('LIVE-2', b, 10_000).evidence).toMatch(
      /w1 showed chat-a1's messages chat-a1-s1, chat-a1-s2 at 2\.04 s, after .* was changed to chat-a2 at 2\.001 s/,
    );
  });

  it('fails a poll of the old email after the widget moved to another customer', () => {
    const b = mounted().mount(2001, 'w1', CAROL, 'chat-c1');
    b.poll(2001, 'w1', CAROL);
    b.poll(4000, 'w1', ALICE);
    expect(check('LIVE-2', b, 10_000).evidence).toMatch(/for the old email/);
  });

  it('is not exercised without an unmount or a change', () => {
    expect(check('LIVE-2', mounted(), 10_000).verdict).toBe('not-exercised');
  });
});

/** A widget on alice / chat-a1 from 0, polling every 2 s, showing the seeded messages; message `m9` put in the chat at 1000. */
function delivered(kind: 'replaced' | 'agent' | 'customer', shownAt: number | undefined, o: { keepOld?: boolean } = {}): TraceBuilder {
  const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 6000).widget(40, 'w1', ['chat-a1-s1', 'chat-a1-s2']);
  if (kind === 'replaced') b.replaced(1000, 'm9', 'chat-a1-s2');
  else b.stored(1000, { id: 'm9', role: kind === 'agent' ? 'agent' : 'user', request: 'd1/http#1' });
  if (shownAt !== undefined)
    b.widget(
      shownAt,
      'w1',
      kind === 'replaced' ? (o.keepOld ? ['chat-a1-s1', 'chat-a1-s2', 'm9'] : ['chat-a1-s1', 'm9']) : ['chat-a1-s1', 'chat-a1-s2', 'm9'],
    );
  return b;
}

describe('LIVE-3: a replaced message is shown in place of the old one', () => {
  it('passes when the replacement shows up with the first answer that lists it', () => {
    expect(check('LIVE-3', delivered('replaced', 2040), 8000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails when the widget keeps the replaced message (same count)', () => {
    const f = check('LIVE-3', delivered('replaced', undefined), 8000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(
      /the replacement m9 \(chat-a1, stored at 1\.0 s\) was not shown by w1's widget .* within T \(290 ms\) of poll w1\/http#2's answer at 2\.04 s, which listed it/,
    );
  });

  it('fails when the widget shows the replacement next to the message it replaced', () => {
    expect(check('LIVE-3', delivered('replaced', 2040, { keepOld: true }), 8000).verdict).toBe('fail');
  });

  it('is not exercised when no answer listed the replacement (a failed poll, the edge)', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').poll(0);
    b.replaced(1000, 'm9', 'chat-a1-s2');
    b.poll(2000, 'w1', ALICE, { status: 503 });
    expect(check('LIVE-3', b, 4000).verdict).toBe('not-exercised');
  });
});

describe('LIVE-7: an agent’s message is shown by the widget', () => {
  it('passes when the first answer that lists it shows it', () => {
    expect(check('LIVE-7', delivered('agent', 2040), 8000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails when the widget shows it only later', () => {
    const f = check('LIVE-7', delivered('agent', 4040), 8000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(
      /agent message m9 \(chat-a1, stored at 1\.0 s\) was not shown .* of poll w1\/http#2's answer at 2\.04 s, which listed it; it appeared at 4\.04 s/,
    );
  });

  it('is not judged for a widget on another chat, nor for an answer served before the message was stored', () => {
    const other = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a2').polls(0, 6000).stored(1000, { id: 'm9', role: 'agent' });
    expect(check('LIVE-7', other, 8000).verdict).toBe('not-exercised');
    const early = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').poll(0);
    early.stored(1000, { id: 'm9', role: 'agent' });
    expect(check('LIVE-7', early, 8000).verdict).toBe('not-exercised');
  });
});

describe('LIVE-12: a customer’s message is shown by the widget', () => {
  it('passes when the widget shows it (from the acknowledgement or the next answer)', () => {
    expect(check('LIVE-12', delivered('customer', 1040), 8000)).toMatchObject({ verdict: 'pass' });
  });

  it('fails when a poll answer lists it and the widget never shows it', () => {
    const f = check('LIVE-12', delivered('customer', undefined), 8000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(/customer message m9 .* which listed it$/);
  });

  it('judges a remounted view by its own first answer', () => {
    const b = delivered('customer', 1040);
    b.action(6000, 'w1', 'unmountWidget').widget(6000, 'w1', [], { mounted: false });
    b.mount(7000, 'w1', ALICE, 'chat-a1').poll(7000);
    b.widget(7040, 'w1', ['chat-a1-s1', 'chat-a1-s2']);
    expect(check('LIVE-12', b, 9000).evidence).toMatch(/\(from 7\.0 s\) within T \(290 ms\) of poll w1\/http#4's answer at 7\.04 s/);
  });
});

describe('restored widgets', () => {
  it('are judged from the restart when they poll on their own, whatever their snapshot says', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 3000);
    b.restart(3000, 'w1').widget(3000, 'w1', [], { mounted: false });
    b.polls(3000, 9000).polls(3050, 9000);
    const f = check('LIVE-1', b, 9000);
    expect(f.verdict).toBe('fail'); // the restored session runs two loops
    expect(f.evidence).toMatch(/w1's widget on alice@example\.com \/ chat-a1 \(from 3\.0 s\)/);
  });

  it('are judged from the restart when they show themselves mounted', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 3000);
    b.restart(3000, 'w1').widget(3000, 'w1', [], { mounted: true });
    expect(check('LIVE-8', b, 9000).evidence).toMatch(
      /\(from 3\.0 s\): polling stopped: after the restart at 3\.0 s the next poll was due by 3\.29 s/,
    );
  });
});

describe('LIVE-13: the widget shows only its current chat', () => {
  it('passes when every message shown after the first answer is the chat’s own', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 6000).widget(40, 'w1', ['chat-a1-s1', 'chat-a1-s2']);
    expect(check('LIVE-13', b, 8000).verdict).toBe('pass');
  });

  it('fails when a snapshot after the first answer shows a message of another chat', () => {
    const b = new TraceBuilder().mount(0, 'w1', ALICE, 'chat-a1').polls(0, 6000).widget(40, 'w1', ['chat-a1-s1', 'chat-a2-s1']);
    const f = check('LIVE-13', b, 8000);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toMatch(/showed 1 message of other chats at .*chat-a2-s1 \(chat-a2\)/);
  });
});
