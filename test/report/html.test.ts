import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient, type ClientCheckResult } from '../../src/conformance/check.js';
import { protocols, resolveClient } from '../../src/conformance/registry.js';
import { buildJsonReport, type JsonReport } from '../../src/conformance/reporters/index.js';
import { buildHtmlReport, collectFailures, htmlReporter } from '../../src/conformance/reporters/html.js';
import { timelineWindow, windowAfter, windowBefore } from '../../src/conformance/reporters/html-timeline.js';
import type { TraceEvent } from '../../src/sim/trace.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-html-'));
const options = { runs: 20, seed: 1, globals: false };

async function check(client: string, runs: number): Promise<{ result: ClientCheckResult; report: JsonReport }> {
  const result = await checkClient({ client: await resolveClient(client, 'chat'), runs, seed: 1, failureDir }, protocols);
  return { result, report: buildJsonReport([result], { ...options, runs }, '0.0.0') };
}

describe('the html reporter', () => {
  it('writes one self-contained index.html: no external script, style, image or link', async () => {
    const { result, report } = await check('zoo:chat/no-dedupe', 20);
    const html = await htmlReporter().render({ report, dir: failureDir, results: [result] });
    expect(htmlReporter().file).toBe('index.html');
    expect(html).not.toMatch(/<script[^>]+src=|<link\b|<img\b|\b(src|href)="(https?:)?\/\//i);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('class="tl-row violation"');
    expect(html.length).toBeLessThan(400_000);
  });

  it('draws the same timelines from the failure record alone (after a merge) as from the in-memory results', async () => {
    const { result, report } = await check('zoo:chat/no-dedupe', 20);
    const withResults = buildHtmlReport(report, await collectFailures({ report, results: [result] }));
    const fromRecords = buildHtmlReport(report, await collectFailures({ report }));
    expect(fromRecords).toBe(withResults);
  });

  it('re-runs a failing scenario file for a scenario failure', async () => {
    const { result, report } = await check('zoo:chat/no-dedupe', 0);
    const failures = await collectFailures({ report, results: [result] });
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f.requirement.firstFailure!.run).toMatch(/^scenario /);
      expect(f.noTimeline).toBeUndefined();
      expect(f.timeline!.highlight).toBe(f.requirement.firstFailure!.seq);
    }
  });

  it('escapes everything it shows (XSS-safe)', async () => {
    const { result, report } = await check('zoo:chat/no-dedupe', 0);
    const evil = '<img src=x onerror="alert(1)">&\'';
    const tampered: JsonReport = structuredClone(report);
    const q = tampered.clients[0]!.requirements.find((r) => r.firstFailure)!;
    q.text = evil;
    q.firstFailure!.evidence = evil;
    q.firstFailure!.replay = `lockstep replay ${evil}`;
    tampered.clients[0]!.client = `</script><script>alert(2)</script>`;
    const failures = await collectFailures({ report, results: [result] });
    const html = buildHtmlReport(
      tampered,
      failures.map((f) => (f.requirement.id === q.id ? { ...f, requirement: q } : f)),
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('onerror="');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;');
    expect(html.match(/<script>/g)).toHaveLength(1);
  });
});

describe('timelineWindow', () => {
  const events: TraceEvent[] = Array.from(
    { length: 500 },
    (_, seq) => ({ t: seq * 10, seq, ev: 'client.snapshot', node: 'c1', state: { n: seq } }) as TraceEvent,
  );

  it('keeps a capped window around the violating step', () => {
    const w = timelineWindow(events, ['c1'], 250);
    expect(w.steps).toHaveLength(windowBefore + windowAfter + 1);
    expect(w.highlight).toBe(250);
    expect(w.omittedBefore).toBe(250 - windowBefore);
    expect(w.omittedAfter).toBe(500 - 251 - windowAfter);
    expect(w.lanes).toEqual(['c1', 'network', 'server']);
  });

  it('shows the last steps when the finding names no step', () => {
    const w = timelineWindow(events, ['c1'], undefined);
    expect(w.steps.at(-1)!.seq).toBe(499);
    expect(w.highlight).toBeUndefined();
  });

  it('keeps a frame arrival when it is the violating step, and draws messages as arrows between lanes', () => {
    const trace = [
      { t: 0, seq: 0, ev: 'ws.send', id: 'c2/ws#1', dir: 'to-server', n: 0, data: '{}' },
      { t: 5, seq: 1, ev: 'ws.recv', id: 'c2/ws#1', dir: 'to-server', n: 0 },
      { t: 6, seq: 2, ev: 'ws.recv', id: 'c2/ws#1', dir: 'to-client', n: 0 },
    ] as TraceEvent[];
    const w = timelineWindow(trace, ['c1', 'c2'], 2);
    expect(w.steps.map((s) => s.seq)).toEqual([0, 2]);
    expect(w.steps[0]).toMatchObject({ from: 'c2', to: 'server', kind: 'frame' });
    expect(w.highlight).toBe(2);
  });
});
