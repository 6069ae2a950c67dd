/**
 * Canonical JSON: object keys sorted, `undefined` members dropped, non-finite numbers
 * rejected, `toJSON()` honoured as `JSON.stringify` does (so a `Date` is its ISO string,
 * never `{}`). Two equal values always give the same bytes and unequal ones never do,
 * which is what makes a trace's hash a determinism fingerprint.
 */
export function canonicalJson(value: unknown): string {
  return write(value, []);
}

function write(value: unknown, stack: object[]): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold ${value}`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return write((value as { toJSON(): unknown }).toJSON(), stack);
      if (stack.includes(value)) throw new TypeError('canonical JSON cannot hold a circular structure');
      stack.push(value);
      let out: string;
      if (Array.isArray(value)) out = `[${value.map((v) => (v === undefined ? 'null' : write(v, stack))).join(',')}]`;
      else {
        const obj = value as Record<string, unknown>;
        const keys = Object.keys(obj)
          .filter((k) => obj[k] !== undefined)
          .sort();
        out = `{${keys.map((k) => `${JSON.stringify(k)}:${write(obj[k], stack)}`).join(',')}}`;
      }
      stack.pop();
      return out;
    }
    case 'undefined':
      return 'null';
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}
