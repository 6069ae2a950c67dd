import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import { protocols } from '../../../src/conformance/registry.js';
import { runScenario } from '../../../src/conformance/runner.js';
import { loadScenarioFile } from '../../../src/conformance/scenario.js';
import { liveSupportProtocol } from '../../../src/reference/live-support/index.js';
import { LiveSupportSnapshotSchema } from '../../../src/reference/live-support/snapshot.js';

const schema = TypeCompiler.Compile(LiveSupportSnapshotSchema);

describe('the live-support snapshot contract', () => {
  it('is the protocol definition’s snapshot schema', () => {
    expect(liveSupportProtocol.snapshot).toBe(LiveSupportSnapshotSchema);
  });

  it('holds for every snapshot the reference clients record (widget, dashboard, idle)', async () => {
    const roles = new Set<string>();
    for (const file of ['two-dashboards', 'switch-chat-and-unmount', 'step2-refresh-tabs']) {
      const sc = loadScenarioFile(`scenarios/live-support/${file}.yaml`, protocols);
      const r = await runScenario({
        protocol: liveSupportProtocol,
        scenario: sc,
        client: liveSupportProtocol.reference,
        clientName: 'reference',
      });
      const states = r.trace
        .events()
        .filter((e) => e.ev === 'client.snapshot')
        .map((e) => e.state);
      for (const s of states) {
        roles.add((s as { role: string }).role);
        expect(schema.Check(s), JSON.stringify(s)).toBe(true);
      }
    }
    expect([...roles].sort()).toEqual(['dashboard', 'idle', 'widget']);
  });

  it('accepts the minimal shapes and extra fields, and rejects what the checkers could not read', () => {
    const ok = [
      { role: 'idle' },
      { role: 'widget', mounted: false, email: null, chatId: null, messages: [] },
      { role: 'widget', mounted: true, email: 'a@x', chatId: 'c', messages: [{ id: 'm1' }], draft: 'hello' },
      { role: 'dashboard', dashboardUserId: 'agent-1', users: [{ email: 'a@x', chats: [{ chat_id: 'c', messages: ['m1'] }] }] },
    ];
    for (const s of ok) expect(schema.Check(s), JSON.stringify(s)).toBe(true);
    const bad = [
      { role: 'spectator' },
      { role: 'widget', mounted: true, email: 'a@x', chatId: 'c', messages: [{ text: 'no id' }] },
      { role: 'widget', mounted: 'yes', email: 'a@x', chatId: 'c', messages: [] },
      { role: 'dashboard', dashboardUserId: 'agent-1', users: [{ email: 'a@x', chats: [{ chat_id: 'c', messages: [{ id: 'm1' }] }] }] },
      { role: 'dashboard', dashboardUserId: 'agent-1', users: [{ chats: [] }] },
    ];
    for (const s of bad) expect(schema.Check(s), JSON.stringify(s)).toBe(false);
  });
});
