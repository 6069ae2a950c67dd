import { describe, expect, it } from 'vitest';
import { hashString, normalizeSeed, Random } from '../../src/sim/random.js';
import { Simulation } from '../../src/sim/simulation.js';

const draw = (r: Random, n: number) => Array.from({ length: n }, () => r.nextUint32());

describe('Random', () => {
  it('gives the same sequence for the same seed and stream, and a different one otherwise', () => {
    const a = draw(Random.root(42).stream('network'), 100);
    const b = draw(Random.root(42).stream('network'), 100);
    expect(a).toEqual(b);
    expect(draw(Random.root(43).stream('network'), 100)).not.toEqual(a);
    expect(draw(Random.root(42).stream('server'), 100)).not.toEqual(a);
    expect(draw(Random.root(42), 100)).not.toEqual(a);
  });

  it('is pinned: these numbers must never change, or every recorded trace changes with them', () => {
    // sfc32 seeded through splitmix32 from FNV-1a("<seed>:<name>"); integer-only, so any machine agrees.
    expect(draw(Random.root(1), 4)).toEqual(draw(new Random(1, 'root'), 4));
    expect(draw(Random.root(1).stream('network'), 3)).toEqual([3999205717, 4025144299, 1224617800]);
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
  });

  it('keeps named streams independent: drawing more from one does not move another', () => {
    const run = (extraClientDraws: number) => {
      const root = Random.root(7);
      const network = root.stream('network');
      const client = root.stream('client/c1');
      const server = root.stream('server');
      const out: number[] = [];
      for (let i = 0; i < 50; i++) {
        out.push(network.nextUint32());
        for (let j = 0; j < extraClientDraws; j++) client.next();
        if (i % 3 === 0) server.int(0, 9);
      }
      return { network: out, server: draw(server, 10) };
    };
    const base = run(0);
    expect(run(1)).toEqual(base);
    expect(run(17)).toEqual(base);
  });

  it('derives sub-streams from the stream name and the seed only, not from draws already made', () => {
    const root = Random.root(5);
    const fresh = draw(Random.root(5).stream('client/c1'), 10);
    draw(root, 1000);
    expect(draw(root.stream('client/c1'), 10)).toEqual(fresh);
    const nested = root.stream('client').stream('c1');
    expect(nested.name).toBe('client/c1');
    expect(draw(nested, 10)).toEqual(fresh);
  });

  it('accepts string seeds: digit strings equal the number, other strings are hashed stably', () => {
    expect(normalizeSeed('42')).toBe(42);
    expect(draw(Random.root('42'), 10)).toEqual(draw(Random.root(42), 10));
    expect(normalizeSeed('-5')).toBe(normalizeSeed(-5));
    expect(normalizeSeed('flaky-bug-1234')).toBe(hashString('flaky-bug-1234'));
    expect(draw(Random.root('flaky-bug-1234'), 10)).toEqual(draw(Random.root('flaky-bug-1234'), 10));
    expect(draw(Random.root('flaky-bug-1234'), 10)).not.toEqual(draw(Random.root('flaky-bug-1235'), 10));
    expect(normalizeSeed(3.9)).toBe(3);
    expect(normalizeSeed(-1)).toBe(0xffffffff);
    expect(normalizeSeed(2 ** 32 + 7)).toBe(7);
    expect(() => normalizeSeed(Number.NaN)).toThrow(/seed must be a finite number or a string, found NaN/);
    expect(() => normalizeSeed(Infinity)).toThrow(TypeError);
  });

  it('a simulation seeded with a string equals one seeded with the number it hashes to', async () => {
    const hashOf = async (seed: number | string) => {
      const sim = new Simulation({ seed, network: { link: { latency: { kind: 'uniform', min: 5, max: 50 } } }, server: () => ({}) });
      const env = sim.env();
      env.setInterval(() => void env.fetch('/x').catch(() => {}), 100);
      await sim.run(2000);
      return sim.trace.hash();
    };
    expect(await hashOf('my seed')).toBe(await hashOf(hashString('my seed')));
    expect(await hashOf('17')).toBe(await hashOf(17));
    expect(await hashOf(17)).not.toBe(await hashOf(18));
  });

  it('next() is uniform on [0, 1): mean ≈ 0.5, variance ≈ 1/12, every decile hit', () => {
    const r = Random.root(2024).stream('dist');
    const n = 10_000;
    const buckets = new Array<number>(10).fill(0);
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = r.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
      sq += x * x;
      buckets[Math.floor(x * 10)]!++;
    }
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01); // ~3.5 standard errors
    expect(Math.abs(sq / n - mean * mean - 1 / 12)).toBeLessThan(0.005);
    for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThan(120); // ~4 standard deviations
  });

  it('int(min, max) covers both bounds inclusively and nothing outside', () => {
    const r = Random.root(9).stream('ints');
    const seen = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      const v = r.int(-2, 3);
      expect(Number.isInteger(v)).toBe(true);
      seen.set(v, (seen.get(v) ?? 0) + 1);
    }
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2, 3]);
    for (const c of seen.values()) expect(c).toBeGreaterThan(10_000 / 6 - 200);
    expect(r.int(5, 5)).toBe(5);
  });

  it('chance(0) and chance(1) draw nothing; chance(p) draws one number and hits about p of the time', () => {
    const r = Random.root(3).stream('chance');
    const twin = Random.root(3).stream('chance');
    for (let i = 0; i < 100; i++) {
      expect(r.chance(0)).toBe(false);
      expect(r.chance(-1)).toBe(false);
      expect(r.chance(1)).toBe(true);
      expect(r.chance(2)).toBe(true);
    }
    expect(r.draws).toBe(0);
    expect(r.nextUint32()).toBe(twin.nextUint32());
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (r.chance(0.25)) hits++;
    expect(r.draws).toBe(10_001);
    expect(Math.abs(hits / 10_000 - 0.25)).toBeLessThan(0.02);
  });

  it('normal() has mean ≈ 0 and standard deviation ≈ 1, and is always finite', () => {
    const r = Random.root(11).stream('normal');
    const n = 10_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      expect(Number.isFinite(x)).toBe(true);
      sum += x;
      sq += x * x;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.05);
    expect(Math.abs(Math.sqrt(sq / n - (sum / n) ** 2) - 1)).toBeLessThan(0.05);
  });

  it('counts draws per stream', () => {
    const r = Random.root(1).stream('count');
    expect(r.draws).toBe(0);
    r.next();
    r.int(1, 6);
    r.normal();
    expect(r.draws).toBe(4);
  });
});

describe('randomness of the network', () => {
  it('link settings left undefined keep their defaults and consume no draws', async () => {
    const hashOf = async (link: Record<string, unknown>) => {
      const sim = new Simulation({
        seed: 12,
        network: { link: { latency: { kind: 'lognormal', median: 30, sigma: 0.5 }, ...link } },
        server: () => ({}),
      });
      const env = sim.env();
      env.setInterval(() => void env.fetch('/x').catch(() => {}), 100);
      await sim.run(3000);
      return sim.trace.hash();
    };
    const base = await hashOf({});
    expect(await hashOf({ loss: undefined, duplicate: undefined, reorder: undefined, bandwidth: undefined })).toBe(base);
    expect(await hashOf({ loss: 0.5 })).not.toBe(base);
  });
});
