import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** One recorded step, as parsed back from a trace line. */
export interface TraceEvent {
  /** Virtual time in milliseconds since the simulation started. */
  t: number;
  /** Global sequence number: the total order of the simulation. */
  seq: number;
  /** What happened, e.g. `ws.open`, `http.request`, `net.drop`, `fault.start`. */
  ev: string;
  [field: string]: unknown;
}

/** Receives each trace line as it is recorded (for streaming a trace to a file). */
export type TraceListener = (line: string, event: Readonly<Record<string, unknown>>) => void;

const noKeys: string[] = [];

/** Lines per joined chunk (about 100–300 KB: large enough for V8's large-object space). */
const chunkLines = 2048;

function isSorted(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}

/** Keys an engine orders numerically ahead of others in an object ("0", "42"). */
function isIndexKey(k: string): boolean {
  return k.length > 0 && k.length < 11 && k.charCodeAt(0) >= 48 && k.charCodeAt(0) <= 57 && String(Number(k) >>> 0) === k;
}

/**
 * The record of a simulation: one canonical JSON line per observable step,
 * `{"t":…,"seq":…,"ev":…,…}` with the remaining keys sorted. Lines are serialized when
 * recorded, so later mutation of a payload cannot change history. See
 * `docs/trace-format.md`.
 */
export class Trace {
  /**
   * Older lines, joined into chunks of {@link chunkLines} lines (each ending in `\n`).
   * A long trace is mostly kept lines; holding them as a few large strings instead of
   * 100,000 small ones keeps them out of the young generation, so the garbage collector
   * neither copies them nor grows the young generation for them.
   */
  private readonly chunks: string[] = [];
  /** The newest lines, not yet joined into a chunk. */
  private pending: string[] = [];
  private count = 0;
  private readonly listeners: TraceListener[] = [];
  private parsed: TraceEvent[] | undefined;
  private seq = 0;

  /**
   * Appends one step at virtual time `t`. Returns its sequence number. Throws a
   * `TypeError` naming the step and the field for a reserved key (`t`, `seq`, `ev`) or a
   * value canonical JSON cannot hold (NaN, ±Infinity, a function, a cycle); nothing is
   * recorded then and no sequence number is used, so `seq` never has gaps.
   */
  record(t: number, ev: string, fields?: Record<string, unknown>): number {
    if (!Number.isFinite(t)) throw new TypeError(`trace step "${ev}": virtual time must be a finite number, found ${t}`);
    const time = roundTime(t);
    const seq = this.seq;
    // Hot call sites list their fields in sorted order, which spares a sort (and an array).
    let keys = fields ? Object.keys(fields) : noKeys;
    if (!isSorted(keys)) keys = keys.sort();
    // Lines are built as one flat string: a tree of concatenated pieces would be kept for
    // the whole run (a 100k-line trace then costs three times the memory and most of the
    // garbage collector's time). Primitive fields, the common case, go through a single
    // JSON.stringify of an object built in canonical key order; nested values use
    // canonical JSON and a join.
    let flat = true;
    const obj: Record<string, unknown> = { t: time, seq, ev };
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const v = fields![k];
      if (v === undefined) continue;
      if (k === 't' || k === 'seq' || k === 'ev') throw new TypeError(`trace field "${k}" is reserved (step "${ev}")`);
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) throw new TypeError(`trace step "${ev}", field "${k}": canonical JSON cannot hold ${v}`);
      } else if (v !== null && typeof v !== 'string' && typeof v !== 'boolean') flat = false;
      // Integer-like keys would be reordered by the engine: only the join keeps code-point order.
      if (flat && isIndexKey(k)) flat = false;
      if (flat) obj[k] = v;
    }
    let line: string;
    if (flat) {
      line = JSON.stringify(obj);
    } else {
      const parts = [`{"t":${JSON.stringify(time)},"seq":${seq},"ev":${JSON.stringify(ev)}`];
      for (const k of keys) {
        const v = fields![k];
        if (v === undefined) continue;
        let json: string;
        try {
          json = canonicalJson(v);
        } catch (e) {
          throw new TypeError(`trace step "${ev}", field "${k}": ${(e as Error).message}`);
        }
        parts.push(`,${JSON.stringify(k)}:${json}`);
      }
      parts.push('}');
      line = parts.join('');
    }
    this.seq++;
    this.count++;
    this.pending.push(line);
    if (this.pending.length === chunkLines) {
      this.chunks.push(`${this.pending.join('\n')}\n`);
      this.pending = [];
    }
    this.parsed = undefined;
    if (this.listeners.length > 0) {
      const event: Record<string, unknown> = { t: time, seq, ev };
      for (const k of keys) if (fields![k] !== undefined) event[k] = fields![k];
      for (const l of this.listeners) l(line, event);
    }
    return seq;
  }

  /** Calls `listener` for every line recorded from now on. Returns an unsubscribe. */
  onRecord(listener: TraceListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Number of recorded steps. */
  get length(): number {
    return this.count;
  }

  /** The trace as JSON Lines (each line ends with `\n`). */
  toJsonl(): string {
    return this.chunks.join('') + (this.pending.length === 0 ? '' : `${this.pending.join('\n')}\n`);
  }

  /** The raw lines, in order. */
  rawLines(): readonly string[] {
    const out: string[] = [];
    for (const c of this.chunks) out.push(...c.slice(0, -1).split('\n'));
    out.push(...this.pending);
    return out;
  }

  /** The steps as objects (parsed once, cached until the next record). */
  events(): readonly TraceEvent[] {
    this.parsed ??= this.rawLines().map((l) => JSON.parse(l) as TraceEvent);
    return this.parsed;
  }

  /** sha256 of {@link Trace.toJsonl}, hex: the determinism fingerprint. */
  hash(): string {
    const h = createHash('sha256');
    for (const c of this.chunks) h.update(c);
    for (const l of this.pending) {
      h.update(l);
      h.update('\n');
    }
    return h.digest('hex');
  }
}

/** Virtual times are kept to whole microseconds so that float noise never reaches a trace. */
export function roundTime(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Parses JSON Lines back into events, naming the line of any malformed entry. */
export function parseTrace(jsonl: string, source = 'trace'): TraceEvent[] {
  const out: TraceEvent[] = [];
  const lines = jsonl.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new Error(`${source}: line ${i + 1}: expected a JSON object, found malformed JSON (${(e as Error).message})`);
    }
    const o = v as Partial<TraceEvent> | null;
    if (!o || typeof o !== 'object' || typeof o.t !== 'number' || typeof o.seq !== 'number' || typeof o.ev !== 'string') {
      throw new Error(`${source}: line ${i + 1}: expected an object with numeric "t", numeric "seq" and string "ev"`);
    }
    out.push(o as TraceEvent);
  }
  return out;
}
