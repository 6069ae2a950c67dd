import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient, inShard, scenarioFilesOf, shardSize, type RunRecord } from '../../src/conformance/check.js';
import { protocols, resolveClient } from '../../src/conformance/registry.js';
import {
  buildJsonReport,
  buildJunitXml,
  mergeReports,
  serializeJsonReport,
  type JsonReport,
} from '../../src/conformance/reporters/index.js';
import { main } from '../../src/cli/main.js';
import { compileSchema } from './xsd.js';

const junitSchema = compileSchema(readFileSync('test/fixtures/junit.xsd', 'utf8'));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A report's text with its directory replaced, and the marks of sharding and merging removed. */
function normalized(dir: string, file = 'report.json'): string {
  const text = readFileSync(join(dir, file), 'utf8').split(dir).join('<DIR>');
  // Wall times, the start and the host are the run's own, not the verdicts'.
  if (file !== 'report.json')
    return text.replace(/\n\s*<property name="merged.shards" value="\d+"\/>/, '').replace(/ (time|timestamp|hostname)="[^"]*"/g, '');
  const r = JSON.parse(text) as JsonReport;
  delete r.merged;
  delete r.options.shard;
  return serializeJsonReport(r);
}

/** Runs `check` unsharded and as 4 shards, merges the shards, and returns the directories. */
async function shardAndMerge(args: string[]): Promise<{ whole: string; merged: string; shards: string[]; codes: number[] }> {
  const root = mkdtempSync(join(tmpdir(), 'lockstep-shards-'));
  const whole = join(root, 'whole');
  const merged = join(root, 'merged');
  const shards = [1, 2, 3, 4].map((i) => join(root, `shard-${i}`));
  const codes = [(await cli('check', ...args, '--report', whole)).code];
  for (const [i, dir] of shards.entries()) codes.push((await cli('check', ...args, '--shard', `${i + 1}/4`, '--report', dir)).code);
  const m = await cli('merge', ...shards, '--report', merged);
  expect(m.err).toBe('');
  codes.push(m.code);
  return { whole, merged, shards, codes };
}

describe('sharding is deterministic and complete', () => {
  it('puts every index in exactly one shard', () => {
    for (const n of [0, 1, 3, 4, 25, 40, 41]) {
      for (const count of [1, 2, 3, 4, 7]) {
        const owners = Array.from({ length: n }, (_, i) => [...Array(count).keys()].filter((index) => inShard(i, { index, count })));
        expect(owners.every((o) => o.length === 1)).toBe(true);
        expect([...Array(count).keys()].reduce((s, index) => s + shardSize(n, { index, count }), 0)).toBe(n);
      }
    }
  });
});

describe('lockstep merge of 4 shards equals one unsharded check', () => {
  it('for the reference chat client (every run passes: all indices run, split 4 ways)', async () => {
    const { whole, merged, shards, codes } = await shardAndMerge(['--protocol', 'chat', '--runs', '40']);
    // A shard may miss a requirement another shard exercises (exit 3); the whole and the merge do not.
    expect([codes[0], codes.at(-1)]).toEqual([0, 0]);
    for (const c of codes.slice(1, -1)) expect([0, 3]).toContain(c);
    const parts = shards.map((d) => JSON.parse(readFileSync(join(d, 'report.json'), 'utf8')) as JsonReport);
    // Scenario files and property-run indices are split without overlap or gap.
    const scenarioIndices = parts.flatMap((p) => p.clients[0]!.scenarios.map((s) => s.index)).sort((a, b) => a - b);
    expect(scenarioIndices).toEqual([...scenarioFilesOf('chat').keys()]);
    const propertyIndices = parts
      .flatMap((p) => p.clients[0]!.runs.filter((r) => r.kind === 'property').map((r) => r.index))
      .sort((a, b) => a - b);
    expect(propertyIndices).toEqual([...Array(40).keys()]);
    expect(normalized(merged)).toBe(normalized(whole));
    expect(normalized(merged, 'junit.xml')).toBe(normalized(whole, 'junit.xml'));
    const report = JSON.parse(readFileSync(join(merged, 'report.json'), 'utf8')) as JsonReport;
    expect(report.merged).toEqual({ shards: 4 });
    expect(report.clients[0]!.property!.runs).toBe(40);
  });

  it('for a faulty variant: the same first failing run, counts, evidence and shrunk counterexample', async () => {
    // A variant whose first failing property run (seed 1) is late enough that other shards
    // run past it or fail later: the merge must cut their runs at the first failure. The
    // property model may change, so the variant is looked up rather than hard-coded.
    const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-probe-'));
    let variant: string | undefined;
    for (const name of Object.keys(protocols.get('chat')!.variants)) {
      const client = await resolveClient(`zoo:chat/${name}`, 'chat');
      const r = await checkClient({ client, runs: 40, seed: 1, failureDir, scenarioFiles: [] }, protocols);
      if ((r.property?.counterexample?.foundAt ?? -1) >= 3) {
        variant = name;
        break;
      }
    }
    expect(variant, 'a chat variant first failing at property run 3 or later').toBeDefined();
    const { whole, merged, shards, codes } = await shardAndMerge(['--protocol', 'chat', '--client', `zoo:chat/${variant}`, '--runs', '40']);
    expect(codes[0]).toBe(1);
    expect(codes.at(-1)).toBe(1);
    const w = JSON.parse(readFileSync(join(whole, 'report.json'), 'utf8')) as JsonReport;
    const foundAt = shards.map(
      (d) => (JSON.parse(readFileSync(join(d, 'report.json'), 'utf8')) as JsonReport).clients[0]!.property?.counterexample?.foundAt,
    );
    const cx = w.clients[0]!.property!.counterexample!;
    expect(cx.foundAt).toBe(Math.min(...foundAt.filter((x): x is number => x !== undefined)));
    // Other shards ran property runs beyond the first failure; the merge leaves them out.
    const beyond = shards.flatMap((d) =>
      (JSON.parse(readFileSync(join(d, 'report.json'), 'utf8')) as JsonReport).clients[0]!.runs.filter(
        (r) => r.kind === 'property' && r.index > cx.foundAt,
      ),
    );
    expect(beyond.length).toBeGreaterThan(0);
    expect(w.clients[0]!.property!.runs).toBe(cx.foundAt + 1);
    expect(normalized(merged)).toBe(normalized(whole));
    expect(normalized(merged, 'junit.xml')).toBe(normalized(whole, 'junit.xml'));
    expect(junitSchema.validate(readFileSync(join(merged, 'junit.xml'), 'utf8'))).toEqual([]);
    // The counterexample's failure record is copied next to the merged report and replays.
    const name = `chat--zoo-chat-${variant}--seed-1--run-${cx.foundAt}--shrunk.json`;
    const record = join(merged, 'failures', name);
    expect(readFileSync(record, 'utf8')).toBe(readFileSync(join(whole, 'failures', name), 'utf8'));
    const replay = await cli('replay', record, '--quiet');
    expect(replay.out).toContain('the same as recorded');
    expect(replay.code).toBe(1);
  });

  it("cuts every shard at the lowest failing index, keeps that shard's counterexample and first-failure evidence", () => {
    // Synthetic shards of 2 requirements (R-1 MUST, R-2 SHOULD) and 12 property runs.
    const requirements = [
      { id: 'R-1', level: 'MUST' as const, text: 'one', source: 's', subject: 'client' as const, verdict: 'pass' as const, exercised: 0, passed: 0, failed: 0, notExercised: 0 },
      { id: 'R-2', level: 'SHOULD' as const, text: 'two', source: 's', subject: 'client' as const, verdict: 'pass' as const, exercised: 0, passed: 0, failed: 0, notExercised: 0 },
    ];
    // Shard i runs indices i, i+3, ... and stops at its first R-1 failure: shard 0 at 9, shard 1 at 4, shard 2 never.
    const verdicts = (i: number) => (i === 4 || i === 9 ? 'FP' : i === 2 || i === 7 ? 'PF' : 'PP');
    const shardReport = (index: number): JsonReport => {
      const stop = index === 0 ? 9 : index === 1 ? 4 : Infinity;
      const runs: RunRecord[] = [];
      const failedBefore = new Set<string>();
      for (let i = index; i < 12 && i <= stop; i += 3) {
        const v = verdicts(i);
        const failures = [...v].flatMap((c, k) =>
          c === 'F' && !failedBefore.has(`R-${k + 1}`) ? [{ requirement: `R-${k + 1}`, evidence: `R-${k + 1} failed in run ${i}` }] : [],
        );
        for (const f of failures) failedBefore.add(f.requirement);
        runs.push({ kind: 'property', index: i, name: `property run ${i}`, verdicts: v, ...(failures.length ? { failures } : {}) });
      }
      const cx = stop !== Infinity ? { faults: 1, actions: 1, failed: ['R-1'], hash: `h${stop}`, shrinks: 2, foundAt: stop } : undefined;
      if (cx)
        runs.push({
          kind: 'counterexample',
          index: stop,
          name: `counterexample of ${stop}`,
          verdicts: 'FP',
          replay: `lockstep replay shard-${index}/failures/x.json`,
          failures: [{ requirement: 'R-1', evidence: `shrunk ${stop}` }],
        });
      return {
        format: 'lockstep-report',
        version: 3,
        tool: { name: 'lockstep', version: '1' },
        options: { runs: 12, seed: 1, globals: false, shard: { index, count: 3 } },
        clients: [
          {
            protocol: 'p',
            client: 'c',
            exitCode: cx ? 1 : 0,
            inconclusive: [],
            requirements,
            scenarios: [],
            runs,
            property: {
              runs: runs.filter((r) => r.kind === 'property').length,
              seed: 1,
              failureFile: cx ? `shard-${index}/failures/x.json` : undefined,
              counterexample: cx,
            },
            unexercisedEvidence: [],
          },
        ],
      };
    };
    const { report, copies } = mergeReports(
      [0, 1, 2].map((i) => ({ file: `shard-${i}/report.json`, report: shardReport(i) })),
      'out',
    );
    const c = report.clients[0]!;
    // An unsharded check stops at run 4: runs 0..4, then the counterexample of 4.
    expect(c.runs.map((r) => `${r.kind} ${r.index}`)).toEqual([
      'property 0',
      'property 1',
      'property 2',
      'property 3',
      'property 4',
      'counterexample 4',
    ]);
    expect(c.property).toEqual({
      runs: 5,
      seed: 1,
      failureFile: join('out', 'failures', 'x.json'),
      replay: `npx lockstep replay ${join('out', 'failures', 'x.json')}`,
      counterexample: { faults: 1, actions: 1, failed: ['R-1'], hash: 'h4', shrinks: 2, foundAt: 4 },
    });
    expect(copies).toEqual([{ from: join('shard-1', 'failures', 'x.json'), to: join('out', 'failures', 'x.json') }]);
    const [r1, r2] = c.requirements;
    expect([r1!.verdict, r1!.passed, r1!.failed, r1!.firstFailure!.evidence, r1!.firstFailure!.replay]).toEqual([
      'fail',
      4,
      2,
      'shrunk 4',
      `npx lockstep replay ${join('out', 'failures', 'x.json')}`,
    ]);
    // R-2 failed in run 2 (shard 2) and run 7 (shard 1, cut): one failure, the evidence of run 2.
    expect([r2!.verdict, r2!.passed, r2!.failed, r2!.firstFailure!.evidence]).toEqual(['non-strict', 5, 1, 'R-2 failed in run 2']);
    expect(c.exitCode).toBe(1);
  });

  it('for every registered protocol (reference client, a few scenarios, 12 property runs, 3 shards)', async () => {
    const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-protocols-'));
    for (const name of protocols.keys()) {
      const client = await resolveClient('reference', name);
      const scenarioFiles = scenarioFilesOf(name).slice(0, 4);
      const opts = { client, runs: 12, seed: 5, failureDir, scenarioFiles };
      const whole = buildJsonReport([await checkClient(opts, protocols)], { runs: 12, seed: 5, globals: false }, 't');
      const parts = [];
      for (let index = 0; index < 3; index++) {
        const shard = { index, count: 3 };
        parts.push({
          file: join(failureDir, `${name}-${index}`, 'report.json'),
          report: buildJsonReport([await checkClient({ ...opts, shard }, protocols)], { runs: 12, seed: 5, shard, globals: false }, 't'),
        });
      }
      const merged = mergeReports(parts, failureDir).report;
      delete merged.merged;
      const strip = (r: JsonReport) =>
        JSON.stringify(
          r.clients.map((c) => ({ ...c, property: c.property && { ...c.property, failureFile: undefined, replay: undefined } })),
        );
      expect(strip(merged), name).toBe(strip(whole));
      expect(junitSchema.validate(buildJunitXml(whole)), name).toEqual([]);
    }
  });
});

describe('lockstep merge computes inconclusive as one unsharded check does', () => {
  it('a requirement exercised in any shard is exercised; the same verdicts, evidence, inconclusive list and exit code', async () => {
    const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-merge-inconclusive-'));
    const client = await resolveClient('reference', 'chat');
    // A few scenarios and no property run: the whole check is inconclusive, and each shard
    // misses requirements another shard exercises.
    const scenarioFiles = scenarioFilesOf('chat').slice(0, 6);
    const opts = { client, runs: 0, seed: 1, failureDir, scenarioFiles };
    const whole = buildJsonReport([await checkClient(opts, protocols)], { runs: 0, seed: 1, globals: false }, 't');
    const parts = [];
    for (let index = 0; index < 3; index++) {
      const shard = { index, count: 3 };
      parts.push({ file: join(failureDir, `s${index}`, 'report.json'), report: buildJsonReport([await checkClient({ ...opts, shard }, protocols)], { runs: 0, seed: 1, shard, globals: false }, 't') });
    }
    const w = whole.clients[0]!;
    expect(w.exitCode).toBe(3);
    const shardInconclusive = parts.map((p) => p.report.clients[0]!.inconclusive);
    // Some requirement is unexercised in a shard yet exercised by the whole check.
    expect(shardInconclusive.flat().some((id) => !w.inconclusive.includes(id))).toBe(true);
    const merged = mergeReports(parts, failureDir).report;
    delete merged.merged;
    expect(serializeJsonReport(merged)).toBe(serializeJsonReport(whole));
    expect(merged.clients[0]!.requirements.filter((q) => w.inconclusive.includes(q.id)).every((q) => q.notExercisedBecause)).toBe(true);
  });

  it('the allow list of the shards applies to the merge', async () => {
    const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-merge-allow-'));
    const client = await resolveClient('reference', 'chat');
    const scenarioFiles = scenarioFilesOf('chat').slice(0, 2);
    const probe = await checkClient({ client, runs: 0, seed: 1, failureDir, scenarioFiles }, protocols);
    const allowNotExercised = probe.inconclusive!;
    expect(allowNotExercised.length).toBeGreaterThan(0);
    const parts = [];
    for (let index = 0; index < 2; index++) {
      const shard = { index, count: 2 };
      const r = await checkClient({ client, runs: 0, seed: 1, failureDir, scenarioFiles, shard, allowNotExercised }, protocols);
      parts.push({ file: join(failureDir, `a${index}`, 'report.json'), report: buildJsonReport([r], { runs: 0, seed: 1, shard, globals: false, allowNotExercised }, 't') });
    }
    const merged = mergeReports(parts, failureDir).report.clients[0]!;
    expect([merged.exitCode, merged.inconclusive]).toEqual([0, []]);
  });
});

describe('lockstep merge: bad input is exit 2 with a message naming the file and field', () => {
  const root = mkdtempSync(join(tmpdir(), 'lockstep-merge-bad-'));
  const write = (name: string, report: JsonReport): string => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'report.json'), serializeJsonReport(report));
    return dir;
  };
  const shard = (index: number, count: number, extra: Partial<JsonReport['options']> = {}): JsonReport => ({
    format: 'lockstep-report',
    version: 3,
    tool: { name: 'lockstep', version: '1.0.0' },
    options: { runs: 4, seed: 1, globals: false, shard: { index, count }, ...extra },
    clients: [{ protocol: 'chat', client: 'reference', exitCode: 0, inconclusive: [], requirements: [], scenarios: [], runs: [], unexercisedEvidence: [] }],
  });

  it.each([
    [
      'a missing shard',
      () => [write('a1', shard(0, 3)), write('a2', shard(1, 3))],
      /all 3 shards of chat\/reference, found no report for shard 3\/3/,
    ],
    [
      'a shard given twice',
      () => [write('b1', shard(0, 2)), write('b2', shard(0, 2))],
      /b2\/report.json: field "options.shard": expected each shard of chat\/reference once, found shard 1\/2 again/,
    ],
    [
      'shards of different checks',
      () => [write('c1', shard(0, 2)), write('c2', shard(1, 2, { seed: 9 }))],
      /c2\/report.json: field "options.seed": expected 1 as in .*c1\/report.json/,
    ],
    ['different shard counts', () => [write('d1', shard(0, 2)), write('d2', shard(1, 3))], /field "options.shard": expected a shard of 2/],
    ['a merged report', () => [write('e1', { ...shard(0, 1), merged: { shards: 2 } })], /field "merged": expected a shard report/],
    ['another file', () => ['package.json'], /package.json: field "format": expected "lockstep-report"/],
    [
      'a directory without a report',
      () => [root],
      /report.json: file: expected a report.json written by lockstep check, found an error \(ENOENT\)/,
    ],
    ['an old version', () => [write('f1', { ...shard(0, 1), version: 2 as 3 })], /field "version": expected 3/],
    [
      'shards with different allow lists',
      () => [write('g1', shard(0, 2)), write('g2', shard(1, 2, { allowNotExercised: ['CHAT-9'] }))],
      /g2\/report.json: field "options.allowNotExercised": expected undefined as in .*g1\/report.json/,
    ],
    [
      'shards with different guard limits',
      () => [write('h1', shard(0, 2, { guards: { 'timer-storm': 2000 } })), write('h2', shard(1, 2))],
      /h2\/report.json: field "options.guards": expected \{"timer-storm":2000\} as in .*h1\/report.json/,
    ],
    [
      'no such directory',
      () => [join(root, 'nope')],
      /nope: file: expected a report directory written by lockstep check --report \(or its report.json\), found no such file or directory/,
    ],
  ])('%s', async (_what, inputs, message) => {
    const r = await cli('merge', ...inputs(), '--report', join(root, 'out'));
    expect(r.err).toMatch(message);
    expect(r.code).toBe(2);
    expect(existsSync(join(root, 'out', 'report.json'))).toBe(false);
  });

  it('needs --report and at least one input, and knows its reporters', async () => {
    expect((await cli('merge', root)).err).toMatch(/--report OUT is required/);
    expect((await cli('merge', '--report', root)).err).toMatch(/expected the report directories of the shards/);
    expect((await cli('check', '--protocol', 'chat', '--reporter', 'pdf')).err).toMatch(
      /--reporter expects names of reporters \(json, junit, html, github\), found "pdf"/,
    );
  });
});
