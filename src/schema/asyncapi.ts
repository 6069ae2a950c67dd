import type { Endpoint, JsonSchema, ProtocolSchema } from './types.js';

/** The schema format of every payload: JSON Schema draft 2020-12. */
export const payloadFormat = 'application/schema+json;version=draft-2020-12';

type Json = Record<string, unknown>;

const queryBinding = (query: Record<string, JsonSchema> | undefined): Json =>
  query ? { query: { type: 'object', properties: query, additionalProperties: false } } : {};

const pathParameters = (address: string): Json | undefined => {
  const names = [...address.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  return names.length
    ? Object.fromEntries(names.map((n) => [n, { description: `The \`${n}\` path segment (percent-encoded).` }]))
    : undefined;
};

/**
 * The AsyncAPI 3.0 document of one protocol, from the application's side: the server
 * **receives** what clients send (WebSocket frames, request bodies) and **sends** what
 * clients receive (frames, response bodies). Payloads are `$ref`s into
 * `../schemas/<protocol>.schema.json`.
 */
export function asyncApiDocument(p: ProtocolSchema): Json {
  const schemaFile = `../schemas/${p.protocol}.schema.json`;
  const messages: Json = {};
  const message = (def: string): Json => {
    const d = p.schema.$defs?.[def];
    if (!d) throw new Error(`${p.protocol}: no $defs.${def}`);
    messages[def] ??= {
      name: def,
      title: d.title ?? def,
      summary: d.description,
      contentType: 'application/json',
      payload: { schemaFormat: payloadFormat, schema: { $ref: `${schemaFile}#/$defs/${def}` } },
    };
    return { $ref: `#/components/messages/${def}` };
  };
  const channels: Json = {};
  const operations: Json = {};
  const chanRef = (e: Endpoint) => ({ $ref: `#/channels/${e.id}` });
  const msgRef = (e: Endpoint, def: string) => ({ $ref: `#/channels/${e.id}/messages/${def}` });
  for (const e of p.endpoints) {
    const parameters = pathParameters(e.address);
    if (e.kind === 'ws') {
      const all = [...new Set([...e.clientFrames, ...e.serverFrames])];
      channels[e.id] = {
        address: e.address,
        title: `WebSocket ${e.address}`,
        description: e.description,
        ...(parameters ? { parameters } : {}),
        servers: [{ $ref: '#/servers/simulated-ws' }, { $ref: '#/servers/local-ws' }],
        messages: Object.fromEntries(all.map((d) => [d, message(d)])),
        bindings: { ws: { bindingVersion: '0.1.0', method: 'GET', ...queryBinding(e.query) } },
      };
      operations[`${e.id}.receive`] = {
        action: 'receive',
        channel: chanRef(e),
        summary: `Frames the client sends on ${e.address}.`,
        messages: e.clientFrames.map((d) => msgRef(e, d)),
      };
      operations[`${e.id}.send`] = {
        action: 'send',
        channel: chanRef(e),
        summary: `Frames the server sends on ${e.address}.`,
        messages: e.serverFrames.map((d) => msgRef(e, d)),
      };
    } else {
      const all = [...new Set([...(e.request ? [e.request] : []), ...e.responses])];
      channels[e.id] = {
        address: e.address,
        title: `${e.method} ${e.address}`,
        description: e.description,
        ...(parameters ? { parameters } : {}),
        servers: [{ $ref: '#/servers/simulated' }, { $ref: '#/servers/local' }],
        messages: Object.fromEntries(all.map((d) => [d, message(d)])),
      };
      const bindings = { http: { bindingVersion: '0.3.0', method: e.method, ...queryBinding(e.query) } };
      if (e.request) {
        operations[e.id] = {
          action: 'receive',
          channel: chanRef(e),
          summary: `${e.method} ${e.address}: the request body; the answer is the reply.`,
          bindings,
          messages: [msgRef(e, e.request)],
          reply: { channel: chanRef(e), messages: e.responses.map((d) => msgRef(e, d)) },
        };
      } else {
        operations[e.id] = {
          action: 'send',
          channel: chanRef(e),
          summary: `${e.method} ${e.address} (no request body): the answer.`,
          bindings,
          messages: e.responses.map((d) => msgRef(e, d)),
        };
      }
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: `lockstep ${p.title} protocol`,
      version: '1.0.0',
      description: `The ${p.title} protocol (${p.spec}) as lockstep's reference server speaks it, from the server's side: it receives client frames and request bodies and sends server frames and answers. Payloads are JSON Schema draft 2020-12 in ${schemaFile.slice(3)}, generated with \`npm run schemas\`.`,
    },
    defaultContentType: 'application/json',
    servers: {
      simulated: {
        host: 'lockstep.test',
        protocol: 'http',
        title: 'The simulated server (REST)',
        description: 'The origin of the simulated network, `http://lockstep.test`, that `lockstep check` and `lockstep run` use.',
      },
      'simulated-ws': {
        host: 'lockstep.test',
        protocol: 'ws',
        title: 'The simulated server (WebSocket)',
        description: 'WebSockets of the simulated network, `ws://lockstep.test`.',
      },
      local: {
        host: '127.0.0.1:{port}',
        protocol: 'http',
        title: '`lockstep serve` (REST)',
        description: `The reference server over real sockets (\`lockstep serve --protocol ${p.protocol} --port N\`; docs/real-socket-mode.md), behind its fault-injecting layer.`,
        variables: { port: { description: 'The port given with `--port` (default: any free port, printed at start).' } },
      },
      'local-ws': {
        host: '127.0.0.1:{port}',
        protocol: 'ws',
        title: '`lockstep serve` (WebSocket)',
        description: `WebSockets of \`lockstep serve --protocol ${p.protocol}\`, on the same port as its REST endpoints.`,
        variables: { port: { description: 'The port given with `--port`.' } },
      },
    },
    channels,
    operations,
    components: { messages },
  };
}
