import { protocols } from '../conformance/registry.js';
import { defaultScenarioLimits, scenarioLimitCeilings } from '../conformance/scenario-limits.js';
import { guardLimitInfo, guardNames } from '../sim/guard-limits.js';
import { maxSkewMs } from '../sim/world-clock.js';
import { draft202012, ref, type JsonSchema } from './types.js';

const ms = (description: string): JsonSchema => ({ type: 'number', minimum: 0, description });
const positiveMs = (description: string): JsonSchema => ({ type: 'number', exclusiveMinimum: 0, description });
const probability = (description: string): JsonSchema => ({ type: 'number', minimum: 0, maximum: 1, description });
const nodeNamePattern = '^[a-z][a-z0-9-]*$';
const nodeName: JsonSchema = {
  type: 'string',
  pattern: nodeNamePattern,
  description: 'The client node it affects (`c1`); omitted means every client.',
};
const globPath: JsonSchema = {
  type: 'string',
  pattern: '^[/*]',
  description: 'A path: exact, or a glob where `*` matches anything (`/api/*`, `*`).',
};
const direction: JsonSchema = {
  enum: ['both', 'to-server', 'to-client'],
  description: 'Which way it applies, relative to the client (default `both`).',
};
const at = ms('Virtual time (ms since the start) at which the entry takes effect.');
const duration = positiveMs('How long it lasts in ms; omitted means until the end of the run.');
const httpStatus: JsonSchema = { type: 'integer', minimum: 400, maximum: 599, description: 'An HTTP error status.' };

/** A fault entry: `kind` (const) and `at` required, no other fields than `fields`. */
function fault(kind: string, description: string, fields: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  return {
    title: kind,
    description,
    type: 'object',
    properties: { kind: { const: kind }, at, ...fields },
    required: ['kind', 'at', ...required],
    additionalProperties: false,
  };
}

const windowed = { node: nodeName, duration };
const requestMatch = {
  path: globPath,
  method: { type: 'string', pattern: '^[A-Z]+$', description: 'HTTP method to match (`GET`, `POST`).' } as JsonSchema,
  count: { type: 'integer', minimum: 1, description: 'Only the first `count` matching requests are affected.' } as JsonSchema,
};

/** The fault entries of docs/fault-plan.md, as src/sim/faults/validate.ts accepts them. */
const faultDefs: Record<string, JsonSchema> = {
  PartitionFault: fault('partition', 'The link carries nothing (HTTP lost, TCP streams stall).', { ...windowed, direction }),
  DropFault: fault(
    'drop',
    'Each HTTP envelope is lost with probability `rate`; WebSocket frames are retransmitted (delayed), as TCP does.',
    { ...windowed, rate: probability('Probability that an HTTP envelope is lost.'), direction },
    ['rate'],
  ),
  DelaySpikeFault: fault(
    'delay-spike',
    '`extra` ms added to every delivery.',
    { ...windowed, extra: positiveMs('ms added to every delivery.'), direction },
    ['extra'],
  ),
  DuplicateFault: fault(
    'duplicate',
    'A retrying proxy: each HTTP request reaches the server twice with probability `rate`.',
    { ...windowed, rate: probability('Probability that a request reaches the server twice.') },
    ['rate'],
  ),
  WsRefuseFault: fault('ws-refuse', 'WebSocket upgrades are refused with HTTP `status` (the client sees error, then close 1006).', {
    ...windowed,
    status: { ...httpStatus, description: 'The HTTP status of the refusal (default 503).' },
    path: globPath,
  }),
  WsHalfOpenFault: fault('ws-half-open', 'Open sockets go silent: both sides believe them open, nothing is delivered, no close event.', {
    node: nodeName,
    direction,
    path: globPath,
  }),
  WsResetFault: fault('ws-reset', 'Open sockets are reset: both sides see an abnormal close (1006).', { node: nodeName, path: globPath }),
  HttpStatusFault: fault(
    'http-status',
    'Matching HTTP requests are answered with `status` by the edge; the server never sees them.',
    { ...windowed, ...requestMatch, status: httpStatus },
    ['status'],
  ),
  HttpTimeoutFault: fault(
    'http-timeout',
    'Matching HTTP requests never get an answer: lost before the server (`request`) or after it acted (`response`).',
    {
      ...windowed,
      ...requestMatch,
      phase: { enum: ['request', 'response'], description: 'Default `request`.' },
    },
  ),
  ServerRestartFault: fault('server-restart', 'The server process restarts: sockets dropped, refused while down, state kept or lost.', {
    downtime: ms('ms during which connections are refused (default 1000).'),
    state: { enum: ['keep', 'lose'], description: '`keep`: state survives; `lose`: a fresh server (default `keep`).' },
    closeCode: { enum: [1006, 1012], description: '1006 (crash, default) or 1012 (graceful "service restart").' },
  }),
  ClientOfflineFault: fault('client-offline', 'The client loses its network: requests fail at once; open sockets close (or stall).', {
    ...windowed,
    sockets: { enum: ['close', 'stall'], description: 'Default `close`.' },
  }),
  AppBackgroundFault: fault('app-background', 'The app goes to the background: timers suspended or throttled; the OS may close sockets.', {
    ...windowed,
    timers: { enum: ['suspend', 'throttle'], description: 'Default `suspend`.' },
    throttleMs: positiveMs('Timer alignment while throttled (default 60000).'),
    closeSocketsAfter: ms("The OS closes the app's sockets this many ms after backgrounding (default: never)."),
  }),
  HoldFault: fault(
    'hold',
    'Holds one in-flight envelope until a `release` with the same name (or `duration`); on a WebSocket the frames behind it wait too.',
    {
      node: nodeName,
      name: { type: 'string', minLength: 1, description: 'The name a `release` entry refers to (unique among holds).' },
      match: ref('HoldMatch'),
      duration: positiveMs('Release the envelope this many ms after it was caught (default: only a `release` does).'),
    },
    ['name'],
  ),
  ReleaseFault: fault(
    'release',
    'Releases the envelope held under `name`.',
    { name: { type: 'string', minLength: 1, description: 'The name of a `hold` entry.' } },
    ['name'],
  ),
  WsIntermediaryFault: fault(
    'ws-intermediary',
    'Opt-in, not a network fault: a buggy intermediary that duplicates, reorders or drops single frames of a live WebSocket.',
    {
      ...windowed,
      duplicate: probability('Probability that a frame is delivered twice.'),
      reorder: probability('Probability that a frame overtakes the one before it.'),
      drop: probability('Probability that a frame is lost.'),
    },
  ),
  // Real-world failures of proxies, edges and servers (docs/fault-plan.md).
  IdleTimeoutFault: fault(
    'idle-timeout',
    'An intermediary closes sockets that carried no frame for `idle` ms: the client sees 1006, the server is told nothing.',
    { ...windowed, idle: positiveMs('ms without a frame arriving at either end.'), path: globPath },
    ['idle'],
  ),
  ServerCloseFault: fault(
    'server-close',
    'The server closes its open sockets with `code` and `reason`: a clean closing handshake both sides see.',
    {
      node: nodeName,
      path: globPath,
      code: {
        description: '1000, 1001, 1008, 1011, 1012, 1013, or an application code 3000–4999.',
        anyOf: [{ enum: [1000, 1001, 1008, 1011, 1012, 1013] }, { type: 'integer', minimum: 3000, maximum: 4999 }],
      },
      reason: { type: 'string', description: 'The close reason: at most 123 UTF-8 bytes (default empty).' },
    },
    ['code'],
  ),
  FlappingFault: fault(
    'flapping',
    'Every socket that opens during the window is dropped (1006, both sides) `after` ms after its `open`.',
    {
      node: nodeName,
      path: globPath,
      duration: positiveMs('How long upgrades keep flapping, in ms.'),
      after: ms("ms between the client's open and the drop."),
    },
    ['duration', 'after'],
  ),
  RequestResetFault: fault(
    'request-reset',
    'Matching HTTP requests are reset at the edge: fetch rejects with a TypeError after one round trip; the server never sees them.',
    { ...windowed, ...requestMatch },
  ),
  BadBodyFault: fault(
    'bad-body',
    "A 200 whose body the client cannot use: a captive portal's HTML page (server never sees it) or the server's body cut in half (server acted).",
    { ...windowed, ...requestMatch, body: { enum: ['html', 'truncated'], description: '`html` (captive portal) or `truncated`.' } },
    ['body'],
  ),
  RetryAfterFault: fault(
    'retry-after',
    'The edge answers matching HTTP requests with 429 or 503 and `Retry-After: <seconds>`; the server never sees them.',
    {
      ...windowed,
      ...requestMatch,
      status: { enum: [429, 503], description: '429 Too Many Requests or 503 Service Unavailable.' },
      seconds: { type: 'integer', minimum: 0, maximum: 2147483, description: 'The `Retry-After` value in whole seconds.' },
    },
    ['status', 'seconds'],
  ),
  MessageTooBigFault: fault(
    'message-too-big',
    'A frame above `limit` bytes is refused by the side receiving it, which closes with 1009.',
    {
      ...windowed,
      path: globPath,
      limit: { type: 'integer', minimum: 1, description: 'The largest frame (payload bytes) the receiving side accepts.' },
      direction: {
        ...direction,
        description: '`to-server`: the server enforces the limit; `to-client`: the client does (default `both`).',
      },
    },
    ['limit'],
  ),
  SlowConsumerFault: fault(
    'slow-consumer',
    'The server closes (1013) a connection whose bytes sent and not yet delivered to the client exceed `backlog`.',
    {
      ...windowed,
      path: globPath,
      backlog: { type: 'integer', minimum: 1, description: 'Bytes of server frames sent and not yet delivered that the server tolerates.' },
    },
    ['backlog'],
  ),
  // World conditions of the device and the server's credentials (docs/fault-plan.md).
  StorageFailureFault: fault(
    'storage-failure',
    "The client's persistent storage fails: `setItem` throws a QuotaExceededError (`quota`), or the next app restart in the window finds it empty (`lose-on-restart`).",
    { ...windowed, mode: { enum: ['quota', 'lose-on-restart'], description: 'How the storage fails.' } },
    ['mode'],
  ),
  TokenExpiryFault: fault(
    'token-expiry',
    "Credentials issued before `issuedBefore` (default `at`) stop being accepted; the protocol's server decides what follows (401, an auth close code). Needs a server that supports it.",
    {
      node: { ...nodeName, description: 'Only the credentials of this client node; omitted means every client.' },
      issuedBefore: ms("Virtual ms (≤ `at`): credentials issued before it expire (default `at`; the harness's tokens count as issued before the run)."),
    },
  ),
};

const nodeClockFields: Record<string, JsonSchema> = {
  skew: {
    type: 'integer',
    minimum: -maxSkewMs,
    maximum: maxSkewMs,
    description: "ms the device's wall clock (`Date.now()`) runs ahead of the server's (negative: behind); default 0.",
  },
  timeZone: { type: 'string', description: "The device's IANA time zone (`Europe/Berlin`); default `UTC`." },
};

const latency: JsonSchema = {
  description: 'Propagation delay per envelope: milliseconds, or a distribution.',
  anyOf: [
    ms('Fixed milliseconds.'),
    {
      type: 'object',
      properties: { kind: { const: 'fixed' }, ms: ms('Milliseconds.') },
      required: ['kind', 'ms'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: { kind: { const: 'uniform' }, min: ms('Lowest.'), max: ms('Highest (≥ min).') },
      required: ['kind', 'min', 'max'],
      additionalProperties: false,
    },
    {
      type: 'object',
      properties: { kind: { const: 'lognormal' }, median: ms('Median.'), sigma: { type: 'number', minimum: 0 }, max: ms('Cap.') },
      required: ['kind', 'median', 'sigma'],
      additionalProperties: false,
    },
  ],
};

const link: JsonSchema = {
  title: 'Link',
  description:
    'Link settings (docs/fault-plan.md, "Network settings"); unset fields fall back to a less specific setting, then 20 ms one way, lossless.',
  type: 'object',
  properties: {
    latency,
    loss: probability('Probability that an HTTP envelope is lost (on a WebSocket: a TCP retransmission, i.e. delay).'),
    duplicate: probability('Probability that an HTTP request is delivered twice (a retrying proxy).'),
    reorder: probability('Probability that an HTTP envelope is held back long enough for later ones to overtake it.'),
    bandwidth: { type: 'number', minimum: 0, description: 'Bytes per second; 0 means unlimited.' },
  },
  additionalProperties: false,
};

const network: JsonSchema = {
  title: 'Network',
  description: 'Links (default, per direction, per client node) and OS timeouts.',
  type: 'object',
  properties: {
    link: { ...ref('Link'), description: "Applies to both directions of every client's link." },
    toServer: { ...ref('Link'), description: 'Client→server overrides.' },
    toClient: { ...ref('Link'), description: 'Server→client overrides.' },
    nodes: {
      type: 'object',
      description: 'Per client node overrides, e.g. `{ c2: { toClient: { latency: 300 } } }`.',
      additionalProperties: { type: 'object', properties: { toServer: ref('Link'), toClient: ref('Link') }, additionalProperties: false },
    },
    requestTimeout: positiveMs('ms after which an unanswered HTTP request fails (default 60000).'),
    connectTimeout: positiveMs('ms after which an unanswered WebSocket handshake fails with 1006 (default 30000).'),
    closeTimeout: positiveMs("ms a side waits for the peer's close frame before closing with 1006 (default 5000)."),
    retransmitTimeout: positiveMs('ms of delay one lost TCP segment adds to a WebSocket frame, doubling on repeats (default 200).'),
  },
  additionalProperties: false,
};

const paramType = (t: string): JsonSchema => ({ type: t.replace('?', '') as 'string' | 'number' | 'boolean' });

/** One action schema per action of every protocol (names are unique across protocols), plus `restart`. */
function actionDefs(): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const p of protocols.values()) {
    for (const [name, def] of Object.entries(p.actions)) {
      const params = Object.entries(def.params);
      out.push({
        title: name,
        description: `${p.name}: ${def.description}`,
        type: 'object',
        properties: {
          at: ms("Virtual ms (within the scenario's duration)."),
          node: { type: 'string', pattern: nodeNamePattern, description: 'Client node (default: the first client).' },
          do: { const: name },
          args: {
            type: 'object',
            properties: Object.fromEntries(params.map(([k, t]) => [k, paramType(t)])),
            required: params.filter(([, t]) => !t.endsWith('?')).map(([k]) => k),
            additionalProperties: false,
          },
        },
        required: params.some(([, t]) => !t.endsWith('?')) ? ['at', 'do', 'args'] : ['at', 'do'],
        additionalProperties: false,
      });
    }
  }
  out.push({
    title: 'restart',
    description: 'Kill and relaunch the app (every protocol).',
    type: 'object',
    properties: {
      at: ms('Virtual ms.'),
      node: { type: 'string', pattern: nodeNamePattern },
      do: { const: 'restart' },
      args: { type: 'object', additionalProperties: false },
    },
    required: ['at', 'do'],
    additionalProperties: false,
  });
  return out;
}

const allRequirements = (): string[] => [...protocols.values()].flatMap((p) => p.requirements.map((r) => r.id));
const allVariants = (): string[] => ['reference', ...new Set([...protocols.values()].flatMap((p) => Object.keys(p.serverVariants)))];

/**
 * The scenario file schema (docs/scenario-format.md), as `resolveScenario` accepts it.
 * Point an editor at the generated `schemas/scenario.schema.json` to get completion.
 * What the schema cannot say (an action of the scenario's own protocol, a `node` among its
 * `clients`, an `at` within `duration`, a release naming a hold) `lockstep` still checks.
 */
export function scenarioSchema(): JsonSchema {
  return {
    $schema: draft202012,
    $id: 'https://lockstep.test/schemas/scenario.schema.json',
    title: 'lockstep scenario',
    description:
      'A scenario file: one run, its actions, network, faults, seed and the requirements it exercises (docs/scenario-format.md).',
    type: 'object',
    properties: {
      protocol: { enum: [...protocols.keys()], description: "The protocol's name." },
      name: { type: 'string', description: 'A name for reports (default: the file name).' },
      description: { type: 'string', description: 'What it shows, in one sentence.' },
      source: { type: 'string', description: 'Which source document case it reproduces.' },
      seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 1, description: 'The seed of the simulation (default 1; 32-bit unsigned).' },
      duration: { type: 'integer', minimum: 1, description: "Virtual ms of the fault phase (default: the protocol's)." },
      heal: {
        type: 'integer',
        minimum: 0,
        description: "Virtual ms of the heal phase, after every fault is lifted (default: the protocol's).",
      },
      clients: {
        type: 'array',
        minItems: 1,
        items: { type: 'string', pattern: nodeNamePattern },
        description: "Client nodes, without repeats (default: the protocol's, usually `[c1]`).",
      },
      network: ref('Network'),
      server: {
        type: 'object',
        description: 'The server: the reference or a server variant, with options.',
        properties: {
          variant: { enum: allVariants(), description: '`reference` (default) or a server variant of the protocol (`lockstep list`).' },
          options: { type: 'object', description: "Options the protocol's server understands (docs/protocols/<protocol>.md)." },
        },
        additionalProperties: false,
      },
      faults: { type: 'array', items: ref('FaultEntry'), description: 'The fault plan (docs/fault-plan.md).' },
      actions: { type: 'array', items: ref('Action'), description: 'The user actions, in time order.' },
      start: {
        type: 'string',
        pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,3})?)?(Z|[+-]\\d{2}:\\d{2})$',
        description: "The run's start instant on the server's clock, ISO-8601 with an offset or Z (`2025-03-30T00:59:50Z`); default 2025-01-15T09:00:00Z.",
      },
      clock: {
        type: 'object',
        description: "The client devices' clocks: skew from the server's and time zone, for every client and per node (docs/scenario-format.md).",
        properties: {
          ...nodeClockFields,
          nodes: {
            type: 'object',
            description: 'Per client node overrides, e.g. `{ c2: { skew: -120000 } }`.',
            additionalProperties: { type: 'object', properties: nodeClockFields, additionalProperties: false },
          },
        },
        additionalProperties: false,
      },
      requirements: {
        type: 'array',
        items: { enum: allRequirements() },
        description: "Requirements this scenario exercises (default: all of the protocol's).",
      },
      guards: {
        type: 'object',
        description: 'Limits of the runaway guards for this scenario (docs/scenario-format.md); `--guard NAME=N` overrides them.',
        properties: Object.fromEntries(guardNames.map((g) => [g, { type: 'integer', minimum: 1, description: `Most ${guardLimitInfo[g].counts}.` }])),
        additionalProperties: false,
      },
      limits: {
        type: 'object',
        description: 'Raises the size limits of this scenario (docs/scenario-format.md).',
        properties: Object.fromEntries(
          (Object.keys(defaultScenarioLimits) as (keyof typeof defaultScenarioLimits)[]).map((k) => [
            k,
            { type: 'integer', minimum: 1, maximum: scenarioLimitCeilings[k], description: `Default ${defaultScenarioLimits[k]}.` },
          ]),
        ),
        additionalProperties: false,
      },
      expect: {
        description: 'Expected verdict of the reference client: `pass`, or per requirement.',
        anyOf: [{ const: 'pass' }, { type: 'object', additionalProperties: { enum: ['pass', 'fail', 'not-exercised'] } }],
      },
    },
    required: ['protocol'],
    additionalProperties: false,
    $defs: {
      Network: network,
      Link: link,
      HoldMatch: {
        title: 'HoldMatch',
        description: 'Which in-flight envelope a `hold` catches (default: the first one).',
        type: 'object',
        properties: {
          envelope: { enum: ['ws.frame', 'ws.connect', 'http.request', 'http.response'] },
          direction: { enum: ['to-server', 'to-client'] },
          path: globPath,
          type: {
            type: 'string',
            minLength: 1,
            description: 'The JSON `type` field of a WebSocket frame or body (`pong`, `sync.stream.complete`).',
          },
          contains: { type: 'string', minLength: 1, description: 'A substring of the payload.' },
          nth: { type: 'integer', minimum: 1, description: 'Hold the nth matching envelope (default 1).' },
        },
        additionalProperties: false,
      },
      FaultEntry: { title: 'FaultEntry', description: 'One entry of a fault plan.', oneOf: Object.keys(faultDefs).map(ref) },
      ...faultDefs,
      Action: {
        title: 'Action',
        description: "One scheduled user action: one of the protocol's actions, or `restart`.",
        oneOf: actionDefs(),
      },
    },
  };
}

/** The fault plan schema on its own (a `--fault-plan` file): a list of fault entries. */
export function faultPlanSchema(): JsonSchema {
  const s = scenarioSchema();
  return {
    $schema: draft202012,
    $id: 'https://lockstep.test/schemas/fault-plan.schema.json',
    title: 'lockstep fault plan',
    description: 'A fault plan (docs/fault-plan.md): entries in any order, applied by time, then by position.',
    type: 'array',
    items: ref('FaultEntry'),
    $defs: { HoldMatch: s.$defs!.HoldMatch!, FaultEntry: s.$defs!.FaultEntry!, ...faultDefs },
  };
}
