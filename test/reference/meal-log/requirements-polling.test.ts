import { describe, expect, it } from 'vitest';
import { check, completed, processing, TraceBuilder } from './trace-builder.js';

// The polling requirements: MEAL-3, MEAL-5, MEAL-8, MEAL-11, MEAL-15. T = 290 ms.
// `meal(t, text)` submits a meal whose upload is answered at t + 40 ms with the meal
// processing: from then on the client knows of a meal processing.

describe('MEAL-3: no poll while verified', () => {
  it('fails a poll while the first socket is verified and healthy', () => {
    const b = new TraceBuilder();
    b.get(0);
    b.verifiedSocket(0);
    b.get(10_000);
    const f = check('MEAL-3', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('polled (c1/http#2 GET /api/v1/meal-logs) at 10.0 s while c1/ws#1 was verified since 0.04 s');
  });
  it('passes a catch-up load right after verification, and polls once the socket closed', () => {
    const b = new TraceBuilder();
    b.get(0);
    const a = b.verifiedSocket(0);
    b.get(500).close(5000, a).get(10_000);
    expect(check('MEAL-3', b).verdict).toBe('pass');
  });
  it('classes the retry of a failed load as a poll while a later load is in flight (two loads at once)', () => {
    const build = (secondLoad: boolean): TraceBuilder => {
      const b = new TraceBuilder();
      b.verifiedSocket(0);
      b.get(0, { status: 503 }); // the launch load fails at 0.04 s
      if (secondLoad) b.view(500).get(500, { dur: 10_000 }); // NutritionView's load, answered at 10.5 s
      b.get(5000); // the client's retry of the launch load
      return b;
    };
    expect(check('MEAL-3', build(false)).verdict).toBe('pass');
    const f = check('MEAL-3', build(true));
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('polled (c1/http#3 GET /api/v1/meal-logs) at 5.0 s');
  });
  it('passes the document\u2019s refresh after a pushed completion (loadDataForSelectedDate) while verified', () => {
    const b = new TraceBuilder();
    const a = b.verifiedSocket(0);
    b.meal(1000, 'eggs').push(27_000, a).get(27_000);
    expect(check('MEAL-3', b).verdict).toBe('pass');
  });
  it('does not blame polls while the verified socket is silent beyond H + T', () => {
    const b = new TraceBuilder();
    b.verifiedSocket(0);
    b.get(20_500);
    expect(check('MEAL-3', b).verdict).toBe('pass');
  });
});

describe('MEAL-5: polling stops when nothing is processing (judged from the server\u2019s answers)', () => {
  it('fails a poll after the server said the meal was completed — whatever the client\u2019s view says', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs').finish(20_000).get(25_000);
    b.snap(31_000, [processing()]).get(31_000);
    const f = check('MEAL-5', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'c1 polled (c1/http#3 GET /api/v1/meal-logs) at 31.0 s although the server had told it (by 25.04 s) that none of its meals was processing',
    );
  });
  it('passes polls while the server says the meal is processing, even if the client\u2019s view says otherwise', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs').get(6000);
    b.snap(6100, [completed()]).get(11_000);
    expect(check('MEAL-5', b).verdict).toBe('pass');
  });
  it('passes a poll while a submitted meal has no answer yet', () => {
    const b = new TraceBuilder();
    b.get(0).submit(3000, 'eggs').get(8000);
    expect(check('MEAL-5', b).verdict).toBe('pass');
  });
  it('passes a poll after a pushed completion that the client refreshes instead of reading (the document\u2019s handler), when the refresh never came back', () => {
    const b = new TraceBuilder();
    b.get(0);
    const a = b.verifiedSocket(0);
    b.meal(1000, 'eggs').finish(27_000).push(27_020, a);
    b.add(27_020, 'http.request', { id: 'c1/http#9', node: 'c1', method: 'GET', url: 'http://lockstep.test/api/v1/meal-logs' });
    b.close(30_000, a).get(35_000);
    expect(check('MEAL-5', b).verdict).toBe('pass');
  });
  it('is not exercised before a listing told the client its meals', () => {
    const b = new TraceBuilder();
    b.get(5000, { fail: true, dur: 100 }).get(12_000, { fail: true, dur: 100 });
    expect(check('MEAL-5', b).verdict).toBe('not-exercised');
  });
});

describe('MEAL-8 (SHOULD): adaptive polling', () => {
  /** A meal processing from 1.04 s; polls (40 ms each) from 6 s on, `gaps` apart (from a poll's end to the next one's start). */
  const polls = (gaps: number[]): { b: TraceBuilder; t: number } => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs');
    let t = 6000;
    b.get(t);
    for (const g of gaps) {
      t += 40 + g;
      b.get(t);
    }
    return { b, t };
  };
  it('fails polls that keep a 5 s interval after 4 unchanged polls', () => {
    const f = check('MEAL-8', polls([5000, 5000, 5000, 5000]).b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain(
      'polled at 26.16 s, 5.04 s after the previous poll started and 5.0 s after it ended; the adaptive interval was 7.5 s',
    );
  });
  it('passes growth from the 3rd unchanged poll on (this spec\u2019s reading) and from the 4th (the document\u2019s literal `> 3`)', () => {
    expect(check('MEAL-8', polls([5000, 5000, 7500, 11_250, 16_875, 25_312.5, 30_000]).b).verdict).toBe('pass');
    expect(check('MEAL-8', polls([5000, 5000, 5000, 7500, 11_250, 16_875, 25_312.5, 30_000]).b).verdict).toBe('pass');
  });
  it('passes a timer-driven loop (the interval from one poll\u2019s start to the next; at once after a poll that outlasted it)', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs');
    for (const t of [6000, 11_000, 16_000, 23_500]) b.get(t, { dur: 900 });
    // 11.25 s after the last start; that poll takes 20 s, longer than the next interval (16.875 s)
    b.get(34_750, { dur: 20_000, fail: true }).get(54_750);
    expect(check('MEAL-8', b).verdict).toBe('pass');
  });
  it('fails a poll sooner than the interval after the previous one started', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs');
    for (const t of [6000, 11_000, 16_000, 21_000]) b.get(t, { dur: 900 });
    b.get(27_000, { dur: 900 });
    expect(check('MEAL-8', b).evidence).toContain(
      'polled at 27.0 s, 6.0 s after the previous poll started and 5.1 s after it ended; the adaptive interval was 7.5 s',
    );
  });
  it('expects 5 s again (or the same interval) after a poll that made a meal final', () => {
    const { b, t } = polls([5000, 5000, 7500]);
    b.meal(1500, 'toast', 'L2', 'ml-2').finish(t - 1000, 'ml-1');
    // the 4th poll (at t) showed ml-1 completed: 5 s next, or 11.25 s kept
    b.get(t + 40 + 5000);
    expect(check('MEAL-8', b).verdict).toBe('pass');
  });
  it('accepts any point of the ladder when a load came earlier in the run (the first poll after a failed load is classed as its retry)', () => {
    const b = new TraceBuilder();
    b.get(0, { status: 503 }).meal(1000, 'eggs');
    // 6 s: a poll to the client, a retry of the failed launch load to the checker
    for (const t of [6000, 11_040, 16_080]) b.get(t);
    b.get(16_120 + 7500).get(16_120 + 7500 + 40 + 11_250);
    expect(check('MEAL-8', b).verdict).toBe('pass');
  });
  it('does not count NutritionView reloads or retries of a failed load as polls (a permitted design)', () => {
    const { b, t } = polls([5000, 5000]);
    // The view reloads 2 s after a poll, the reload fails and is retried after 1.5 s; the polling loop keeps its own rhythm.
    b.view(t + 2000)
      .get(t + 2000, { status: 503 })
      .get(t + 3540);
    b.get(t + 40 + 7500).get(t + 40 + 7500 + 40 + 11_250);
    const f = check('MEAL-8', b);
    expect(f.verdict).toBe('pass');
  });
});

describe('MEAL-11: polling while processing and not verified', () => {
  it('fails a client that does not poll while its meal processes without a verified socket', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs').finish(20_000);
    const f = check('MEAL-11', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toBe(
      'c1 did not poll: a meal was processing with no verified socket from 1.04 s, but no listing request started by 6.33 s',
    );
  });
  it('judges what the server said, not the client\u2019s view: a view that claims the meal completed does not excuse the client', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs').snap(1100, [completed()]);
    expect(check('MEAL-11', b).verdict).toBe('fail');
  });
  it('fails polls that stop while the meal is still processing', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs').get(6000).finish(90_000);
    expect(check('MEAL-11', b).evidence).toContain(
      'its last listing request (c1/http#2 GET /api/v1/meal-logs, started at 6.0 s) ended at 6.04 s',
    );
  });
  it('passes polling every 5 s, and time offline does not count', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs').get(6000).get(11_000).offline(12_000, 50_000).get(50_000).get(55_000).finish(56_000).get(60_000);
    expect(check('MEAL-11', b).verdict).toBe('pass');
  });
  it('counts from the end of an offline period, also when the last request failed as the device went offline', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs').get(6000).offline(8000, 60_000).get(8000, { fail: true, dur: 0 }).get(89_000).finish(90_000).get(95_000);
    expect(check('MEAL-11', b, 120_000, 300_000).verdict).toBe('pass');
  });
  it('accepts a request that takes up to 60 s (iOS\u2019s default timeout), then 30 s to the next', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs').get(6000, { fail: true, dur: 59_000 }).get(95_000).finish(96_000).get(100_000);
    expect(check('MEAL-11', b, 120_000, 300_000).verdict).toBe('pass');
  });
  it('fails a request left hanging beyond 60 s + T', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs').add(6000, 'http.request', {
      id: 'c1/http#9',
      node: 'c1',
      method: 'GET',
      url: 'http://lockstep.test/api/v1/meal-logs',
    });
    expect(check('MEAL-11', b, 120_000, 300_000).evidence).toContain('was still unanswered 60.29 s later');
  });
  it('lets a client stop polling for a meal the server lost in a restart (or poll on)', () => {
    const build = (state: 'keep' | 'lose'): TraceBuilder => {
      const b = new TraceBuilder();
      b.meal(1000, 'eggs').get(6000).serverRestart(8000, state).get(11_000);
      return b;
    };
    expect(check('MEAL-11', build('keep')).verdict).toBe('fail');
    expect(check('MEAL-11', build('lose')).verdict).toBe('pass');
    expect(check('MEAL-5', build('lose').get(16_000).get(21_000)).verdict).not.toBe('fail');
  });
  it('counts only answers that reached the client: a meal whose upload answer was lost starts no duty', () => {
    const b = new TraceBuilder();
    b.submit(1000, 'eggs');
    b.add(1000, 'http.request', { id: 'c1/http#9', node: 'c1', method: 'POST', url: 'http://lockstep.test/api/v1/meal-logs/natural' });
    b.add(1020, 'http.serve', {
      id: 'c1/http#9',
      method: 'POST',
      path: '/api/v1/meal-logs/natural',
      body: '{"localId":"L1","rawInput":"eggs"}',
    });
    b.created(1020, 'ml-1', 'L1', 'eggs', 'c1/http#9').add(1020, 'http.respond', { id: 'c1/http#9', status: 201 });
    b.add(1020, 'net.drop', { id: 'c1/http#9', envelope: 'http.response', dir: 'to-client', reason: 'drop' });
    b.add(11_000, 'http.fail', { id: 'c1/http#9', reason: 'timeout' });
    expect(check('MEAL-11', b).verdict).toBe('not-exercised');
  });
  it('ends the duty when a socket is verified', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs');
    b.verifiedSocket(3000);
    expect(check('MEAL-11', b).verdict).toBe('pass');
  });
});

describe('MEAL-15: at most one poll every 5 s', () => {
  it('fails polls 100 ms apart', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs').get(6000).get(6140).get(6280);
    const f = check('MEAL-15', b);
    expect(f.verdict).toBe('fail');
    expect(f.evidence).toContain('polled (c1/http#3 GET /api/v1/meal-logs) at 6.14 s, 140 ms after its previous poll (c1/http#2) started');
  });
  it('passes polls 5 s apart (start to start, within T), with loads between them', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs').get(6000).view(8000).get(8000).get(10_800).get(15_800);
    expect(check('MEAL-15', b).verdict).toBe('pass');
  });
  it('does not judge two polls with a verified socket between them', () => {
    const b = new TraceBuilder();
    b.meal(1000, 'eggs').get(6000);
    const a = b.verifiedSocket(7000);
    b.close(7500, a).get(9000);
    expect(check('MEAL-15', b).verdict).toBe('not-exercised');
  });
});
