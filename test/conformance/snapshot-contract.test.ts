import { Type } from '@sinclair/typebox';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient } from '../../src/conformance/check.js';
import type { ProtocolDefinition } from '../../src/conformance/protocol.js';
import { protocols, type ResolvedClient } from '../../src/conformance/registry.js';
import { buildHtmlReport, buildJsonReport, buildJunitXml, collectFailures } from '../../src/conformance/reporters/index.js';
import { runScenario } from '../../src/conformance/runner.js';
import { loadScenarioFile } from '../../src/conformance/scenario.js';
import { snapshotProblemMessage, snapshotValidator } from '../../src/conformance/snapshot-contract.js';
import { createClient as misnamed } from '../fixtures/misnamed-snapshot-chat-client.js';

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-snapshot-'));
const chat = protocols.get('chat')!;
// A contract of its own, so the test does not move with the chat protocol's.
const contract = Type.Object({
  conversation: Type.Union([Type.String(), Type.Null()]),
  messages: Type.Array(Type.Object({ id: Type.String(), content: Type.String() })),
  connection: Type.Optional(Type.String()),
  polling: Type.Optional(Type.Boolean()),
  outbox: Type.Optional(Type.Integer()),
  authError: Type.Optional(Type.Boolean()),
});
const withContract: ProtocolDefinition = { ...chat, snapshot: contract };
const client = (factory: ResolvedClient['factory'], name: string): ResolvedClient => ({ protocol: withContract, factory, name });
const scenario = loadScenarioFile(join('scenarios', 'chat', 'tc1-normal-websocket-flow.yaml'), protocols);

describe('the snapshot is a contract', () => {
  it('names the field, what was expected and what was found, with the look-alike fields of a missing one', () => {
    const v = snapshotValidator(contract)!;
    const message = (x: unknown) => {
      const p = v(x);
      return p && snapshotProblemMessage('c1', 1200, p);
    };
    expect(message({ conversation: null, messages: [] })).toBeUndefined();
    expect(message({ conversation: null, msgs: [] })).toBe(
      'c1 at 1200 ms: snapshot.messages: expected an array of an object with id, content, found undefined (snapshot has msgs)',
    );
    expect(message({ conversation: 3, messages: [] })).toBe(
      'c1 at 1200 ms: snapshot.conversation: expected string or null, found the number 3',
    );
    expect(message({ conversation: 'A', messages: [{ id: 'm1', text: 'hi' }] })).toBe(
      'c1 at 1200 ms: snapshot.messages[0].content: expected string, found undefined (snapshot.messages[0] has text)',
    );
    // Extra fields are named only where the schema forbids them.
    expect(message({ conversation: null, messages: [], extra: 1 })).toBeUndefined();
    const closed = snapshotValidator(Type.Object({ a: Type.String() }, { additionalProperties: false }))!;
    expect(closed({ a: 'x', b: 2 })).toEqual({
      field: 'snapshot.b',
      expected: 'no such field (the schema allows only a)',
      found: 'the number 2',
    });
    // One compiled check per schema, shared by every run.
    expect(snapshotValidator(undefined)).toBeUndefined();
  });

  it('the first invalid snapshot fails the run: a client.snapshot-invalid step in the trace, the run goes on', async () => {
    const r = await runScenario({ protocol: withContract, scenario, client: misnamed, clientName: 'misnamed' });
    const steps = r.trace.events().filter((e) => e.ev === 'client.snapshot-invalid');
    expect(steps).toHaveLength(1);
    const step = steps[0]!;
    expect(step).toMatchObject({ node: 'c1', field: 'snapshot.messages', found: 'undefined (snapshot has msgs)' });
    expect(r.invalidSnapshot).toBe(
      `c1 at ${step.t} ms: snapshot.messages: expected an array of an object with id, content, found undefined (snapshot has msgs)`,
    );
    expect(step.message).toBe(r.invalidSnapshot);
    expect(r.trace.events().at(-1)!.ev).toBe('sim.end');
    // The reference's snapshots conform: nothing recorded, the trace is what it always was.
    const ok = await runScenario({ protocol: withContract, scenario, client: chat.reference, clientName: 'reference' });
    const plain = await runScenario({ protocol: chat, scenario, client: chat.reference, clientName: 'reference' });
    expect(ok.invalidSnapshot).toBeUndefined();
    expect(ok.hash).toBe(plain.hash);
  });

  it('exit 1, shown in the terminal text, report.json, junit and HTML; property runs shrink to it', async () => {
    const r = await checkClient({ client: client(misnamed, 'misnamed'), runs: 5, seed: 1, failureDir }, protocols);
    expect(r.exitCode).toBe(1);
    expect(r.scenarios.every((s) => s.invalidSnapshot?.includes(': snapshot.messages: expected an array'))).toBe(true);
    expect(r.property!.counterexample!.failed).toContain('invalid-snapshot');
    expect(r.property!.counterexample!.invalidSnapshot).toMatch(/^c1 at [\d.]+ ms: snapshot\.messages: /);
    const report = buildJsonReport([r], { runs: 5, seed: 1, globals: false }, 't');
    expect(report.clients[0]!.scenarios[0]!.invalidSnapshot).toMatch(
      /snapshot\.messages: expected .*, found undefined \(snapshot has msgs\)/,
    );
    expect(buildJunitXml(report)).toMatch(
      /<error type="broken-run" message="scenario [^"]+: invalid snapshot: c1 at [\d.]+ ms: snapshot\.messages: /,
    );
    const html = buildHtmlReport(report, await collectFailures({ report, results: [r] }));
    expect(html).toMatch(
      /invalid snapshot: c1 at [\d.]+ ms: snapshot\.messages: expected an array of an object with id, content, found undefined \(snapshot has msgs\)/,
    );
    const { failureDetails } = await import('../../src/cli/print.js');
    expect(failureDetails(r)).toMatch(/^scenario [\w-]+: invalid snapshot: c1 at [\d.]+ ms: snapshot\.messages: /m);
  });
});
