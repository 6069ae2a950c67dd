import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { protocols } from '../../src/conformance/registry.js';
import { runScenario } from '../../src/conformance/runner.js';
import { loadScenarioFile } from '../../src/conformance/scenario.js';
import { protocolSchemas, type Endpoint } from '../../src/schema/index.js';
import * as chatWire from '../../src/reference/chat/wire.js';
import * as syncWire from '../../src/reference/event-sync/wire.js';
import * as liveWire from '../../src/reference/live-support/wire.js';
import * as mealWire from '../../src/reference/meal-log/wire.js';
import { validate, validateDef } from './validator.js';

interface Seen {
  /** `$defs` name → how many messages validated against it. */
  counts: Map<string, number>;
  /** Messages that did not validate, with the reason. */
  failures: string[];
  /** Frames that are not JSON (only a server told to send a malformed frame sends them). */
  notJson: number;
}

const addressPattern = (address: string): RegExp => new RegExp(`^${address.replace(/\{[^}]+\}/g, '[^/]+')}$`);

/** The REST endpoint a request is for, matching its path against the documented addresses. */
function endpointOf(endpoints: Endpoint[], method: string, path: string): Endpoint | undefined {
  const p = path.split('?')[0]!;
  return endpoints.find((e) => e.kind === 'rest' && e.method === method && addressPattern(e.address).test(p));
}

/**
 * Runs every reference scenario of a protocol with the reference client and validates
 * each WebSocket frame (`ws.send` data, by direction), each request body (`http.serve`)
 * and each answer body the client received against the protocol's schema; every request
 * and upgrade must be to a documented endpoint, with its documented query parameters.
 */
async function collect(protocol: string): Promise<Seen> {
  const def = protocols.get(protocol)!;
  const ps = protocolSchemas.get(protocol)!;
  const ws = ps.endpoints.find((e) => e.kind === 'ws');
  const seen: Seen = { counts: new Map(), failures: [], notJson: 0 };
  const check = (defName: string, value: unknown, where: string) => {
    const errors = validateDef(ps.schema, defName, value);
    if (errors.length)
      seen.failures.push(
        `${where}: ${defName}: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}: ${JSON.stringify(value).slice(0, 300)}`,
      );
    else seen.counts.set(defName, (seen.counts.get(defName) ?? 0) + 1);
  };
  // The client scenarios and the server-conformance ones under servers/.
  const files = [`scenarios/${protocol}`, `scenarios/${protocol}/servers`]
    .filter((d) => existsSync(d))
    .flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.yaml')).sort().map((f) => `${d}/${f}`));
  for (const file of files) {
    const f = file;
    const scenario = loadScenarioFile(file, protocols);
    // The malformed-frame server variant, or `options.malformed`, sends a frame that is not JSON on purpose.
    const malformed = scenario.server.variant === 'malformed-frame' || scenario.server.options.malformed !== undefined;
    const badBody = scenario.faults.some((x) => x.kind === 'bad-body');
    // The reference client, with its fetch wrapped to validate every answer body it receives.
    const answers: { method: string; url: string; status: number; text: string }[] = [];
    const client: typeof def.reference = (env) =>
      def.reference({
        ...env,
        fetch: async (input, init) => {
          const response = await env.fetch(input, init);
          const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
          const method = init?.method ?? (typeof input === 'object' && 'method' in input ? input.method : 'GET');
          answers.push({ method, url, status: response.status, text: await response.clone().text() });
          return response;
        },
      });
    const run = await runScenario({ protocol: def, scenario, client, clientName: 'reference' });
    for (const e of run.trace.events()) {
      const where = `${f} seq ${e.seq}`;
      if (e.ev === 'ws.send' && ws?.kind === 'ws') {
        const text = e.binary ? Buffer.from(e.data as string, 'base64').toString('utf8') : (e.data as string);
        let v: unknown;
        try {
          v = JSON.parse(text);
        } catch {
          seen.notJson++;
          if (!malformed || e.dir !== 'to-client') seen.failures.push(`${where}: a frame that is not JSON: ${text.slice(0, 100)}`);
          continue;
        }
        check(e.dir === 'to-server' ? 'ClientFrame' : 'ServerFrame', v, where);
      } else if (e.ev === 'http.request' || e.ev === 'ws.connect') {
        // Every request and upgrade is to an endpoint of the spec, with the documented query parameters.
        const url = new URL(e.url as string);
        const ep =
          e.ev === 'ws.connect'
            ? ws && addressPattern(ws.address).test(url.pathname)
              ? ws
              : undefined
            : endpointOf(ps.endpoints, e.method as string, url.pathname);
        if (!ep) {
          seen.failures.push(
            `${where}: ${e.ev === 'ws.connect' ? 'WebSocket' : String(e.method)} ${url.pathname} is no endpoint of the spec`,
          );
          continue;
        }
        const query = Object.fromEntries([...url.searchParams].map(([k, v]) => [k, /^\d+$/.test(v) ? Number(v) : v]));
        const errors = validate({}, query, { type: 'object', properties: ep.query ?? {}, additionalProperties: false });
        if (errors.length)
          seen.failures.push(`${where}: query of ${url.pathname}: ${errors.map((x) => `${x.path} ${x.message}`).join('; ')}`);
        else seen.counts.set('query', (seen.counts.get('query') ?? 0) + 1);
      } else if (e.ev === 'http.serve' && typeof e.body === 'string' && e.body !== '') {
        const ep = endpointOf(ps.endpoints, e.method as string, e.path as string);
        if (!ep || ep.kind !== 'rest' || !ep.request) {
          seen.failures.push(`${where}: a body sent to ${String(e.method)} ${String(e.path)}, which takes none`);
          continue;
        }
        check(ep.request, JSON.parse(e.body), where);
      }
    }
    for (const a of answers) {
      const path = new URL(a.url, 'http://lockstep.test').pathname;
      const ep = endpointOf(ps.endpoints, a.method, path);
      if (!ep || ep.kind !== 'rest' || a.text === '') continue; // not an endpoint of the spec, or an answer without a body
      let v: unknown;
      try {
        v = JSON.parse(a.text);
      } catch {
        // A `bad-body` fault puts a captive-portal page or a cut JSON body in the server's place.
        if (badBody) continue;
        seen.failures.push(`${f}: ${a.method} ${path} answered ${a.status} with a body that is not JSON`);
        continue;
      }
      check(a.status < 300 ? ep.responses[0]! : 'ErrorBody', v, `${f}: ${a.method} ${path} → ${a.status}`);
    }
  }
  return seen;
}

const expected: Record<string, string[]> = {
  chat: ['ClientFrame', 'ServerFrame', 'SendMessageBody', 'MessageList', 'SendAck', 'ErrorBody'],
  'event-sync': ['ClientFrame', 'ServerFrame', 'RestPage', 'ErrorBody'],
  'live-support': ['ClientFrame', 'ServerFrame', 'WidgetSendBody', 'AgentBody', 'ChatList', 'MessageAck'],
  'meal-log': ['ClientFrame', 'ServerFrame', 'SubmitMealBody', 'MealLogList', 'MealLogAck'],
};

describe('wire messages of simulated traces validate against the protocol schemas', () => {
  it.each(Object.keys(expected))(
    '%s',
    async (protocol) => {
      const seen = await collect(protocol);
      expect(seen.failures.slice(0, 10)).toEqual([]);
      expect(seen.counts.get('query') ?? 0).toBeGreaterThan(0);
      for (const d of expected[protocol]!) expect(seen.counts.get(d) ?? 0, `${protocol}: messages of ${d}`).toBeGreaterThan(0);
      if (protocol !== 'event-sync') expect(seen.notJson).toBe(0);
    },
    60_000,
  );
});

const ts = '2025-01-15T09:00:02.048Z';
const chatMessage = { id: 'm1', conversationId: 'A', role: 'user', content: 'hi', timestamp: ts };
const mealLog = {
  id: 'ml-1',
  localId: 'l1',
  userId: 'u',
  rawInput: 'eggs',
  status: 'processing',
  loggedAt: ts,
  createdAt: ts,
  updatedAt: ts,
};

/** [protocol, $defs name, valid example, wrong variants]. */
const cases: [string, string, unknown, [string, unknown][]][] = [
  [
    'chat',
    'ServerFrame',
    { type: 'message', message: chatMessage },
    [
      ['an unknown frame type', { type: 'messages', message: chatMessage }],
      ['a message without its timestamp', { type: 'message', message: { ...chatMessage, timestamp: undefined } }],
      ['a role outside user/assistant', { type: 'message', message: { ...chatMessage, role: 'agent' } }],
      ['a timestamp that is not RFC 3339', { type: 'message', message: { ...chatMessage, timestamp: 'yesterday' } }],
      ['a client frame', { type: 'ping' }],
    ],
  ],
  [
    'chat',
    'SendMessageBody',
    { content: 'hi', clientMessageId: 'c1-1' },
    [
      ['no clientMessageId', { content: 'hi' }],
      ['a numeric content', { content: 1, clientMessageId: 'c' }],
    ],
  ],
  [
    'event-sync',
    'ServerFrame',
    { type: 'sync.stream.complete', processedEvents: 2, newCheckpoint: '2025-01-14T08:48:23Z#ev-2' },
    [
      ['a negative count', { type: 'sync.stream.start', totalEvents: -1 }],
      ['a fractional batchIndex', { type: 'sync.stream.batch', events: [], batchIndex: 0.5, isLast: true }],
      ['an unpositioned event', { type: 'sync.stream.batch', events: [{ id: 'e1' }], batchIndex: 0, isLast: true }],
      ['a checkpoint that is not a cursor', { type: 'sync.stream.complete', processedEvents: 0, newCheckpoint: 'ev-2' }],
      ['an error without its code', { type: 'sync.stream.error', error: 'db' }],
    ],
  ],
  [
    'event-sync',
    'ClientFrame',
    { type: 'sync.stream.request', since: null },
    [['a since that is not a cursor', { type: 'sync.stream.request', since: 42 }]],
  ],
  [
    'event-sync',
    'RestPage',
    {
      events: [{ id: 'e1', timestamp: '2025-01-14T08:43:22Z', type: 'task.created', payload: {} }],
      nextCursor: '2025-01-14T08:43:22Z#e1',
      hasMore: false,
      totalEvents: 1,
    },
    [['no hasMore', { events: [], nextCursor: null, totalEvents: 0 }]],
  ],
  [
    'live-support',
    'ServerFrame',
    { type: 'subscribed', channel: 'chat_updates' },
    [
      ['a broadcast without users', { type: 'chat_updates', data: { timestamp: ts } }],
      [
        'a dashboard_user_id that is a number',
        {
          type: 'chat_updates',
          data: {
            users: [{ _id: 'u', name: 'n', email: 'e', category: 'c', status: 's', dashboard_user_id: 7, chats: [] }],
            timestamp: ts,
          },
        },
      ],
    ],
  ],
  [
    'live-support',
    'AgentBody',
    { content: 'hello', dashboard_user_id: 'agent-1' },
    [
      ['no dashboard_user_id', { content: 'hello' }],
      ['an empty content', { content: '', dashboard_user_id: 'agent-1' }],
    ],
  ],
  [
    'meal-log',
    'ServerFrame',
    {
      type: 'meal_log_completed',
      payload: { mealLog: { ...mealLog, status: 'completed', nutrition: { calories: 1, proteinG: 1, carbsG: 1, fatG: 1 } } },
    },
    [
      ['an unknown status', { type: 'meal_log_completed', payload: { mealLog: { ...mealLog, status: 'done' } } }],
      ['a failure without its error', { type: 'meal_log_failed', payload: { mealLog } }],
      ['connected without userId', { type: 'connected' }],
    ],
  ],
  [
    'meal-log',
    'SubmitMealBody',
    { localId: 'l1', rawInput: 'eggs' },
    [
      ['a blank rawInput', { localId: 'l1', rawInput: '   ' }],
      ['an extra field', { localId: 'l1', rawInput: 'eggs', userId: 'u' }],
    ],
  ],
];

describe('wrong messages are rejected', () => {
  it.each(cases.map(([p, d, ok]) => [p, d, ok] as const))('%s %s: the valid example validates', (p, d, ok) => {
    expect(validateDef(protocolSchemas.get(p)!.schema, d, ok)).toEqual([]);
  });
  const wrong = cases.flatMap(([p, d, , bad]) => bad.map(([what, v]) => [p, d, what, v] as const));
  it.each(wrong)('%s %s: rejects %s', (p, d, _what, v) => {
    expect(validateDef(protocolSchemas.get(p)!.schema, d, JSON.parse(JSON.stringify(v)))).not.toEqual([]);
  });
});

/** The reference clients' boundary parsers (src/reference/<protocol>/wire.ts), by protocol and `$defs` name. */
const parsers: Record<string, (v: unknown) => unknown> = {
  'chat ServerFrame': (v) => chatWire.parseServerFrame(JSON.stringify(v)),
  'event-sync ServerFrame': (v) => syncWire.parseServerFrame(JSON.stringify(v)),
  'event-sync ClientFrame': (v) => syncWire.parseClientFrame(JSON.stringify(v)),
  'event-sync RestPage': (v) => syncWire.parseRestPage(v),
  'live-support ServerFrame': (v) => liveWire.parseServerFrame(JSON.stringify(v)),
  'meal-log ServerFrame': (v) => mealWire.parseServerFrame(JSON.stringify(v)),
};

/** Where the schema is deliberately stricter than a reference client's parser (which tolerates it). */
const schemaStricter = new Set(['meal-log ServerFrame: a failure without its error']);

describe('the schemas agree with the reference parsers', () => {
  const withParser = cases.filter(([p, d]) => parsers[`${p} ${d}`]);
  it.each(withParser.map(([p, d, ok]) => [p, d, ok] as const))('%s %s: the parser accepts the valid example', (p, d, ok) => {
    expect(() => parsers[`${p} ${d}`]!(ok)).not.toThrow();
  });
  const wrong = withParser.flatMap(([p, d, , bad]) => bad.map(([what, v]) => [p, d, what, v] as const));
  it.each(wrong)('%s %s: the parser also rejects %s (or the schema says why it is stricter)', (p, d, what, v) => {
    const parse = () => parsers[`${p} ${d}`]!(JSON.parse(JSON.stringify(v)));
    if (schemaStricter.has(`${p} ${d}: ${what}`)) expect(parse).not.toThrow();
    else expect(parse).toThrow();
  });
});
