/**
 * A small JSON Schema (draft 2020-12) validator for the subset lockstep's schemas use:
 * type, properties, required, additionalProperties, enum, const, items, minItems,
 * oneOf, anyOf, minimum, maximum, exclusiveMinimum, minLength, pattern, and `$ref` to
 * `#/$defs/…` of the same document. Annotations (title, description, format, default,
 * examples) are ignored. Any other keyword is an error, so the schemas cannot drift into
 * keywords this validator would silently skip.
 */
import type { JsonSchema } from '../../src/schema/index.js';

const known = new Set([
  '$schema',
  '$id',
  '$ref',
  '$defs',
  'title',
  'description',
  'format',
  'default',
  'examples',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'enum',
  'const',
  'items',
  'minItems',
  'oneOf',
  'anyOf',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'minLength',
  'pattern',
]);

/** One reason a value does not validate: where (a JSON pointer into the value) and why. */
export interface SchemaError {
  path: string;
  message: string;
}

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;

const matchesType = (v: unknown, t: string): boolean => {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
};

const equal = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Validates `value` against `schema` (resolving `$ref`s in `root`); returns every error found (none: valid). */
export function validate(root: JsonSchema, value: unknown, schema: JsonSchema = root, path = ''): SchemaError[] {
  const errors: SchemaError[] = [];
  const fail = (message: string) => errors.push({ path: path || '/', message });
  for (const k of Object.keys(schema)) if (!known.has(k)) throw new Error(`unsupported keyword "${k}" at schema for ${path || '/'}`);

  if (schema.$ref !== undefined) {
    const m = /^#\/\$defs\/([^/]+)$/.exec(schema.$ref);
    const target = m ? root.$defs?.[m[1]!] : undefined;
    if (!target) throw new Error(`unresolvable $ref ${schema.$ref}`);
    errors.push(...validate(root, value, target, path));
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => matchesType(value, t))) {
      fail(`expected ${types.join(' or ')}, found ${typeOf(value)}`);
      return errors;
    }
  }
  if (schema.const !== undefined && !equal(value, schema.const))
    fail(`expected ${JSON.stringify(schema.const)}, found ${JSON.stringify(value)}`);
  if (schema.enum !== undefined && !schema.enum.some((e) => equal(e, value)))
    fail(`expected one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, found ${JSON.stringify(value)}`);

  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) fail(`expected ≥ ${schema.minimum}, found ${value}`);
    if (schema.maximum !== undefined && value > schema.maximum) fail(`expected ≤ ${schema.maximum}, found ${value}`);
    if (schema.exclusiveMinimum !== undefined && !(value > schema.exclusiveMinimum))
      fail(`expected > ${schema.exclusiveMinimum}, found ${value}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) fail(`expected at least ${schema.minLength} characters`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      fail(`expected to match /${schema.pattern}/, found ${JSON.stringify(value)}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) fail(`expected at least ${schema.minItems} items`);
    if (schema.items) value.forEach((v, i) => errors.push(...validate(root, v, schema.items!, `${path}/${i}`)));
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!Object.hasOwn(obj, r)) fail(`missing required property "${r}"`);
    for (const [k, v] of Object.entries(obj)) {
      const p = schema.properties && Object.hasOwn(schema.properties, k) ? schema.properties[k] : undefined;
      if (p) errors.push(...validate(root, v, p, `${path}/${k}`));
      else if (schema.additionalProperties === false) fail(`unexpected property "${k}"`);
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...validate(root, v, schema.additionalProperties, `${path}/${k}`));
    }
  }
  if (schema.anyOf !== undefined) {
    const results = schema.anyOf.map((s) => validate(root, value, s, path));
    if (!results.some((r) => r.length === 0)) fail(`matches none of anyOf: ${closest(results)}`);
  }
  if (schema.oneOf !== undefined) {
    const results = schema.oneOf.map((s) => validate(root, value, s, path));
    const ok = results.filter((r) => r.length === 0).length;
    if (ok === 0) fail(`matches none of oneOf: ${closest(results)}`);
    else if (ok > 1) fail(`matches ${ok} branches of oneOf, expected exactly one`);
  }
  return errors;
}

/** The errors of the branch that came closest, for a readable message. */
function closest(results: SchemaError[][]): string {
  const best = [...results].sort((a, b) => a.length - b.length)[0] ?? [];
  return best.map((e) => `${e.path}: ${e.message}`).join('; ');
}

/** Validates against `#/$defs/<def>` of `root`. */
export const validateDef = (root: JsonSchema, def: string, value: unknown): SchemaError[] =>
  validate(root, value, { $ref: `#/$defs/${def}` });
