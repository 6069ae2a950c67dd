import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkClient, type ClientCheckResult } from '../../src/conformance/check.js';
import { protocols, resolveClient } from '../../src/conformance/registry.js';
import { buildJsonReport, buildJunitXml, junitClassname, junitTimestamp, runsTestName } from '../../src/conformance/reporters/index.js';
import { compileSchema } from './xsd.js';
import { parseXml, type XmlElement } from './xml.js';

// The Jenkins schema as vendored, and the same made as strict as Ant's about time, timestamp and hostname.
const jenkins = compileSchema(readFileSync('test/fixtures/junit.xsd', 'utf8'));
const strict = compileSchema(readFileSync('test/fixtures/junit-strict.xsd', 'utf8'));
const all = (e: XmlElement, name: string): XmlElement[] => [...(e.name === name ? [e] : []), ...e.children.flatMap((c) => all(c, name))];

describe('the strict JUnit schema', () => {
  const ok =
    '<testsuites><testsuite name="a" tests="1" failures="0" errors="0" time="1.5" timestamp="2026-12-07T10:31:02" hostname="ci-7"><testcase name="t" classname="c" time="0.25"/></testsuite></testsuites>';
  it('accepts a report with every timing attribute', () => expect(strict.validate(ok)).toEqual([]));
  it.each([
    ['no testsuite time', ok.replace(' time="1.5"', ''), /required attribute "time" is missing/],
    ['no timestamp', ok.replace(/ timestamp="[^"]*"/, ''), /required attribute "timestamp" is missing/],
    ['a timestamp with a zone', ok.replace('10:31:02"', '10:31:02Z"'), /does not match the pattern of ISO8601_DATETIME_PATTERN/],
    ['no hostname', ok.replace(' hostname="ci-7"', ''), /required attribute "hostname" is missing/],
    ['an empty hostname', ok.replace('hostname="ci-7"', 'hostname=""'), /does not match the pattern of NONEMPTY_TOKEN/],
    ['no testcase time', ok.replace(' time="0.25"', ''), /required attribute "time" is missing/],
    ['a testcase time that is not a number', ok.replace('time="0.25"', 'time="0.25s"'), /is not a valid xs:decimal/],
    ['no classname', ok.replace(' classname="c"', ''), /required attribute "classname" is missing/],
  ])('rejects %s', (_what, xml, message) => expect(strict.validate(xml).join('\n')).toMatch(message));
});

describe('junit.xml of a failing check', () => {
  let results: ClientCheckResult[];
  beforeAll(async () => {
    const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-junit-strict-'));
    const run = async (client: string, runs: number) =>
      checkClient({ client: await resolveClient(client, 'chat'), runs, seed: 1, failureDir, workers: 0 }, protocols);
    results = [await run('reference', 5), await run('zoo:chat/no-dedupe', 20)];
  }, 120_000);

  it('validates against the strict schema and the Jenkins one, with time, timestamp and hostname', () => {
    const report = buildJsonReport(results, { runs: 20, seed: 1, globals: false }, '0.0.0-test');
    const startedAt = new Date(Date.UTC(2026, 11, 7, 10, 31, 2, 456));
    const wallMs = new Map(results.map((r) => [junitClassname(r), r.wallMs]));
    const xml = buildJunitXml(report, { startedAt, hostname: 'ci-runner-3', wallMs });
    expect(strict.validate(xml)).toEqual([]);
    expect(jenkins.validate(xml)).toEqual([]);
    const root = parseXml(xml);
    const suite = all(root, 'testsuite')[0]!;
    expect(suite.attributes.timestamp).toBe('2026-12-07T10:31:02');
    expect(suite.attributes.hostname).toBe('ci-runner-3');
    const total = results.reduce((n, r) => n + r.wallMs, 0);
    expect(Number(suite.attributes.time)).toBeCloseTo(total / 1000, 2);
    expect(Number(suite.attributes.failures)).toBeGreaterThan(0);
    // The runs' wall time is on each client's RUNS testcase; requirements are judged inside the runs.
    const cases = all(root, 'testcase');
    for (const r of results) {
      const runs = cases.find((c) => c.attributes.classname === junitClassname(r) && c.attributes.name === runsTestName)!;
      expect(Number(runs.attributes.time)).toBeCloseTo(r.wallMs / 1000, 2);
    }
    expect(cases.filter((c) => c.attributes.name !== runsTestName).every((c) => c.attributes.time === '0')).toBe(true);
  });

  it('has a timestamp and a hostname by default (when the report is written), still valid', () => {
    const xml = buildJunitXml(buildJsonReport(results, { runs: 20, seed: 1, globals: false }, 't'));
    expect(strict.validate(xml)).toEqual([]);
    expect(junitTimestamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('2026-01-02T03:04:05');
  });
});
