import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { getProtocol, protocols } from '../../src/conformance/registry.js';
import { resolveScenario } from '../../src/conformance/scenario.js';
import { RealServer } from '../../src/real/server.js';

describe('the world is built before the clock starts', () => {
  it("an event-sync server's event log is built at t = 0, and a fault at 50 ms lands at 50 ms however long the building took", async () => {
    const scenario = {
      ...resolveScenario({ protocol: 'event-sync', name: 'big-log', server: { options: { events: 200_000 } } }, '(test)', protocols),
      duration: 2000,
      heal: 0,
      faults: [{ kind: 'ws-reset' as const, at: 50 }],
    };
    const t0 = performance.now();
    const server = await RealServer.listen({ protocol: getProtocol('event-sync'), scenario });
    const building = performance.now() - t0;
    try {
      while (!server.trace.events().some((e) => e.ev === 'fault.start')) await new Promise((r) => setTimeout(r, 10));
      const events = server.trace.events();
      expect(events[0]!.ev).toBe('sim.start');
      const ready = events.find((e) => e.ev === 'server.log' && e.msg === 'log.ready')!;
      expect(ready.t).toBe(0);
      const fault = events.find((e) => e.ev === 'fault.start')!;
      // Building 200,000 events takes a good part of a second; on the run's clock the fault still comes at 50 ms.
      expect(building).toBeGreaterThan(150);
      expect(fault.t).toBeGreaterThanOrEqual(49);
      expect(fault.t).toBeLessThan(Math.min(150, building));
    } finally {
      await server.close();
    }
  }, 30_000);
});
