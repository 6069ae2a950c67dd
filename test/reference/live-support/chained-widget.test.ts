import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient } from '../../../src/conformance/check.js';
import { protocols } from '../../../src/conformance/registry.js';
import { liveSupportProtocol } from '../../../src/reference/live-support/index.js';
import { chainedWidgetClient } from './chained-widget.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-live-chained-'));

// A client team's widget that waits 2 s after each answer (timeout-chained polling) was
// failed by LIVE-1. The design is allowed (docs/protocols/live-support.md, "The widget"):
// it must pass every scenario and property run, like the reference.
describe('a timeout-chained widget (a correct design other than the reference)', () => {
  it('passes every scenario and 300 property runs', async () => {
    const client = { name: 'chained-widget', protocol: liveSupportProtocol, factory: chainedWidgetClient };
    const r = await checkClient({ client, runs: 300, seed: 7, failureDir }, protocols);
    const failed = r.requirements.filter((q) => q.failed > 0).map((q) => `${q.id}: ${q.firstFailure?.run}: ${q.firstFailure?.evidence}`);
    expect(failed).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.requirements.find((q) => q.id === 'LIVE-1')!.passed).toBeGreaterThan(250);
    expect(r.requirements.find((q) => q.id === 'LIVE-8')!.passed).toBeGreaterThan(250);
  });
});
