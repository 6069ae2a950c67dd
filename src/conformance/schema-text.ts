/**
 * A JSON Schema (as TypeBox builds it) written the way a TypeScript reader expects a type:
 * `{ conversation: string | null; messages: { id: string; … }[] }`, one field per line,
 * for `lockstep list` and docs.
 */
export function schemaText(schema: unknown, indent = ''): string {
  const s = (schema ?? {}) as Record<string, unknown>;
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(union)) return union.map((u) => schemaText(u, indent)).join(' | ');
  const type = s.type;
  if (Array.isArray(type)) return type.map((t) => schemaText({ ...s, type: t }, indent)).join(' | ');
  switch (type) {
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const required = new Set((s.required ?? []) as string[]);
      const keys = Object.keys(props);
      if (!keys.length) return s.additionalProperties && typeof s.additionalProperties === 'object' ? `Record<string, ${schemaText(s.additionalProperties, indent)}>` : '{}';
      const inner = `${indent}  `;
      const lines = keys.map((k) => {
        const p = props[k] as Record<string, unknown>;
        const doc = typeof p.description === 'string' ? `  // ${p.description}` : '';
        return `${inner}${k}${required.has(k) ? '' : '?'}: ${schemaText(p, inner)};${doc}`;
      });
      return `{\n${lines.join('\n')}\n${indent}}`;
    }
    case 'array': {
      const item = schemaText(s.items, indent);
      return /[|\s]/.test(item) && !item.startsWith('{') ? `(${item})[]` : `${item}[]`;
    }
    case 'integer':
      return 'number';
    case 'string':
    case 'number':
    case 'boolean':
    case 'null':
      return type;
    default:
      return 'unknown';
  }
}
