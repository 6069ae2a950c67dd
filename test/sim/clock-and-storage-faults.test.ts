import { execFileSync } from 'node:child_process';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { worldConditionArbitraries } from '../../src/conformance/fault-arbitraries.js';
import type { ProtocolDefinition } from '../../src/conformance/protocol.js';
import { resolveScenario, scenarioClock } from '../../src/conformance/scenario.js';
import { healAll } from '../../src/sim/faults/heal.js';
import { Simulation } from '../../src/sim/simulation.js';
import { parseStartInstant } from '../../src/sim/world-clock.js';

const start = parseStartInstant('2025-03-30T00:59:50Z')!; // ten seconds before DST starts in Berlin

describe('the run clock', () => {
  it('parses start instants with an offset or Z, and rejects anything else', () => {
    expect(start).toBe(Date.UTC(2025, 2, 30, 0, 59, 50));
    expect(parseStartInstant('2025-03-30T01:59:50+01:00')).toBe(start);
    expect(parseStartInstant('2024-12-31T23:59:59.5-05:30')).toBe(Date.UTC(2025, 0, 1, 5, 29, 59, 500));
    for (const bad of [
      '2025-03-30T00:59:50',
      '2025-03-30',
      '2025-02-30T00:00:00Z',
      '2025-03-30T24:00:00Z',
      '2025-03-30T00:00:00+24:00',
      1743296390000,
      'soon',
    ])
      expect(parseStartInstant(bad)).toBeUndefined();
  });

  it('gives each client its skewed wall clock and zone; the server reads true time', async () => {
    const sim = new Simulation({
      seed: 1,
      clients: ['c1', 'c2'],
      startTime: start,
      clock: { timeZone: 'Europe/Berlin', nodes: { c2: { skew: -90_000, timeZone: 'America/New_York' } } },
    });
    const c1 = sim.env('c1');
    const c2 = sim.env('c2');
    expect(c1.Date.now()).toBe(start);
    expect(c2.Date.now()).toBe(start - 90_000);
    expect(sim.server.env.Date.now()).toBe(start);
    expect(c2.performance.timeOrigin).toBe(start - 90_000);
    expect(c1.clock).toEqual({ timeZone: 'Europe/Berlin' });
    expect(new c1.Date().toString()).toBe('Sun Mar 30 2025 01:59:50 GMT+0100 (Central European Standard Time)');
    await sim.run(10_000);
    // 01:59:60 local does not exist: the clock jumps to 03:00 CEST.
    expect(new c1.Date().toString()).toBe('Sun Mar 30 2025 03:00:00 GMT+0200 (Central European Summer Time)');
    expect(new c1.Date().getTimezoneOffset()).toBe(-120);
    expect(new c1.Date(2025, 2, 30, 2, 30).toISOString()).toBe('2025-03-30T01:30:00.000Z'); // a skipped time lands after the gap
    expect(new c2.Date().toISOString()).toBe('2025-03-30T00:58:30.000Z');
    expect(new c2.Date().getHours()).toBe(20); // New York is on EDT since March 9th
    expect(sim.server.env.Date.now()).toBe(start + 10_000);
    expect(sim.trace.events()[0]).toMatchObject({
      ev: 'sim.start',
      startTime: '2025-03-30T00:59:50.000Z',
      clock: { c1: { skew: 0, timeZone: 'Europe/Berlin' }, c2: { skew: -90_000, timeZone: 'America/New_York' } },
    });
  });

  it('keeps the header of a run without clock settings as it was', () => {
    const first = new Simulation({ seed: 1 }).trace.rawLines()[0];
    expect(first).toBe(
      '{"t":0,"seq":0,"ev":"sim.start","clients":["c1"],"origin":"http://lockstep.test","seed":1,"startTime":"2025-01-15T09:00:00.000Z"}',
    );
  });

  it('under --globals, Date and Intl.DateTimeFormat follow the device, and are restored', async () => {
    const sim = new Simulation({ seed: 1, startTime: start, clock: { timeZone: 'Asia/Tokyo', skew: 60_000 } });
    const before = Intl.DateTimeFormat;
    await sim.withGlobals('c1', () => {
      expect(Date.now()).toBe(start + 60_000);
      expect(Intl.DateTimeFormat().resolvedOptions().timeZone).toBe('Asia/Tokyo');
      expect(new Intl.DateTimeFormat('en-GB', { timeStyle: 'medium' }).format()).toBe('10:00:50');
      expect(new Date().getHours()).toBe(10);
      expect(new Date().toLocaleTimeString('en-GB')).toBe('10:00:50');
      expect(new Date(2025, 0, 1).toISOString()).toBe('2024-12-31T15:00:00.000Z');
      expect(Date.parse('2025-01-01T00:00')).toBe(Date.UTC(2024, 11, 31, 15));
      expect(Date.parse('2025-01-01')).toBe(Date.UTC(2025, 0, 1));
    });
    expect(Intl.DateTimeFormat).toBe(before);
  });

  it('matches V8 local time under the process TZ, without changing it', () => {
    const instants = [
      Date.UTC(2025, 2, 9, 6, 59, 59),
      Date.UTC(2025, 2, 9, 7),
      Date.UTC(2025, 10, 2, 5, 30),
      Date.UTC(2025, 10, 2, 6, 30),
      0,
    ];
    const probe = `const t=${JSON.stringify(instants)};console.log(JSON.stringify(t.map(x=>{const d=new Date(x);return [d.toString(),d.getHours(),d.getDay(),d.getTimezoneOffset()]}).concat([new Date(2025,2,9,2,30).getTime(),new Date(2025,10,2,1,30).getTime()])))`;
    const expected = execFileSync(process.execPath, ['-e', probe], {
      env: { ...process.env, TZ: 'America/New_York' },
      encoding: 'utf8',
    }).trim();
    const D = new Simulation({ seed: 1, clock: { timeZone: 'America/New_York' } }).env('c1').Date;
    const ours = instants
      .map((x) => {
        const d = new D(x);
        return [d.toString(), d.getHours(), d.getDay(), d.getTimezoneOffset()] as unknown;
      })
      .concat([new D(2025, 2, 9, 2, 30).getTime(), new D(2025, 10, 2, 1, 30).getTime()]);
    expect(JSON.stringify(ours)).toBe(expected);
  });

  it('rejects bad clock options', () => {
    expect(() => new Simulation({ seed: 1, clock: { timeZone: 'Europe/Berlinn', nodes: { c9: { skew: 1.5 } } } })).toThrow(
      'clock.timeZone: expected an IANA time zone such as "Europe/Berlin" or "UTC" (did you mean "Europe/Berlin"?), found the string "Europe/Berlinn"\nclock.nodes.c9: expected one of the client nodes (c1), found the string "c9"\nclock.nodes.c9.skew',
    );
  });
});

describe('scenario fields start and clock', () => {
  const toy = new Map([
    [
      'toy',
      {
        name: 'toy',
        defaults: { duration: 10_000, heal: 1000, clients: ['c1'] },
        serverVariants: {},
        server: () => () => ({}),
        actions: {},
        requirements: [],
      } as unknown as ProtocolDefinition,
    ],
  ]);
  it('are validated and carried to the simulation', () => {
    const sc = resolveScenario(
      { protocol: 'toy', start: '2025-03-30T00:59:50Z', clock: { skew: -5000, nodes: { c1: { timeZone: 'Europe/Berlin' } } } },
      's.yaml',
      toy,
    );
    expect(scenarioClock(sc)).toEqual({ startTime: start, clock: { skew: -5000, nodes: { c1: { timeZone: 'Europe/Berlin' } } } });
    expect(scenarioClock(resolveScenario({ protocol: 'toy' }, 's.yaml', toy))).toEqual({});
    expect(() =>
      resolveScenario({ protocol: 'toy', start: '2025-03-30 00:59', clock: { skw: 5, nodes: { c2: {} } } }, 's.yaml', toy),
    ).toThrow(
      [
        's.yaml: field "start": expected an ISO-8601 date-time with a UTC offset or Z, such as "2025-03-30T00:59:50Z" or "2025-03-30T01:59:50+01:00", found the string "2025-03-30 00:59"',
        's.yaml: field "clock.skw": expected one of skew, timeZone, nodes (did you mean "skew"?), found the number 5',
        `s.yaml: field "clock.nodes.c2": expected one of the client nodes (c1), found the string "c2"`,
      ].join('\n'),
    );
  });
});

describe('storage-failure', () => {
  it('quota: setItem throws QuotaExceededError for the window, reads and removals work', async () => {
    const sim = new Simulation({ seed: 1, faults: [{ kind: 'storage-failure', at: 1000, duration: 2000, mode: 'quota' }] });
    const env = sim.env('c1');
    const results: string[] = [];
    const write = (t: number, v: string) =>
      sim.at(t, 'c1', 'write', () => {
        try {
          env.storage.setItem('k', v);
          results.push(`${t} ok`);
        } catch (e) {
          results.push(`${t} ${(e as DOMException).name} ${e instanceof DOMException} read=${env.storage.getItem('k')}`);
        }
      });
    write(500, 'a');
    write(1500, 'b');
    write(3500, 'c');
    await sim.run(4000);
    expect(results).toEqual(['500 ok', '1500 QuotaExceededError true read=a', '3500 ok']);
    expect(
      sim.trace
        .events()
        .filter((e) => e.ev.startsWith('storage.') || e.ev.startsWith('fault.'))
        .map((e) => `${e.t} ${e.ev}`),
    ).toEqual(['500 storage.set', '1000 fault.start', '1500 storage.fail', '3000 fault.end', '3500 storage.set']);
  });

  it('lose-on-restart: the next restart inside the window finds the storage empty, once', async () => {
    const sim = new Simulation({
      seed: 1,
      clients: ['c1', 'c2'],
      faults: [{ kind: 'storage-failure', at: 1000, duration: 5000, node: 'c1', mode: 'lose-on-restart' }],
    });
    for (const n of ['c1', 'c2']) sim.node(n).storage.setItem('outbox', '[1]');
    sim.at(500, 'c1', 'restart', () => sim.restartClient('c1')); // before the window: kept
    sim.at(2000, 'c1', 'restart', () => sim.restartClient('c1'));
    sim.at(2000, 'c2', 'restart', () => sim.restartClient('c2')); // another node: kept
    sim.at(2500, 'c1', 'write', () => sim.env('c1').storage.setItem('outbox', '[2]'));
    sim.at(3000, 'c1', 'restart', () => sim.restartClient('c1')); // the loss happened once
    await sim.run(7000);
    expect(sim.node('c1').storage.getItem('outbox')).toBe('[2]');
    expect(sim.node('c2').storage.getItem('outbox')).toBe('[1]');
    expect(sim.trace.events().filter((e) => e.ev === 'storage.lost')).toEqual([
      { t: 2000, seq: expect.any(Number), ev: 'storage.lost', entry: 0, keys: 1, node: 'c1' },
    ]);
  });

  it('a restart after the window keeps the storage; heal lifts a quota without end', async () => {
    const sim = new Simulation({
      seed: 1,
      faults: [
        { kind: 'storage-failure', at: 0, duration: 1000, mode: 'lose-on-restart' },
        { kind: 'storage-failure', at: 0, mode: 'quota' },
      ],
    });
    await sim.run(10);
    expect(() => sim.env('c1').storage.setItem('k', 'v')).toThrow('exceeded the quota');
    sim.at(2000, 'c1', 'restart', () => sim.restartClient('c1'));
    await sim.run(3000);
    healAll(sim);
    sim.env('c1').storage.setItem('k', 'v');
    expect(sim.trace.events().some((e) => e.ev === 'storage.lost')).toBe(false);
    expect(sim.node('c1').storage.getItem('k')).toBe('v');
  });
});

describe('worldConditionArbitraries', () => {
  it('draws valid start instants, zones, skews and storage failures, deterministically', () => {
    const { conditions, faults } = worldConditionArbitraries(fc, { duration: 60_000, maxWindow: 20_000, clients: ['c1', 'c2'] });
    const drawn = fc.sample(fc.tuple(conditions, fc.oneof(...faults)), { seed: 7, numRuns: 200 });
    expect(fc.sample(fc.tuple(conditions, fc.oneof(...faults)), { seed: 7, numRuns: 200 })).toEqual(drawn);
    const toy = new Map([
      [
        'toy',
        {
          name: 'toy',
          defaults: { duration: 60_000, heal: 1000, clients: ['c1', 'c2'] },
          serverVariants: {},
          server: () => () => ({}),
          actions: {},
          requirements: [],
        } as unknown as ProtocolDefinition,
      ],
    ]);
    let dst = 0;
    let midnight = 0;
    for (const [w, f] of drawn) {
      const sc = resolveScenario({ protocol: 'toy', ...w, faults: [f] }, 'drawn', toy);
      expect(sc.faults[0]!.kind).toBe('storage-failure');
      if (w.start && w.clock?.timeZone === 'Europe/Berlin' && /^2025-(03-30T0[01]|10-26T0[01])/.test(w.start)) dst++;
      if (w.start && /T23:5\d/.test(w.start)) midnight++;
    }
    expect(dst).toBeGreaterThan(0);
    expect(midnight).toBeGreaterThan(0);
  });
});
