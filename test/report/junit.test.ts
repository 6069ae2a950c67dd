import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient, type ClientCheckResult, type RequirementResult } from '../../src/conformance/check.js';
import { protocols, resolveClient } from '../../src/conformance/registry.js';
import { buildJsonReport, buildJunitXml, runsTestName, type ClientReport, type JsonReport } from '../../src/conformance/reporters/index.js';
import { compileSchema } from './xsd.js';
import { parseXml, type XmlElement } from './xml.js';

const schema = compileSchema(readFileSync('test/fixtures/junit.xsd', 'utf8'));
const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-junit-'));
const all = (e: XmlElement, name: string): XmlElement[] => [...(e.name === name ? [e] : []), ...e.children.flatMap((c) => all(c, name))];

async function check(client: string, runs: number): Promise<ClientCheckResult> {
  return checkClient({ client: await resolveClient(client, 'chat'), runs, seed: 1, failureDir }, protocols);
}

describe('the XSD subset validator (so that "valid" means something)', () => {
  const ok =
    '<testsuites><testsuite name="a" tests="1" failures="0" errors="0" time="1.5"><testcase name="t"><skipped/></testcase></testsuite></testsuites>';
  it('accepts a minimal valid report', () => expect(schema.validate(ok)).toEqual([]));
  it.each([
    ['a missing required attribute', ok.replace(' failures="0"', ''), /required attribute "failures" is missing/],
    ['an undeclared attribute', ok.replace('<testcase name="t"', '<testcase name="t" level="MUST"'), /attribute "level" is not declared/],
    ['an unknown child element', ok.replace('<skipped/>', '<skip/>'), /do not match the content model/],
    ['properties inside a testcase (not in this schema)', ok.replace('<skipped/>', '<properties/>'), /do not match the content model/],
    ['text in element-only content', ok.replace('<testcase', 'oops<testcase'), /text "oops" in element-only content/],
    [
      'a time that is not a SUREFIRE_TIME',
      ok.replace('time="1.5"', 'time="1.5 s"'),
      /time="1.5 s" does not match the pattern of SUREFIRE_TIME/,
    ],
    [
      'a child element in xs:string content',
      ok.replace('<skipped/>', '<system-out><b/></system-out>'),
      /has child elements but its type xs:string is simple/,
    ],
    ['an unknown root', '<testrun/>', /not a global element/],
    ['a mismatched tag', ok.replace('</testcase>', '</testcas>'), /not well-formed: line 1: <\/testcas> closes <testcase>/],
    ['a raw ampersand', ok.replace('name="t"', 'name="a & b"'), /not well-formed: .*raw "&"/],
    ['a duplicate attribute', ok.replace('name="t"', 'name="t" name="u"'), /duplicate attribute name/],
    ['a control character', ok.replace('name="t"', 'name="\u0001"'), /U\+0001 is not allowed/],
  ])('rejects %s', (_what, xml, message) => {
    expect(schema.validate(xml).join('\n')).toMatch(message);
  });
});

describe('junit.xml', () => {
  it('is valid for the reference chat client and a faulty variant, one named testcase per requirement per client', async () => {
    const results = [await check('reference', 10), await check('zoo:chat/no-dedupe', 30)];
    const report = buildJsonReport(results, { runs: 30, seed: 1, globals: false }, '0.0.0-test');
    const xml = buildJunitXml(report);
    expect(schema.validate(xml)).toEqual([]);
    const root = parseXml(xml);
    const suites = all(root, 'testsuite');
    expect(suites.map((s) => s.attributes.name)).toEqual(['chat']);
    const cases = all(root, 'testcase');
    const reqs = protocols.get('chat')!.requirements;
    expect(cases).toHaveLength(2 * (reqs.length + 1));
    expect(suites[0]!.attributes.tests).toBe(String(cases.length));
    const dedupe = cases.find((c) => c.attributes.classname === 'chat.zoo:chat/no-dedupe' && c.attributes.name!.startsWith('CHAT-2 '))!;
    expect(dedupe.attributes.name).toBe(`CHAT-2 ${reqs.find((r) => r.id === 'CHAT-2')!.text}`);
    const failure = dedupe.children.find((c) => c.name === 'failure')!;
    expect(failure.attributes.type).toBe('MUST');
    const q = report.clients[1]!.requirements.find((r) => r.id === 'CHAT-2')!;
    expect(failure.text).toContain(`evidence: ${q.firstFailure!.evidence}`);
    expect(failure.text).toMatch(/replay: npx lockstep replay .*chat--zoo-chat-no-dedupe--seed-1--run-\d+--shrunk\.json/);
    expect(failure.attributes.message).toContain(q.firstFailure!.evidence);
    // The reference passes everything it exercises; what it did not exercise is skipped.
    for (const c of cases.filter((c) => c.attributes.classname === 'chat.reference'))
      expect(c.children.map((x) => x.name)).not.toContain('failure');
    // Levels and sources are suite properties.
    const props = Object.fromEntries(all(suites[0]!, 'property').map((p) => [p.attributes.name, p.attributes.value]));
    for (const r of reqs) {
      expect(props[`${r.id}.level`]).toBe(r.level);
      expect(props[`${r.id}.source`]).toBe(r.source);
    }
    expect(props.seed).toBe('1');
    // failures + errors > 0 exactly when the check exits non-zero.
    const [f, e] = [Number(root.attributes.failures), Number(root.attributes.errors)];
    expect(f + e > 0).toBe(results.some((r) => r.exitCode !== 0));
  });

  it('has one testsuite per protocol, a failure for an inconclusive MUST, skipped for an allowed one, server requirements apart, an error for a broken run, and escapes everything', () => {
    const nasty = 'quotes " \' <tag> & ampersand ]]> \r\n tab\t nul\u0000 bell\u0007 emoji 🦀 lone \uD800 end';
    const req = (
      id: string,
      level: 'MUST' | 'SHOULD',
      verdict: RequirementResult['verdict'],
      extra: Partial<RequirementResult> = {},
    ): RequirementResult => ({
      id,
      level,
      text: `${id} text ${nasty}`,
      source: `doc.md § ${nasty}`,
      subject: 'client',
      verdict,
      exercised: verdict === 'not-exercised' ? 0 : verdict === 'pass' ? 1 : 2,
      passed: verdict === 'not-exercised' ? 0 : 1,
      failed: verdict === 'fail' || verdict === 'non-strict' ? 1 : 0,
      notExercised: verdict === 'not-exercised' ? 3 : 0,
      ...extra,
    });
    const firstFailure = {
      run: 'property run 3',
      at: 1234.5,
      seq: 77,
      evidence: `saw ${nasty}`,
      replay: 'lockstep replay out/failures/a--b.json',
    };
    const client = (
      protocol: string,
      name: string,
      requirements: RequirementResult[],
      extra: Partial<ClientReport> = {},
    ): ClientReport => ({ protocol, client: name, exitCode: 1, inconclusive: [], requirements, scenarios: [], runs: [], unexercisedEvidence: [], ...extra });
    const report: JsonReport = {
      format: 'lockstep-report',
      version: 3,
      tool: { name: 'lockstep', version: '9.9.9' },
      options: { runs: 5, seed: 7, globals: false, shard: { index: 1, count: 4 } },
      clients: [
        client(
          'alpha',
          'reference',
          [
            req('A-1', 'MUST', 'pass'),
            req('A-2', 'MUST', 'fail', { firstFailure }),
            req('A-3', 'SHOULD', 'non-strict', { firstFailure }),
            req('A-4', 'MUST', 'not-exercised', { notExercisedBecause: `no socket was opened ${nasty}` }),
            req('A-5', 'MUST', 'not-exercised', { notExercisedBecause: 'no 401 came back' }),
            req('A-6', 'MUST', 'fail', { subject: 'server', firstFailure }),
          ],
          { inconclusive: ['A-4'] },
        ),
        client('beta', `./my "client" <1>.js`, [req('B-1', 'MUST', 'pass')], {
          server: 'flaky&slow',
          scenarios: [
            { index: 0, name: `s ${nasty}`, hash: 'h', mismatches: [], stopped: 'timer-storm on c1', findings: [] },
            { index: 1, name: 't', hash: 'h', mismatches: [], invalidSnapshot: 'c1 at 5 ms: snapshot.x: expected string, found undefined', findings: [] },
          ],
          property: {
            runs: 5,
            seed: 7,
            replay: 'lockstep replay x.json',
            counterexample: { faults: 1, actions: 2, failed: ['guard:timer-storm'], hash: 'h', shrinks: 3, foundAt: 4 },
          },
        }),
        client(
          'alpha',
          'zoo:alpha/other',
          [
            req('A-1', 'MUST', 'pass'),
            req('A-2', 'MUST', 'pass'),
            req('A-3', 'SHOULD', 'pass'),
            req('A-4', 'MUST', 'pass'),
            req('A-5', 'MUST', 'pass'),
            req('A-6', 'MUST', 'pass', { subject: 'server' }),
          ],
          { exitCode: 0 },
        ),
        client('gamma', 'only-inconclusive', [req('G-1', 'MUST', 'pass'), req('G-2', 'MUST', 'not-exercised')], { exitCode: 3, inconclusive: ['G-2'] }),
      ],
    };
    const xml = buildJunitXml(report);
    expect(schema.validate(xml)).toEqual([]);
    const root = parseXml(xml);
    expect(
      all(root, 'testsuite').map((s) => [
        s.attributes.name,
        s.attributes.tests,
        s.attributes.failures,
        s.attributes.errors,
        s.attributes.skipped,
      ]),
    ).toEqual([
      ['alpha', '14', '2', '0', '1'],
      ['beta', '2', '0', '1', '0'],
      // An inconclusive check (exit 3) has a failure too: CI must not read it as success.
      ['gamma', '3', '1', '0', '0'],
    ]);
    expect([root.attributes.tests, root.attributes.failures, root.attributes.errors]).toEqual(['19', '3', '1']);
    const cases = all(root, 'testcase');
    // XML 1.0 cannot hold NUL, BEL or a lone surrogate: they become visible escapes; everything else round-trips.
    const visible = nasty.replace('\u0000', '\\u{0000}').replace('\u0007', '\\u{0007}').replace('\uD800', '\\u{d800}');
    expect(cases[0]!.attributes.name).toBe(`A-1 A-1 text ${visible}`);
    const failure = cases[1]!.children.find((c) => c.name === 'failure')!;
    expect(failure.text).toContain(`evidence: saw ${visible}`);
    expect(failure.text).toContain('first failure: property run 3 at 1.234 s (trace step 77)');
    expect(failure.text).toContain('replay: lockstep replay out/failures/a--b.json');
    expect(failure.attributes.message).toBe(`A-2 failed in property run 3: saw ${visible}`);
    // A violated SHOULD does not gate: a passing testcase that says so.
    expect(cases[2]!.children.map((c) => c.name)).toEqual(['system-out']);
    expect(cases[2]!.children[0]!.text).toMatch(/^violated \(SHOULD, non-strict\)/);
    const inconclusive = cases[3]!.children[0]!;
    expect([inconclusive.name, inconclusive.attributes.type]).toEqual(['failure', 'inconclusive']);
    expect(inconclusive.attributes.message).toBe(`A-4 was never exercised, so the check is inconclusive: no socket was opened ${visible}`);
    expect(inconclusive.text).toContain('exercised by 0 runs');
    // Allowed to go unexercised: skipped, saying so and why.
    expect(cases[4]!.children[0]!.name).toBe('skipped');
    expect(cases[4]!.children[0]!.attributes.message).toMatch(/^not exercised \(allowed by --allow-not-exercised\): no 401 came back/);
    // A failed server requirement is the server's: a passing testcase that shows it.
    expect(cases[5]!.children.map((c) => c.name)).toEqual(['system-out']);
    expect(cases[5]!.children[0]!.text).toMatch(/^server requirement \(not counted toward the client's verdict\): fail\n/);
    const beta = cases.filter((c) => c.attributes.classname === 'beta../my "client" <1>.js@flaky&slow');
    expect(beta.map((c) => c.attributes.name)).toEqual([`B-1 B-1 text ${visible}`, runsTestName]);
    const error = beta[1]!.children.find((c) => c.name === 'error')!;
    expect(error.text).toContain('stopped: timer-storm on c1');
    expect(error.text).toContain('scenario t: invalid snapshot: c1 at 5 ms: snapshot.x: expected string, found undefined');
    expect(error.text).toContain('failed (guard:timer-storm)');
    expect(error.text).toContain('replay: lockstep replay x.json');
    const props = Object.fromEntries(all(root, 'property').map((p) => [p.attributes.name, p.attributes.value]));
    expect(props.shard).toBe('2/4');
    expect(props['A-3.source']).toBe(`doc.md § ${visible}`);
  });
});
