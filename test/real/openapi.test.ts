import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProtocol, protocols } from '../../src/conformance/registry.js';
import { resolveScenario } from '../../src/conformance/scenario.js';
import { RealServer } from '../../src/real/server.js';
import { validate } from '../schema/validator.js';

// openapi/control.yaml is written by hand (the control endpoint's bodies are checked in
// src/real/server.ts, not declared in TypeBox): this test holds it to what the real
// endpoint does — every answer's status is documented for its operation and its body
// matches the documented schema, and the documented operations are exactly the endpoint's.

type Json = Record<string, any>;
const doc = parse(readFileSync('openapi/control.yaml', 'utf8')) as Json;
/** The document's schemas as one JSON Schema 2020-12 document (`#/components/schemas/X` → `#/$defs/X`), for the schema tests' validator. */
const schemas = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', '#/$defs/')) as Json;
const root = { $defs: schemas };

/** Follows a local `$ref` in the document. */
const deref = (x: Json): Json =>
  x.$ref ? deref((x.$ref as string).replace(/^#\//, '').split('/').reduce<Json>((at, k) => at[k], doc)) : x;

let server: RealServer;
const seen: string[] = [];

/** Calls the control endpoint and checks the answer against the document. */
async function call(
  op: string,
  method: string,
  init: { body?: string; token?: string | null; query?: string } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? 'token-c1'}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${server.urls.controlUrl}${op}${init.query ?? ''}`, { method, headers, body: init.body });
  const text = await r.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  // A method the resource does not take is judged by the resource's documented operation (its 405).
  const item = doc.paths[op] as Json | undefined;
  const docMethod = item && !item[method.toLowerCase()] ? Object.keys(item)[0]!.toUpperCase() : method;
  const operation = item?.[docMethod.toLowerCase()] as Json | undefined;
  const key = `${docMethod} ${op} ${r.status}`;
  seen.push(key);
  if (operation) {
    const documented = operation.responses[String(r.status)] as Json | undefined;
    expect(documented, `${key} is not documented`).toBeDefined();
    const response = deref(documented!);
    const schema = response.content?.['application/json']?.schema as Json | undefined;
    if (schema) {
      const ref = (schema.$ref as string).replace('#/components/schemas/', '#/$defs/');
      const errors = validate(root as never, body, { $ref: ref } as never);
      expect(errors, `${key}: ${JSON.stringify(body)}`).toEqual([]);
    } else expect(body, `${key} has no documented body`).toBeUndefined();
  }
  return { status: r.status, body, headers: r.headers };
}

beforeAll(async () => {
  const scenario = {
    ...resolveScenario(
      { protocol: 'chat', duration: 60_000, heal: 0, actions: [{ at: 0, do: 'openConversation', args: { conversation: 'A' } }] },
      'test',
      protocols,
    ),
  };
  server = await RealServer.listen({ protocol: getProtocol('chat'), scenario, startWhen: 'clients' });
});
afterAll(async () => {
  await server?.close();
});

describe('openapi/control.yaml', () => {
  it('is an OpenAPI 3.1 document whose schemas are JSON Schema 2020-12 (the subset the schema tests validate)', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.servers[0].url).toBe('http://127.0.0.1:{port}/__lockstep');
    // Every response body is a $ref to a named schema, and every schema uses only keywords the validator knows.
    for (const name of Object.keys(schemas)) expect(() => validate(root as never, {}, { $ref: `#/$defs/${name}` } as never)).not.toThrow();
    for (const [path, item] of Object.entries(doc.paths as Json))
      for (const [method, op] of Object.entries(item as Json)) {
        expect(op.operationId, `${method} ${path}`).toBeTypeOf('string');
        expect(Object.keys(op.responses as Json).length).toBeGreaterThan(0);
      }
  });

  it('documents exactly the resources the endpoint serves, with their methods', async () => {
    expect(Object.keys(doc.paths as Json).sort()).toEqual(['/action', '/info', '/log', '/next-action', '/snapshot']);
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      const [method] = Object.keys(item as Json);
      const wrong = method === 'get' ? 'POST' : 'GET';
      const r = await call(path, wrong, wrong === 'POST' ? { body: '{}' } : {});
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe(method!.toUpperCase());
    }
    const unknown = await fetch(`${server.urls.controlUrl}/nothing`, { headers: { authorization: 'Bearer token-c1' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'not_found' });
  });

  it('answers every call as documented: before the start, the run, bad input', async () => {
    expect((await call('/info', 'GET')).body).toMatchObject({ started: false, done: false, node: 'c1' });
    for (const op of ['/snapshot', '/action', '/log'])
      expect((await call(op, 'POST', { body: '{"state":{},"do":"restart","msg":"early"}' })).status).toBe(409);
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      const method = Object.keys(item as Json)[0]!.toUpperCase();
      const body = method === 'POST' ? '{}' : undefined;
      expect((await call(path, method, { token: null, body })).status).toBe(401);
      expect((await call(path, method, { query: '?x=%ZZ', body })).status).toBe(400);
      if (method === 'POST') expect((await call(path, method, { body: `{"a":"${'x'.repeat((1 << 20) + 10)}"}` })).status).toBe(413);
    }
    expect((await call('/info', 'GET', { token: null })).status).toBe(401);
    expect((await call('/info', 'GET', { token: 'token-zz' })).status).toBe(401);
    const next = await call('/next-action', 'GET', { query: '?wait=200' });
    expect(next.body).toMatchObject({ started: true, done: false, actions: [{ id: 0, at: 0, do: 'openConversation', args: { conversation: 'A' } }] });
    expect((await call('/next-action', 'GET', { query: '?wait=abc' })).status).toBe(200);
    expect((await call('/next-action', 'GET', { query: '?wait=%ZZ' })).status).toBe(400);
    const state = { conversation: 'A', messages: [], connection: 'connecting', polling: false, outbox: 0, authError: false };
    expect((await call('/action', 'POST', { body: JSON.stringify({ id: 0, do: 'openConversation', args: { conversation: 'A' }, state }) })).status).toBe(204);
    expect((await call('/action', 'POST', { body: JSON.stringify({ do: 'fly' }) })).status).toBe(400);
    expect((await call('/action', 'POST', { body: JSON.stringify({ do: 'restart', id: 'x' }) })).status).toBe(400);
    expect((await call('/snapshot', 'POST', { body: JSON.stringify({ state: { ...state, connection: 'open' } }) })).status).toBe(204);
    expect((await call('/snapshot', 'POST', { body: '{"no":"state"}' })).status).toBe(400);
    expect((await call('/snapshot', 'POST', { body: 'not json' })).status).toBe(400);
    expect((await call('/snapshot', 'POST', { body: '[1]' })).status).toBe(400);
    expect((await call('/snapshot', 'POST', { body: `{"state":${'['.repeat(70)}${']'.repeat(70)}}` })).status).toBe(400);
    expect((await call('/log', 'POST', { body: JSON.stringify({ msg: 'hello', extra: 1 }) })).status).toBe(204);
    expect((await call('/log', 'POST', { body: JSON.stringify({ nomsg: 1 }) })).status).toBe(400);
    expect((await call('/log', 'POST', { body: JSON.stringify({ msg: 'x'.repeat((1 << 20) + 10) }) })).status).toBe(413);
    expect((await call('/info', 'GET')).body).toMatchObject({ started: true, actions: expect.arrayContaining(['restart']) });
    server.end();
    expect((await call('/next-action', 'GET')).body).toMatchObject({ done: true, actions: [] });
    expect((await call('/log', 'POST', { body: '{"msg":"late"}' })).body).toMatchObject({ error: 'ended' });
    const events = server.trace.events();
    expect(events.filter((e) => e.ev === 'client.action')).toHaveLength(1);
    expect(events.filter((e) => e.ev === 'client.log').map((e) => e.msg)).toEqual(['hello']);
    // Every documented status of every operation that a client can provoke was seen (500 is lockstep's own bug).
    for (const [path, item] of Object.entries(doc.paths as Json))
      for (const [method, op] of Object.entries(item as Json))
        for (const status of Object.keys(op.responses as Json).filter((s) => s !== '500'))
          expect(seen, `${method.toUpperCase()} ${path} ${status} never exercised`).toContain(`${method.toUpperCase()} ${path} ${status}`);
  });
});
