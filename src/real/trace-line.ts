import { canonicalJson } from '../sim/canonical-json.js';
import { roundTime } from '../sim/trace.js';

/**
 * One trace line in the kernel's canonical form — `{"t":…,"seq":…,"ev":…}` followed by the
 * other fields in sorted key order, each in canonical JSON — built without keeping it.
 * The kernel's `Trace.record` keeps every line it builds; a streamed real-socket trace
 * (docs/real-socket-mode.md) needs the same bytes with nothing retained, so it builds
 * them here. Throws the kernel's `TypeError`s: a non-finite time, a reserved key, a
 * value canonical JSON cannot hold. Returns the line and the event object listeners get.
 */
export function traceLine(
  t: number,
  seq: number,
  ev: string,
  fields?: Record<string, unknown>,
): { line: string; event: Record<string, unknown> } {
  if (!Number.isFinite(t)) throw new TypeError(`trace step "${ev}": virtual time must be a finite number, found ${t}`);
  const time = roundTime(t);
  const event: Record<string, unknown> = { t: time, seq, ev };
  const parts = [`{"t":${JSON.stringify(time)},"seq":${seq},"ev":${JSON.stringify(ev)}`];
  const keys = fields ? Object.keys(fields).sort() : [];
  for (const k of keys) {
    const v = fields![k];
    if (v === undefined) continue;
    if (k === 't' || k === 'seq' || k === 'ev') throw new TypeError(`trace field "${k}" is reserved (step "${ev}")`);
    let json: string;
    try {
      json = canonicalJson(v);
    } catch (e) {
      throw new TypeError(`trace step "${ev}", field "${k}": ${(e as Error).message}`);
    }
    parts.push(`,${JSON.stringify(k)}:${json}`);
    event[k] = v;
  }
  parts.push('}');
  return { line: parts.join(''), event };
}
