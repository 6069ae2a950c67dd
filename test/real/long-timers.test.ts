import { afterEach, describe, expect, it, vi } from 'vitest';

// The application's long timers on a fake clock: fake-timers, like Node, fires a delay past
// 2³¹−1 ms after 1 ms, so this shows the stepping waits the whole delay. The kernel
// captures the timer functions when its module loads: install the fake clock first.

afterEach(() => {
  vi.useRealTimers();
  vi.resetModules();
});

describe('createRealTimers: delays past what Node timers hold', () => {
  it('a timeout of 2³¹ + 5 ms fires once, then and not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    vi.resetModules();
    const { createRealTimers } = await import('../../src/real/clock.js');
    const timers = createRealTimers('server', () => undefined);
    let fired = 0;
    const delay = 2 ** 31 + 5;
    timers.setTimeout(() => fired++, delay);
    vi.advanceTimersByTime(delay - 1);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(1);
    vi.advanceTimersByTime(3 * delay);
    expect(fired).toBe(1);
  });

  it('an interval of 2³² ms fires once per period; clearing it stops it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    vi.resetModules();
    const { createRealTimers } = await import('../../src/real/clock.js');
    const timers = createRealTimers('server', () => undefined);
    let fired = 0;
    const period = 2 ** 32;
    const h = timers.setInterval(() => fired++, period);
    vi.advanceTimersByTime(period - 1);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(1);
    vi.advanceTimersByTime(period);
    expect(fired).toBe(2);
    timers.clearInterval(h);
    vi.advanceTimersByTime(3 * period);
    expect(fired).toBe(2);
  });
});
