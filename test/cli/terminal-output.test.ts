import { describe, expect, it } from 'vitest';
import type { ClientCheckResult, RequirementResult } from '../../src/conformance/check.js';
import { findingLine, fit, propertyRate, requirementTable } from '../../src/cli/print.js';
import { clientProgress, finalStatus } from '../../src/cli/progress.js';
import { colored, plain, useColor } from '../../src/cli/style.js';

const q = (id: string, text: string, extra: Partial<RequirementResult> = {}): RequirementResult => ({
  id,
  level: 'MUST',
  text,
  source: '§1',
  subject: 'client',
  verdict: 'pass',
  exercised: 5,
  passed: 5,
  failed: 0,
  notExercised: 1,
  exercisedInPropertyRuns: 237,
  propertyRuns: 326,
  ...extra,
});

const result = (extra: Partial<ClientCheckResult>): ClientCheckResult => ({
  protocol: 'chat',
  client: 'reference',
  scenarios: [],
  requirements: [],
  runs: [],
  exitCode: 0,
  wallMs: 4200,
  ...extra,
});

describe('colour', () => {
  const tty = { isTTY: true, hasColors: () => true };
  it.each([
    ['a terminal', tty, {}, true],
    ['a pipe', { isTTY: false }, {}, false],
    ['NO_COLOR on a terminal', tty, { NO_COLOR: '1' }, false],
    ['FORCE_COLOR into a pipe', { isTTY: false }, { FORCE_COLOR: '1' }, true],
    ['FORCE_COLOR=0 on a terminal', tty, { FORCE_COLOR: '0' }, false],
    ['FORCE_COLOR over NO_COLOR (as Node does)', tty, { FORCE_COLOR: '1', NO_COLOR: '1' }, true],
    ['a terminal without colours (TERM=dumb)', { isTTY: true, hasColors: () => false }, {}, false],
  ])('%s', (_what, stream, env, expected) => expect(useColor(stream, env)).toBe(expected));
  it('paints with styleText, and not at all without colour', () => {
    expect(colored('red', 'FAIL')).toBe('\x1b[31mFAIL\x1b[39m');
    expect(plain('red', 'FAIL')).toBe('FAIL');
  });
});

describe('the requirement table', () => {
  const long = 'x'.repeat(200);
  const r = { requirements: [q('CHAT-1', long), q('CHAT-13', 'short', { level: 'SHOULD', verdict: 'non-strict', failed: 1, passed: 4 })] };
  it('cuts the text to the terminal width, and not at all without one', () => {
    for (const width of [100, 160]) {
      const lines = requirementTable(r, { width }).split('\n');
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(width);
      expect(lines[1]).toMatch(/x…$/);
    }
    expect(requirementTable(r).split('\n')[1]).toContain(long);
  });
  it('shows how often the property runs exercised each requirement', () => {
    const lines = requirementTable(r).split('\n');
    expect(lines[0]).toContain('in property runs');
    expect(lines[1]).toContain('237/326 (73%)');
    expect(propertyRate({ propertyRuns: 0 })).toBe('-');
    expect(fit('abcdef', 4)).toBe('abc…');
  });
  it('colours verdicts only when asked, padding on the plain text', () => {
    const painted = requirementTable(r, { paint: colored }).split('\n');
    expect(painted[2]).toContain('\x1b[33mNON-STRICT\x1b[39m');
    expect(painted[1]!.replace(/\x1b\[\d+m/g, '')).toBe(requirementTable(r).split('\n')[1]);
  });
});

describe('one verdict word everywhere', () => {
  it('a violated SHOULD is NON-STRICT in a run line, as in the check table', () => {
    expect(findingLine({ requirement: 'CHAT-13', verdict: 'fail', evidence: 'e' }, 'SHOULD')).toMatch(/^CHAT-13 +NON-STRICT +e$/);
    expect(findingLine({ requirement: 'CHAT-2', verdict: 'fail', evidence: 'e' }, 'MUST')).toMatch(/^CHAT-2 +FAIL +e$/);
  });
});

describe('progress', () => {
  const sink = (tty: boolean) => {
    const written: string[] = [];
    let t = 0;
    return { written, sink: { tty, write: (s: string) => written.push(s), line: (s: string) => written.push(`${s}\n`), now: () => (t += 50) } };
  };
  const cx = result({
    exitCode: 1,
    scenarios: Array.from({ length: 3 }, (_, i) => ({ index: i, name: `s${i}`, hash: '', findings: [], mismatches: [], wallMs: 1 })),
    property: { runs: 41, seed: 1, counterexample: { foundAt: 40, shrunk: true, shrinks: 12 } as never },
  });
  it('in CI logs: nothing while runs go on, one line when shrinking starts, one final line with the true count', () => {
    const { written, sink: s } = sink(false);
    const p = clientProgress('chat / reference', s);
    for (let i = 1; i <= 44; i++) p.progress(i, 1003, i === 44 ? 1 : 0);
    p.shrink(0);
    p.shrink(1);
    p.end(cx);
    expect(written).toEqual([
      '  chat / reference: a property run failed after 44 runs; shrinking it…\n',
      '  chat / reference: 44/1,003 runs (3 scenarios, 41 property runs), 1 failing run, stopped at failing property run 40, shrunk in 12 steps, 4.2 s: FAIL\n',
    ]);
  });
  it('on a terminal: a bar redrawn in place, a shrinking state, and a final state that matches the result', () => {
    const { written, sink: s } = sink(true);
    const p = clientProgress('chat / reference', s);
    for (let i = 1; i <= 44; i++) p.progress(i, 1003, 0);
    p.shrink(0);
    p.end(cx);
    expect(written.some((w) => w.includes('shrinking…'))).toBe(true);
    const last = written.at(-1)!;
    expect(last.startsWith('\r')).toBe(true);
    expect(last.endsWith('\x1b[K\n')).toBe(true);
    expect(last).toContain('44/1,003 runs');
    expect(finalStatus(result({ property: { runs: 1000, seed: 1 } }), 1000, 0)).toBe('1,000/1,000 runs (0 scenarios, 1,000 property runs), 0 failing runs, 4.2 s');
  });
});
