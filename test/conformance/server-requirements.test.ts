import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient } from '../../src/conformance/check.js';
import type { ProtocolDefinition } from '../../src/conformance/protocol.js';
import { protocols, type ResolvedClient } from '../../src/conformance/registry.js';
import { buildJsonReport, buildJunitXml } from '../../src/conformance/reporters/index.js';
import { failureDetails, requirementTable } from '../../src/cli/print.js';

const dir = mkdtempSync(join(tmpdir(), 'lockstep-server-reqs-'));
const chat = protocols.get('chat')!;
const noDedupe = chat.variants['no-dedupe']!.create;
// CHAT-2 (dedupe) is a client requirement; here it is marked as the server's, to see that a
// client is never charged for it.
const serverMarked: ProtocolDefinition = {
  ...chat,
  requirements: chat.requirements
    .filter((q) => q.id === 'CHAT-1' || q.id === 'CHAT-2')
    .map((q) => (q.id === 'CHAT-2' ? { ...q, subject: 'server' as const } : q)),
};
const client = (protocol: ProtocolDefinition, name: string, factory: ResolvedClient['factory'] = noDedupe): ResolvedClient => ({
  protocol,
  factory,
  name,
});
const tc1 = join('scenarios', 'chat', 'tc1-normal-websocket-flow.yaml');

describe('clients are not charged for servers', () => {
  it('a failed server requirement: shown apart, never in the exit code, never a counterexample', async () => {
    const r = await checkClient(
      { client: client(serverMarked, 'zoo:chat/no-dedupe'), runs: 10, seed: 1, failureDir: join(dir, 'f') },
      protocols,
    );
    const q = r.requirements.find((x) => x.id === 'CHAT-2')!;
    expect([q.subject, q.verdict]).toEqual(['server', 'fail']);
    expect(r.exitCode).toBe(0);
    expect(r.property!.counterexample).toBeUndefined();
    expect(r.property!.runs).toBe(10);
    // Scenarios whose server did not do what they say are noted, not charged.
    expect(r.scenarios.some((s) => s.mismatches.some((m) => m.requirement === 'CHAT-2' && m.got === 'fail'))).toBe(true);
    const table = requirementTable(r).split('\n');
    const heading = table.findIndex((l) => l.startsWith('server requirements'));
    expect(heading).toBeGreaterThan(0);
    expect(table.slice(heading + 1).some((l) => l.startsWith('CHAT-2 '))).toBe(true);
    expect(table.slice(0, heading).some((l) => l.startsWith('CHAT-2 '))).toBe(false);
    expect(failureDetails(r)).toMatch(
      /^Server notes \(the server's behaviour, not charged to the client\):\n {2}CHAT-2 \(server\) failed in /m,
    );
    const xml = buildJunitXml(buildJsonReport([r], { runs: 10, seed: 1, globals: false }, 't'));
    expect(xml).toMatch(/failures="0" errors="0"/);
    expect(xml).toContain("server requirement (not counted toward the client's verdict): fail");
  });

  it('`expect: fail` on a client requirement: the scenario does not judge it, for every client alike (no special case for "reference")', async () => {
    const file = join(dir, 'faulty-server.yaml');
    writeFileSync(
      file,
      'protocol: chat\nrequirements: [CHAT-1, CHAT-2]\nexpect: { CHAT-2: fail }\nactions:\n  - { at: 0, do: openConversation, args: { conversation: A } }\n  - { at: 2000, do: send, args: { text: hi } }\n',
    );
    const protocol: ProtocolDefinition = { ...chat, requirements: chat.requirements.filter((q) => q.id === 'CHAT-1' || q.id === 'CHAT-2') };
    const results = [];
    for (const [name, factory] of [
      ['reference', chat.reference],
      ['reference', noDedupe],
      ['zoo:chat/no-dedupe', noDedupe],
    ] as const) {
      results.push(
        await checkClient({ client: client(protocol, name, factory), runs: 0, seed: 1, failureDir: dir, scenarioFiles: [file] }, protocols),
      );
    }
    for (const r of results) {
      expect(r.runs.map((x) => x.verdicts)).toEqual(['P-']);
      // Neither charged nor credited: CHAT-2 was never judged, so the check is inconclusive.
      expect([r.exitCode, r.inconclusive]).toEqual([3, ['CHAT-2']]);
    }
    expect(results[1]!.requirements).toEqual(results[2]!.requirements);
  });
});
