import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { judge } from '../../../src/conformance/requirement.js';
import { liveSupportRequirements } from '../../../src/reference/live-support/requirements.js';
import { liveSupportServerVariants, liveSupportVariants } from '../../../src/reference/live-support/variants.js';
import { TraceBuilder } from './trace-builder.js';

const spec = readFileSync(new URL('../../../docs/protocols/live-support.md', import.meta.url), 'utf8');
const ids = Array.from({ length: 14 }, (_, i) => `LIVE-${i + 1}`);

describe('the catalogue', () => {
  it('lists LIVE-1 … LIVE-14 with the level, sentence and source of docs/protocols/live-support.md', () => {
    const rows = [...spec.matchAll(/^\| (LIVE-\d+) +\| (MUST|SHOULD) +\| (client|server) +\| (.+?) +\| (.+?) +\|$/gm)].map((r) => ({
      id: r[1],
      level: r[2],
      subject: r[3],
      text: r[4],
      source: r[5],
    }));
    expect(rows.map((r) => r.id)).toEqual(ids);
    expect(
      liveSupportRequirements.map((r) => ({ id: r.id, level: r.level, subject: r.subject ?? 'client', text: r.text, source: r.source })),
    ).toEqual(rows);
  });

  it('has one checker each; LIVE-5 and LIVE-6 are about the server', () => {
    expect(liveSupportRequirements.map((r) => r.id)).toEqual(ids);
    expect(liveSupportRequirements.filter((r) => r.subject === 'server').map((r) => r.id)).toEqual(['LIVE-5', 'LIVE-6']);
    for (const r of liveSupportRequirements) {
      expect(r.level).toBe('MUST');
      expect(r.source).toMatch(/^live-support-chat-polling-fixes\.md § /);
      expect(typeof r.check).toBe('function');
    }
  });

  it('has a faulty client variant for every client requirement, and a server variant for every server requirement', () => {
    const caught = new Set(Object.values(liveSupportVariants).flatMap((v) => v.violates));
    const broken = new Set(Object.values(liveSupportServerVariants).flatMap((v) => v.breaks));
    for (const r of liveSupportRequirements) expect(r.subject === 'server' ? broken : caught, r.id).toContain(r.id);
    expect(spec).toContain("LIVE-7's own variant, `skips-older-than-newest-shown`");
  });

  it('is described by a spec that sends its readers nowhere else', () => {
    expect(spec).not.toMatch(/src\//);
    for (const id of ids) expect(spec).toContain(`### ${id} `);
  });

  it('never throws on a trace it does not understand', () => {
    const b = new TraceBuilder();
    b.add(1, 'client.snapshot', { node: 'w1', state: { users: 'x', messages: [null, 3, { id: {} }] } });
    b.add(2, 'client.action', { node: 'w1', do: 'mountWidget', args: { email: 5 } });
    b.add(3, 'server.log', { msg: 'message.stored', id: 7 });
    b.add(4, 'http.request', { id: 'w1/http#9', node: 'w1', url: '%%%' });
    b.add(5, 'server.log', { msg: 'broadcast.start', broadcast: 'x' });
    b.add(6, 'ws.send', { id: 'd1/ws#1', dir: 'to-client', n: 0, data: '{"type":"chat_updates","data":{"users":[null,{"email":1}]}}' });
    b.add(7, 'ws.connect', { id: 'd1/ws#1', node: 'd1' });
    for (const r of liveSupportRequirements) expect(['pass', 'not-exercised']).toContain(judge(r, b.ctx(10_000)).verdict);
  });
});
