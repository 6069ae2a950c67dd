/**
 * What changed between two client snapshots, for the HTML report: a reader looks for the
 * one field that went wrong, not at two JSON dumps.
 */

/** One change between two snapshots: a path (`messages[m3].pending`) added, removed or changed. */
export interface SnapshotChange {
  /** Where, as a path into the snapshot. */
  path: string;
  /** `+` added, `-` removed, `~` changed. */
  op: '+' | '-' | '~';
  /** The old value (removed or changed). */
  before?: unknown;
  /** The new value (added or changed). */
  after?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An array element's key: its `id` (or `clientMessageId`) when every element has one, so an insertion is one change. */
function keysOf(a: readonly unknown[]): string[] {
  const ids = a.map((x) => (isObject(x) ? (x.id ?? x.clientMessageId) : undefined));
  if (ids.every((k) => typeof k === 'string' || typeof k === 'number') && new Set(ids).size === ids.length) return ids.map(String);
  return a.map((_, i) => String(i));
}

/** The changes from `before` to `after`, depth first, in the order of `after`'s keys. */
export function snapshotChanges(before: unknown, after: unknown, path = ''): SnapshotChange[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(after), ...Object.keys(before)])];
    return keys.flatMap((k) => {
      const p = path ? `${path}.${k}` : k;
      if (!(k in before)) return [{ path: p, op: '+' as const, after: after[k] }];
      if (!(k in after)) return [{ path: p, op: '-' as const, before: before[k] }];
      return snapshotChanges(before[k], after[k], p);
    });
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const bk = keysOf(before);
    const ak = keysOf(after);
    const byKey = new Map(bk.map((k, i) => [k, before[i]]));
    const out: SnapshotChange[] = [];
    ak.forEach((k, i) => {
      const p = `${path}[${k}]`;
      if (!byKey.has(k)) out.push({ path: p, op: '+', after: after[i] });
      else out.push(...snapshotChanges(byKey.get(k), after[i], p));
    });
    const kept = new Set(ak);
    bk.forEach((k, i) => {
      if (!kept.has(k)) out.push({ path: `${path}[${k}]`, op: '-', before: before[i] });
    });
    return out;
  }
  return [{ path: path || '(whole snapshot)', op: '~', before, after }];
}

const short = (v: unknown, n = 60): string => {
  const s = JSON.stringify(v) ?? 'undefined';
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
};

/** One line per change: `connection: "open" → "closed"`, `+ messages[m3]: {…}`. */
export function changeLine(c: SnapshotChange, n = 60): string {
  if (c.op === '~') return `${c.path}: ${short(c.before, n)} → ${short(c.after, n)}`;
  return `${c.op} ${c.path}: ${short(c.op === '+' ? c.after : c.before, n)}`;
}

/** A short summary of a snapshot step for a timeline row: its changes, or the whole state when it is the first. */
export function snapshotSummary(before: unknown, after: unknown, max = 3): string {
  if (before === undefined) return `shows ${short(after, 100)}`;
  const changes = snapshotChanges(before, after);
  if (changes.length === 0) return 'shows the same state again';
  const head = changes.slice(0, max).map((c) => changeLine(c, 40));
  return `shows ${head.join('; ')}${changes.length > max ? `; +${changes.length - max} more changes` : ''}`;
}
