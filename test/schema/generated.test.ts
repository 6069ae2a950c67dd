import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderFiles } from '../../scripts/generate-schemas.js';
import { generatedFiles, protocolSchemas, scenarioSchema, type JsonSchema } from '../../src/schema/index.js';
import { validate } from './validator.js';

function* subschemas(s: JsonSchema): Generator<JsonSchema> {
  yield s;
  for (const d of Object.values(s.$defs ?? {})) yield* subschemas(d);
  for (const p of Object.values(s.properties ?? {})) yield* subschemas(p);
  if (typeof s.additionalProperties === 'object') yield* subschemas(s.additionalProperties);
  if (s.items) yield* subschemas(s.items);
  for (const b of [...(s.oneOf ?? []), ...(s.anyOf ?? [])]) yield* subschemas(b);
}

describe('generated schemas', () => {
  it('the committed schemas/ and asyncapi/ files are what `npm run schemas` writes', async () => {
    const files = await renderFiles();
    expect([...files.keys()].sort()).toEqual([...generatedFiles().keys()].sort());
    for (const [path, text] of files) {
      let committed = '';
      try {
        committed = readFileSync(path, 'utf8');
      } catch {
        // missing: reported below
      }
      expect(committed, `${path} is stale: run npm run schemas`).toBe(text);
    }
  });

  const documents: [string, JsonSchema][] = [
    ...[...protocolSchemas.values()].map((p) => [p.protocol, p.schema] as [string, JsonSchema]),
    ['scenario', scenarioSchema()],
  ];

  it.each(documents)('%s: draft 2020-12, only keywords the test validator knows, every $ref resolves', (_name, schema) => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    for (const s of subschemas(schema)) {
      // The validator throws on an unknown keyword or an unresolvable $ref.
      expect(() => validate(schema, null, s)).not.toThrow();
      if (s.$ref) expect(schema.$defs?.[s.$ref.replace('#/$defs/', '')], s.$ref).toBeDefined();
      if (s.pattern) expect(() => new RegExp(s.pattern!, 'u')).not.toThrow();
    }
  });

  it('every endpoint of a protocol names $defs that exist', () => {
    for (const p of protocolSchemas.values()) {
      for (const e of p.endpoints) {
        const names = e.kind === 'ws' ? [...e.clientFrames, ...e.serverFrames] : [...(e.request ? [e.request] : []), ...e.responses];
        for (const n of names) expect(p.schema.$defs?.[n], `${p.protocol} ${e.id}: ${n}`).toBeDefined();
      }
    }
  });
});
