import nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/sim/index.js';
import { SimulationStopped } from '../../src/sim/stopped.js';

// Every way client code can reach the wall clock or an unseeded generator: with an injected
// env each one stops the run naming the call, the node and the virtual time; with installed
// globals the clock and Web Crypto are served on virtual time and the seeded stream.
const sources: Record<string, () => unknown> = {
  'Date.now()': () => Date.now(),
  'new Date()': () => new Date(),
  'Date()': () => Date(),
  'performance.now()': () => performance.now(),
  'process.hrtime()': () => process.hrtime(),
  'process.hrtime.bigint()': () => process.hrtime.bigint(),
  'crypto.randomUUID()': () => crypto.randomUUID(),
  'crypto.getRandomValues()': () => crypto.getRandomValues(new Uint8Array(8)),
  'node:crypto randomBytes()': () => nodeCrypto.randomBytes(8),
  'node:crypto randomUUID()': () => nodeCrypto.randomUUID(),
  'node:crypto randomInt()': () => nodeCrypto.randomInt(10),
  'new MessageChannel()': () => new MessageChannel(),
  'Math.random()': () => Math.random(),
  'setImmediate()': () => setImmediate(() => {}),
};

async function stopOf(call: () => unknown): Promise<SimulationStopped | undefined> {
  const sim = new Simulation({ seed: 1, clients: ['c1'] });
  sim.env('c1').setTimeout(() => void call(), 1250);
  try {
    await sim.run(5000);
    return undefined;
  } catch (e) {
    if (e instanceof SimulationStopped) return e;
    throw e;
  }
}

describe('with an injected env, every nondeterminism source stops the run', () => {
  it.each(Object.entries(sources))('%s', async (label, call) => {
    const stop = await stopOf(call);
    expect(stop?.reason).toBe('nondeterminism');
    expect(stop?.message).toContain(`c1 called the real ${label} at virtual time 1250 ms`);
    expect(stop?.message).toMatch(/Instead, /);
    // After the run the real functions are back.
    expect(typeof Date.now()).toBe('number');
    expect(new Date()).toBeInstanceOf(Date);
  });

  it('leaves deterministic uses alone: new Date(ms), Date.UTC, Date.parse, instanceof', async () => {
    expect(await stopOf(() => [new Date(0).toISOString(), Date.UTC(2025, 0, 1), Date.parse('2025-01-01'), new Date(5) instanceof Date])).toBeUndefined();
  });
});

describe('with installed globals, clock and Web Crypto come from the simulation', () => {
  async function draw(seed: number): Promise<unknown[]> {
    const sim = new Simulation({ seed, clients: ['c1'] });
    const seen: unknown[] = [];
    await sim.withGlobals('c1', async () => {
      setTimeout(() => {
        seen.push(Date.now(), new Date().toISOString(), performance.now(), process.hrtime(), String(process.hrtime.bigint()), crypto.randomUUID(), [...crypto.getRandomValues(new Uint8Array(4))]);
      }, 1250);
      await sim.run(5000);
    });
    return seen;
  }

  it('serves the same values for the same seed, in virtual time', async () => {
    const a = await draw(7);
    expect(await draw(7)).toEqual(a);
    expect(await draw(8)).not.toEqual(a);
    expect(a[2]).toBe(1250);
    expect(a[3]).toEqual([1, 250_000_000]);
    expect(a[5]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('still stops node:crypto and MessageChannel, which cannot be seeded or ordered', async () => {
    for (const call of [() => nodeCrypto.randomBytes(4), () => new MessageChannel()]) {
      const sim = new Simulation({ seed: 1, clients: ['c1'] });
      await expect(
        sim.withGlobals('c1', async () => {
          setTimeout(() => void call(), 10);
          await sim.run(100);
        }),
      ).rejects.toBeInstanceOf(SimulationStopped);
    }
  });
});
