import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, protocols, runScenario } from '../../src/index.js';
import { loadServerModule } from '../../src/conformance/server-module.js';
import { checkConformance, shippedScenarioRoot } from '../../src/vitest/conformance.js';
import { resolveClient } from '../../src/conformance/registry.js';

// `serverModule` in lockstep/vitest: the same msw handlers as `--server-module`, in front of the reference server.
const handlers = 'test/fixtures/server-module/handlers.ts';
const tc1 = join(shippedScenarioRoot, 'chat/tc1-normal-websocket-flow.yaml');

describe('conformance({ serverModule })', () => {
  it('runs the scenarios behind the handlers, as runScenario with the loaded wrapper does', async () => {
    const behind = await checkConformance({
      protocol: 'chat',
      client: 'reference',
      runs: 0,
      scenarios: [tc1],
      serverModule: handlers,
      failureDir: 'reports/failures',
    });
    const alone = await checkConformance({
      protocol: 'chat',
      client: 'reference',
      runs: 0,
      scenarios: [tc1],
      failureDir: 'reports/failures',
    });
    expect(behind.scenarios[0]!.hash).not.toBe(alone.scenarios[0]!.hash);

    const protocol = protocols.get('chat')!;
    const reference = await resolveClient('reference', 'chat');
    const direct = await runScenario({
      protocol,
      scenario: loadScenarioFile(tc1, protocols),
      client: reference.factory,
      clientName: reference.name,
      serverWrapper: await loadServerModule(handlers),
    });
    expect(direct.hash).toBe(behind.scenarios[0]!.hash);
    expect(JSON.stringify(direct.trace.events())).toContain('injected by msw');
  }, 60_000);

  it('rejects a module that exports no handlers, naming the file and what it found', async () => {
    await expect(
      checkConformance({
        protocol: 'chat',
        client: 'reference',
        runs: 0,
        scenarios: [tc1],
        serverModule: 'test/fixtures/server-module/no-export.ts',
      }),
    ).rejects.toThrow(
      '--server-module test/fixtures/server-module/no-export.ts: expected an export named "handlers" (or a default export): an array of msw handlers; found only the exports "routes"',
    );
  }, 60_000);
});
