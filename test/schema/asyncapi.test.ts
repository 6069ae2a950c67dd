import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { protocolSchemas } from '../../src/schema/index.js';

type Json = Record<string, any>;

/** Resolves a local `#/a/b` reference in `doc`. */
const resolve = (doc: Json, ref: string): unknown =>
  ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((at, k) => (at as Json | undefined)?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);

describe.each([...protocolSchemas.keys()])('asyncapi/%s.asyncapi.json', (protocol) => {
  const doc = JSON.parse(readFileSync(`asyncapi/${protocol}.asyncapi.json`, 'utf8')) as Json;
  const schemaFile = `schemas/${protocol}.schema.json`;
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Json;
  const spec = protocolSchemas.get(protocol)!;

  it('is an AsyncAPI 3.0.0 document with info and both servers', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(typeof doc.info.title).toBe('string');
    expect(typeof doc.info.version).toBe('string');
    const hosts = Object.values(doc.servers as Record<string, Json>).map((s) => `${s.protocol}://${s.host}`);
    expect(hosts).toEqual(
      expect.arrayContaining(['http://lockstep.test', 'ws://lockstep.test', 'http://127.0.0.1:{port}', 'ws://127.0.0.1:{port}']),
    );
  });

  it('has a channel per documented endpoint, at the address the spec gives', () => {
    const specText = readFileSync(spec.spec, 'utf8');
    const channels = doc.channels as Record<string, Json>;
    expect(Object.keys(channels).sort()).toEqual(spec.endpoints.map((e) => e.id).sort());
    for (const e of spec.endpoints) {
      expect(channels[e.id]!.address).toBe(e.address);
      // The address appears in the spec (parameters may be named differently there).
      const pattern = new RegExp(e.address.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '\\{[^}]+\\}'));
      expect(specText, `${e.address} in ${spec.spec}`).toMatch(pattern);
      for (const name of (e.address.match(/\{([^}]+)\}/g) ?? []).map((m) => m.slice(1, -1)))
        expect(channels[e.id]!.parameters?.[name]).toBeDefined();
      for (const s of channels[e.id]!.servers as Json[]) expect(resolve(doc, s.$ref), s.$ref).toBeDefined();
    }
  });

  it('every message has a payload that is one of the schemas', () => {
    const messages = doc.components.messages as Record<string, Json>;
    expect(Object.keys(messages).length).toBeGreaterThan(0);
    for (const [name, m] of Object.entries(messages)) {
      expect(m.payload.schemaFormat).toBe('application/schema+json;version=draft-2020-12');
      const ref = m.payload.schema.$ref as string;
      const [file, pointer] = ref.split('#');
      expect(file).toBe(`../${schemaFile}`);
      expect(pointer).toBe(`/$defs/${name}`);
      expect(schema.$defs[name], ref).toBeDefined();
    }
    // Channel messages point at components.
    for (const c of Object.values(doc.channels as Record<string, Json>))
      for (const m of Object.values(c.messages as Record<string, Json>)) expect(resolve(doc, m.$ref), m.$ref).toBeDefined();
  });

  it('operations send and receive messages of their channel; WebSockets both ways, REST requests with replies', () => {
    const operations = Object.values(doc.operations as Record<string, Json>);
    for (const op of operations) {
      expect(['send', 'receive']).toContain(op.action);
      const channel = resolve(doc, op.channel.$ref) as Json;
      expect(channel).toBeDefined();
      for (const m of [...op.messages, ...(op.reply?.messages ?? [])] as Json[]) {
        expect(m.$ref.startsWith(`${op.channel.$ref}/messages/`), m.$ref).toBe(true);
        expect(resolve(doc, m.$ref)).toBeDefined();
      }
    }
    for (const e of spec.endpoints) {
      const ops = operations.filter((o) => o.channel.$ref === `#/channels/${e.id}`);
      if (e.kind === 'ws') expect(ops.map((o) => o.action).sort()).toEqual(['receive', 'send']);
      else {
        expect(ops).toHaveLength(1);
        expect(ops[0]!.bindings.http.method).toBe(e.method);
        if (e.request) expect(ops[0]!.reply.messages.length).toBe(e.responses.length);
      }
    }
  });
});
