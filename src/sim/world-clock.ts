import { describeFound, suggest } from './describe.js';
import { isTimeZone, knownTimeZones } from './time-zone.js';

/** The wall clock of a client device: how far it is off the server's, and its time zone. */
export interface NodeClock {
  /** ms the device's wall clock runs ahead of the server's (negative: behind); default 0. */
  skew?: number;
  /** The device's IANA time zone (`Europe/Berlin`); default `UTC`. */
  timeZone?: string;
}

/** A scenario's `clock:`: settings for every client, and overrides per client node. */
export interface ClockConfig extends NodeClock {
  /** Per client node overrides, e.g. `{ c2: { skew: -120000 } }`. */
  nodes?: Record<string, NodeClock>;
}

/** What a start instant must look like, for messages. */
export const startInstantExpected =
  'an ISO-8601 date-time with a UTC offset or Z, such as "2025-03-30T00:59:50Z" or "2025-03-30T01:59:50+01:00"';

/** A century of skew either way: a device clock set to a wrong year is a real failure, one set beyond it is a typo. */
export const maxSkewMs = 3_155_760_000_000;

const startPattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The epoch ms of a run's start instant (`2025-03-30T00:59:50Z`), or `undefined` when
 * `text` is not an ISO-8601 date-time with an offset, or names a day or time that does not
 * exist (February 30th, 24:00, an offset beyond ±23:59).
 */
export function parseStartInstant(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = startPattern.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s = '0', frac = '0', off] = m.slice(1) as string[];
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0'))] as const;
  const probe = new Date(0);
  probe.setUTCFullYear(fields[0], fields[1], fields[2]);
  probe.setUTCHours(fields[3], fields[4], fields[5], fields[6]);
  // Overflowing fields (month 13, day 31 of a 30-day month, hour 24) roll over: reject them.
  if (
    probe.getUTCFullYear() !== fields[0] ||
    probe.getUTCMonth() !== fields[1] ||
    probe.getUTCDate() !== fields[2] ||
    probe.getUTCHours() !== fields[3] ||
    probe.getUTCMinutes() !== fields[4] ||
    probe.getUTCSeconds() !== fields[5]
  ) {
    return undefined;
  }
  let offset = 0;
  if (off !== 'Z') {
    const oh = Number(off!.slice(1, 3));
    const om = Number(off!.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offset = (off!.startsWith('-') ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return probe.getTime() - offset;
}

type Bad = (field: string, expected: string, found: unknown) => void;

const nodeClockFields = ['skew', 'timeZone'];

function checkNodeClock(v: Record<string, unknown>, field: string, bad: Bad, extra: string[] = []): void {
  for (const [k, x] of Object.entries(v)) {
    const f = field ? `${field}.${k}` : k;
    if (k === 'skew') {
      if (typeof x !== 'number' || !Number.isInteger(x) || Math.abs(x) > maxSkewMs)
        bad(f, `whole milliseconds from −${maxSkewMs.toLocaleString('en')} to ${maxSkewMs.toLocaleString('en')} (a century either way)`, x);
    } else if (k === 'timeZone') {
      if (!isTimeZone(x)) {
        const hint = typeof x === 'string' ? suggest(x, knownTimeZones()) : undefined;
        bad(f, `an IANA time zone such as "Europe/Berlin" or "UTC"${hint ? ` (did you mean "${hint}"?)` : ''}`, x);
      }
    } else if (!extra.includes(k)) {
      const allowed = [...nodeClockFields, ...extra];
      const hint = suggest(k, allowed);
      bad(f, `one of ${allowed.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`, x);
    }
  }
}

/**
 * Checks a `clock:` setting (`{ skew, timeZone, nodes: { c2: { skew, timeZone } } }`),
 * reporting each problem through `bad` with the field under `prefix` (`clock.nodes.c2.skew`).
 * With `clients`, every node under `nodes` must be one of them. Returns the setting typed
 * when it is sound.
 */
export function checkClock(v: unknown, bad: Bad, clients?: readonly string[], prefix = 'clock'): ClockConfig | undefined {
  let ok = true;
  const note: Bad = (f, e, x) => {
    ok = false;
    bad(f, e, x);
  };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    note(prefix, 'a mapping of skew, timeZone and nodes (per client node: skew, timeZone)', v);
    return undefined;
  }
  const c = v as Record<string, unknown>;
  checkNodeClock(c, prefix, note, ['nodes']);
  if (c.nodes !== undefined) {
    if (c.nodes === null || typeof c.nodes !== 'object' || Array.isArray(c.nodes))
      note(`${prefix}.nodes`, 'a mapping of client node to { skew, timeZone }', c.nodes);
    else
      for (const [node, nc] of Object.entries(c.nodes as Record<string, unknown>)) {
        const f = `${prefix}.nodes.${node}`;
        if (clients && !clients.includes(node)) note(f, `one of the client nodes (${clients.join(', ')})`, node);
        if (nc === null || typeof nc !== 'object' || Array.isArray(nc)) note(f, 'a mapping with skew and/or timeZone', nc);
        else checkNodeClock(nc as Record<string, unknown>, f, note);
      }
  }
  return ok ? (c as ClockConfig) : undefined;
}

/** The clock of `node` under `config`: its own setting, else the scenario's, else 0 skew in UTC. */
export function nodeClock(config: ClockConfig | undefined, node: string): Required<NodeClock> {
  const own = config?.nodes?.[node];
  return { skew: own?.skew ?? config?.skew ?? 0, timeZone: own?.timeZone ?? config?.timeZone ?? 'UTC' };
}

/** The `clock` field of `sim.start`: every node's clock, or `undefined` when all keep the default (so existing traces keep their bytes). */
export function clockHeader(config: ClockConfig | undefined, clients: readonly string[]): Record<string, Required<NodeClock>> | undefined {
  const all = clients.map((c) => [c, nodeClock(config, c)] as const);
  return all.some(([, n]) => n.skew !== 0 || n.timeZone !== 'UTC') ? Object.fromEntries(all) : undefined;
}

/** Throws a `TypeError` listing every problem of a `clock` option given to a `Simulation`. */
export function assertClock(v: unknown, clients: readonly string[]): ClockConfig | undefined {
  if (v === undefined) return undefined;
  const problems: string[] = [];
  const config = checkClock(v, (f, e, x) => problems.push(`${f}: expected ${e}, found ${describeFound(x)}`), clients);
  if (problems.length) throw new TypeError(problems.join('\n'));
  return config;
}
