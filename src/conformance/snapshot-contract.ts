import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';

/** Why a recorded snapshot breaks the protocol's snapshot schema: the field, what was expected, what was found. */
export interface SnapshotProblem {
  /** The field as a path from the snapshot: `snapshot.checkpoint`, `snapshot.messages[2].id`. */
  field: string;
  /** What the schema asks for there (`string`, `"idle" or "open"`). */
  expected: string;
  /** What the snapshot held (`undefined`, `the number 3`), with a hint at look-alike fields when one is missing. */
  found: string;
}

/** A compiled snapshot schema: returns the first problem of a snapshot, or undefined when it conforms. */
export type SnapshotValidator = (snapshot: unknown) => SnapshotProblem | undefined;

// Compiling is the expensive part: once per schema object, shared by every run of the process.
const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

/**
 * The validator of a protocol's `snapshot` schema (undefined when it declares none). The
 * schema is compiled once; a conforming snapshot costs one compiled check.
 */
export function snapshotValidator(schema: TSchema | undefined): SnapshotValidator | undefined {
  if (!schema) return undefined;
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  const c = check;
  return (value) => {
    if (c.Check(value)) return undefined;
    const first = c.Errors(value).First();
    return first ? problemOf(schema, value, first) : { field: 'snapshot', expected: describeSchema(schema), found: describeValue(value) };
  };
}

/** `c1 at 1200 ms: snapshot.checkpoint: expected string, found undefined (snapshot has cursor)`. */
export function snapshotProblemMessage(node: string, at: number, p: SnapshotProblem): string {
  return `${node} at ${at} ms: ${p.field}: expected ${p.expected}, found ${p.found}`;
}

function problemOf(root: TSchema, value: unknown, e: ValueError): SnapshotProblem {
  const segments = e.path.split('/').slice(1).map(unescapePointer);
  const field = fieldName(segments);
  if (e.type === ValueErrorType.ObjectAdditionalProperties) {
    const parent = schemaAt(root, segments.slice(0, -1));
    const allowed = parent?.properties ? Object.keys(parent.properties as object) : [];
    return { field, expected: `no such field (the schema allows only ${allowed.join(', ') || 'none'})`, found: describeValue(e.value) };
  }
  let found = describeValue(e.value);
  if (e.value === undefined) {
    // A missing field is most often a misnamed one: name the fields the object has that the schema does not know.
    const parentSchema = schemaAt(root, segments.slice(0, -1));
    const parentValue = valueAt(value, segments.slice(0, -1));
    if (parentSchema?.properties && parentValue !== null && typeof parentValue === 'object' && !Array.isArray(parentValue)) {
      const known = new Set(Object.keys(parentSchema.properties as object));
      const extra = Object.keys(parentValue).filter((k) => !known.has(k));
      if (extra.length)
        found += ` (${fieldName(segments.slice(0, -1))} has ${extra.slice(0, 6).join(', ')}${extra.length > 6 ? ', …' : ''})`;
    }
  }
  return { field, expected: describeSchema(e.schema), found };
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

function fieldName(segments: readonly string[]): string {
  return segments.reduce(
    (acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `${acc}.${s}` : `${acc}[${JSON.stringify(s)}]`),
    'snapshot',
  );
}

/** The sub-schema at a path, following object properties and array items (not through unions). */
function schemaAt(schema: TSchema | undefined, segments: readonly string[]): TSchema | undefined {
  let s = schema;
  for (const seg of segments) {
    if (!s) return undefined;
    if (s.type === 'object') s = (s.properties as Record<string, TSchema> | undefined)?.[seg];
    else if (s.type === 'array') s = s.items as TSchema | undefined;
    else return undefined;
  }
  return s;
}

function valueAt(value: unknown, segments: readonly string[]): unknown {
  let v = value;
  for (const seg of segments) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

/** What a schema asks for, in a few words. */
export function describeSchema(s: TSchema): string {
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((x) => JSON.stringify(x)).join(' or ');
  const alternatives = (s.anyOf ?? s.oneOf) as TSchema[] | undefined;
  if (Array.isArray(alternatives)) return alternatives.map(describeSchema).join(' or ');
  switch (s.type) {
    case 'object':
      return s.properties ? `an object with ${Object.keys(s.properties as object).join(', ') || 'no fields'}` : 'an object';
    case 'array':
      return s.items ? `an array of ${describeSchema(s.items as TSchema)}` : 'an array';
    case 'integer':
      return 'integer';
    case 'string':
    case 'number':
    case 'boolean':
    case 'null':
      return s.type;
    default:
      return Array.isArray(s.type) ? (s.type as string[]).join(' or ') : 'a value of the declared shape';
  }
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `the ${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return `an object with ${Object.keys(v).slice(0, 6).join(', ') || 'no fields'}`;
  return `a ${typeof v}`;
}
