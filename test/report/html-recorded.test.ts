import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// A real-socket run (or any trace given to `lockstep judge`) gets its failure timeline from
// the recorded trace: the report never re-runs it in the simulator, where a `cmd:` client
// cannot run. The runner is wrapped to prove that no simulation starts.
const simulated = vi.hoisted(() => ({ runs: 0 }));
vi.mock('../../src/conformance/runner.js', async (orig) => {
  const m = await orig<typeof import('../../src/conformance/runner.js')>();
  return {
    ...m,
    runScenario: (...a: Parameters<typeof m.runScenario>) => {
      simulated.runs++;
      return m.runScenario(...a);
    },
  };
});
const { main } = await import('../../src/cli/main.js');
const { judgedTraceFile } = await import('../../src/conformance/reporters/html-recorded.js');

const fixture = 'test/real/fixtures/chat-real-two-pollers-trace.jsonl';
const dir = 'reports/html-recorded';

describe('the HTML report of a recorded trace (lockstep judge --report)', () => {
  it('draws the failure timeline from the trace file, without any simulator run', async () => {
    rmSync(dir, { recursive: true, force: true });
    const lines: string[] = [];
    const code = await main(['judge', fixture, '--protocol', 'chat', '--report', dir], (s) => lines.push(s));
    expect(code, lines.join('\n')).toBe(1);
    expect(simulated.runs).toBe(0);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    const failure = /<details class="failure"[^>]*data-requirement="CHAT-6"[^>]*>[\s\S]*?<\/details>/.exec(html)?.[0];
    expect(failure).toBeDefined();
    expect(failure).toContain('data-source="recorded"');
    expect(failure).toContain('drawn from the recorded trace');
    expect(failure).not.toContain('No timeline');
    // The violating step (the second poll, c1/http#40) is a marked row among drawn rows.
    const seq = readFileSync(fixture, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { seq: number; ev: string; id?: string })
      .find((e) => e.ev === 'http.request' && e.id === 'c1/http#40')!.seq;
    expect(failure).toMatch(new RegExp(`class="tl-row violation" data-seq="${seq}"`));
    expect((failure!.match(/class="tl-row( |")/g) ?? []).length).toBeGreaterThan(10);
    // Both polls are drawn as request bars on the client's lane.
    expect(failure).toContain('data-id="c1/http#4"');
    expect(failure).toContain('data-id="c1/http#40"');
    // The fault plan is the one the recorded run went through.
    expect(failure).toContain('Faults the recorded run went through');
  });

  it('reads the trace file a judge replay command names', () => {
    expect(judgedTraceFile('lockstep judge reports/x/traces/a.jsonl --protocol chat --scenario s.yaml')).toBe('reports/x/traces/a.jsonl');
    expect(judgedTraceFile("npx lockstep judge 'a b.jsonl' --protocol chat")).toBe('a b.jsonl');
    expect(judgedTraceFile('npx lockstep replay reports/failures/x.json')).toBeUndefined();
    expect(judgedTraceFile(undefined)).toBeUndefined();
  });
});
