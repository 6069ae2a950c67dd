/**
 * The event-sync reference server's decisions, sans-IO: the event log (the "database"),
 * stream sessions and REST pages as plain functions over plain state, returning frames,
 * responses and log entries. `server.ts` is the thin adapter that performs them on the
 * simulated network (docs/protocols/event-sync.md).
 */
import type { Random } from '../../sim/random.js';
import { eventSyncServerDefaults, type AppendPlan, type EventSyncServerOptions } from './server-options.js';
import {
  comparePositions,
  cursorOf,
  digestAdd,
  digestHex,
  fnv1a32,
  parseClientFrame,
  parseCursor,
  restPageSize,
  syncEventTypes,
  syncPaths,
  type Position,
} from './wire.js';

// ---------------------------------------------------------------------------------------
// Configuration

/** The kinds of stream failure the server can inject. */
export type InjectionKind = 'dbError' | 'malformed' | 'stall';
export const injectionKinds: readonly InjectionKind[] = ['dbError', 'malformed', 'stall'];

/**
 * When an injection hits: at batch `batch` (`'any'`: drawn per stream), with probability
 * `chance`, for `times` streams. A stream with fewer batches is spared, unless `clamp`
 * moves the failure to its last batch.
 */
export interface InjectionRule {
  batch: number | 'any';
  chance: number;
  times: number;
  clamp?: boolean;
  /**
   * With `batch: 'any'`: the drawn point may also be the handshake (before
   * `sync.stream.start`, drawn as batch -1) or the moment between the `isLast` batch and
   * `sync.stream.complete` (drawn as batch = the stream's batch count).
   */
  phases?: boolean;
}

/** What event payloads look like: distinct per entity (`plain`), a few shared by many events (`shared`), or rich shared ones with nesting and escaped text (`rich`). */
export type PayloadStyle = 'plain' | 'shared' | 'rich';

/**
 * How the frames of a stream are paced: every `batchInterval` (`steady`), a gap drawn per
 * frame in 0–2 × `batchInterval` (`jittery`), a long query before the first batch
 * (`slow-first`), or one long gap at a batch drawn per stream (`hiccup`).
 */
export type StreamPace = { kind: 'steady' } | { kind: 'jittery' } | { kind: 'slow-first'; ms: number } | { kind: 'hiccup'; ms: number };

/** Options resolved to what the decisions need. */
export interface EventSyncServerConfig {
  /** The configuration was drawn from the server's random stream (no options were given). */
  drawn: boolean;
  events: number;
  ties: number;
  invalid: number;
  batchSize: number;
  batchInterval: number;
  /** Fraction of REST pages cut short although more events follow. */
  shortPages: number;
  append?: AppendPlan;
  revokeAt?: number;
  knows(token: string): boolean;
  inject: Partial<Record<InjectionKind, InjectionRule>>;
  /** Payload shapes (default `plain`). */
  payloads?: PayloadStyle;
  /** Invalid events take every invalid form of § 2.2 (`all`), or the two classic ones (default). */
  invalidForms?: 'classic' | 'all';
  /** Batches hold `batchSize` events (default), or 1–`batchSize` drawn per batch (`varied`). */
  batchShape?: 'fixed' | 'varied';
  /** Frame pacing (default `steady`). */
  pace?: StreamPace;
  /** Query time of a REST page, drawn per request in [min, max] ms (default: none). */
  pageDelay?: { min: number; max: number };
}

function knowsFor(options: EventSyncServerOptions): (token: string) => boolean {
  const tokens = options.tokens ? new Set(options.tokens) : undefined;
  return tokens ? (t) => tokens.has(t) : (t) => t.startsWith(eventSyncServerDefaults.tokenPrefix);
}

/**
 * Fills in defaults. With no options at all (`{}`, as property runs build the server),
 * the world is **drawn** from `random` instead (docs/protocols/event-sync.md, "The
 * drawn world"): a log of 30–300 events with 1–5 sharing a timestamp, sometimes 3 %
 * invalid events, batches of 5–40 events 20–120 ms apart, sometimes writes during the
 * run, each stream failing with a database error (15 %), a malformed frame (8 %) or a
 * stall (8 %) at a drawn batch, and in half the worlds a third of the REST pages cut short.
 * Then the dimensions added later (drawn after those, so the draws above stay as they
 * were): payload shapes, the invalid forms, varied batch lengths, frame pacing, REST page
 * latency, injections at the handshake or before `complete`, tiny logs, write bursts
 * and, rarely, a token revocation.
 */
export function resolveEventSyncConfig(options: EventSyncServerOptions, random?: Random): EventSyncServerConfig {
  const d = eventSyncServerDefaults;
  if (Object.keys(options).length === 0 && random) return drawConfig(random);
  const inject: EventSyncServerConfig['inject'] = {};
  for (const kind of injectionKinds) {
    const i = options[kind];
    if (i) inject[kind] = { batch: i.batch, chance: 1, times: i.times ?? Infinity };
  }
  return {
    drawn: false,
    events: options.events ?? d.events,
    ties: options.ties ?? d.ties,
    invalid: options.invalid ?? d.invalid,
    batchSize: options.batchSize ?? d.batchSize,
    batchInterval: options.batchInterval ?? d.batchInterval,
    shortPages: options.shortPages ?? 0,
    append: options.append,
    revokeAt: options.revokeAt,
    knows: knowsFor(options),
    inject,
  };
}

function drawConfig(r: Random): EventSyncServerConfig {
  const events = r.int(30, 300);
  const ties = r.int(1, 5);
  const invalid = r.chance(1 / 3) ? 0.03 : 0;
  const batchSize = r.int(5, 40);
  const batchInterval = r.int(20, 120);
  const append = r.chance(0.5) ? { every: r.int(300, 2000), count: r.int(1, 3), until: 50_000 } : undefined;
  // Drawn last, so that the draws above stay what they were before short pages existed.
  const shortPages = r.chance(0.5) ? 1 / 3 : 0;
  // Every draw below came later still (docs/protocols/event-sync.md, "What property runs draw").
  const payloads = (['plain', 'shared', 'rich'] as const)[r.int(0, 2)]!;
  const invalidForms = r.chance(0.5) ? 'all' : 'classic';
  const batchShape = r.chance(0.4) ? 'varied' : 'fixed';
  const paceKind = (['steady', 'steady', 'jittery', 'slow-first', 'hiccup'] as const)[r.int(0, 4)]!;
  const pace: StreamPace =
    paceKind === 'slow-first'
      ? { kind: paceKind, ms: r.int(800, 4000) }
      : paceKind === 'hiccup'
        ? { kind: paceKind, ms: r.int(3000, 8000) }
        : { kind: paceKind };
  const pageDelay = r.chance(0.4) ? (r.chance(0.25) ? { min: 500, max: r.int(1500, 6000) } : { min: 0, max: r.int(50, 400) }) : undefined;
  const phases = r.chance(0.5);
  const tiny = r.chance(0.08) ? r.int(0, 6) : undefined;
  const bursts =
    append === undefined && r.chance(0.25)
      ? Array.from({ length: r.int(1, 3) }, () => ({ at: r.int(2000, 50_000), count: r.int(20, 150) })).sort((a, b) => a.at - b.at)
      : undefined;
  const revokeAt = r.chance(0.04) ? r.int(40_000, 58_000) : undefined;
  return {
    drawn: true,
    events: tiny ?? events,
    ties,
    invalid,
    batchSize,
    batchInterval,
    shortPages,
    append: append ?? bursts,
    revokeAt,
    knows: knowsFor({}),
    inject: {
      dbError: { batch: 'any', chance: 0.15, times: Infinity, phases },
      malformed: { batch: 'any', chance: 0.08, times: Infinity, phases },
      stall: { batch: 'any', chance: 0.08, times: Infinity, phases },
    },
    payloads,
    invalidForms,
    batchShape,
    pace,
    pageDelay,
  };
}

/** The parameters of a configuration, for the `log.ready` log line. */
export function describeConfig(c: EventSyncServerConfig): Record<string, unknown> {
  const inject: Record<string, unknown> = {};
  for (const k of injectionKinds) {
    const i = c.inject[k];
    if (i)
      inject[k] = {
        batch: i.batch,
        chance: i.chance,
        times: Number.isFinite(i.times) ? i.times : undefined,
        phases: i.phases || undefined,
      };
  }
  return {
    drawn: c.drawn || undefined,
    ties: c.ties,
    invalidRate: c.invalid,
    batchSize: c.batchSize,
    batchInterval: c.batchInterval,
    shortPages: c.shortPages || undefined,
    append: c.append,
    revokeAt: c.revokeAt,
    inject: Object.keys(inject).length ? inject : undefined,
    payloads: c.payloads,
    invalidForms: c.invalidForms,
    batchShape: c.batchShape,
    pace: c.pace,
    pageDelay: c.pageDelay,
  };
}

// ---------------------------------------------------------------------------------------
// The event log

/** One event of the log, with its position and its serialized form (built once). */
export interface LogEntry {
  id: string;
  timestamp: string;
  ms: number;
  valid: boolean;
  /** The event as sent, JSON. */
  json: string;
}

/** The durable event log: ordered by position; it survives every server restart. */
export interface EventLog {
  readonly entries: LogEntry[];
  /** `validBefore[i]`: valid events among `entries[0 .. i)`. */
  readonly validBefore: number[];
  /** `digestBefore[i]`: digest of the valid events among `entries[0 .. i)`. */
  readonly digestBefore: number[];
  nextId: number;
  /** Draws which appended events are invalid. */
  readonly random: Random;
  readonly invalid: number;
  readonly payloads: PayloadStyle;
  readonly invalidForms: 'classic' | 'all';
}

const DAY = 86_400_000;

/** A timestamp in whole seconds, UTC: `2025-01-15T09:00:00Z`. */
export function secondStamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function eventId(n: number): string {
  return `ev-${String(n).padStart(7, '0')}`;
}

/** `secondStamp`, remembered for the last second asked (runs of events share one). */
const stampOf = (() => {
  let lastMs = NaN;
  let last = '';
  return (ms: number): string => {
    if (ms !== lastMs) {
      lastMs = ms;
      last = secondStamp(ms);
    }
    return last;
  };
})();

function push(log: EventLog, ms: number, valid: boolean): LogEntry {
  const n = log.nextId++;
  const id = eventId(n);
  const second = Math.floor(ms / 1000) * 1000;
  const timestamp = stampOf(second);
  const type = syncEventTypes[n % syncEventTypes.length]!;
  const payload = payloadOf(log.payloads, type, n);
  // Invalid events keep a position (id, timestamp) but cannot be applied. Ids, timestamps,
  // types and entities need no JSON escaping, so the event is written directly.
  const head = `{"id":"${id}","timestamp":"${timestamp}"`;
  const json = valid ? `${head},"type":"${type}","payload":${payload}}` : invalidJson(log.invalidForms, head, type, payload, n);
  const entry: LogEntry = { id, timestamp, ms: second, valid, json };
  const i = log.entries.length;
  log.entries.push(entry);
  log.validBefore.push(log.validBefore[i]! + (valid ? 1 : 0));
  log.digestBefore.push(valid ? digestAdd(log.digestBefore[i]!, id) : log.digestBefore[i]!);
  return entry;
}

/**
 * The payload of event `n`: `plain` payloads name one of 97 entities; `shared` ones one of
 * three, so that many events carry the same payload under different ids; `rich` ones add
 * nesting, a list, `null` and text that needs JSON escapes (the same for many events).
 */
function payloadOf(style: PayloadStyle, type: string, n: number): string {
  const kind = type.startsWith('stack') ? 'stack' : 'task';
  if (style === 'plain') return `{"entity":"${kind}-${(n % 97) + 1}"}`;
  if (style === 'shared') return `{"entity":"${kind}-${(n % 3) + 1}"}`;
  return `{"entity":"${kind}-${(n % 3) + 1}","title":"Caf\\u00e9 \\"ready\\" \\u2713 \\\\ \\ud83d\\ude80","tags":["a","b"],"meta":{"owner":null,"rank":${n % 2}}}`;
}

/** An invalid event (§ 2.2): an unknown type, or a payload that is not an object — `null` and (with `all`) missing, a list, a string. */
function invalidJson(forms: 'classic' | 'all', head: string, type: string, payload: string, n: number): string {
  const form = forms === 'all' ? n % 5 : n % 2;
  if (form === 1) return `${head},"type":"task.archived.v2","payload":${payload}}`;
  if (form === 0) return `${head},"type":"${type}","payload":null}`;
  if (form === 2) return `${head},"type":"${type}"}`;
  if (form === 3) return `${head},"type":"${type}","payload":[${payload}]}`;
  return `${head},"type":"${type}","payload":"${type}"}`;
}

/**
 * Builds the initial log: `events` events whose timestamps (whole seconds, 1–5 s apart)
 * end before `nowMs`; runs of 1–`ties` consecutive events share a timestamp; each event
 * is invalid with probability `invalid`.
 */
export function createEventLog(
  config: Pick<EventSyncServerConfig, 'events' | 'ties' | 'invalid' | 'payloads' | 'invalidForms'>,
  nowMs: number,
  random: Random,
): EventLog {
  const log: EventLog = {
    entries: [],
    validBefore: [0],
    digestBefore: [0],
    nextId: 1,
    random: random.stream('append'),
    invalid: config.invalid,
    payloads: config.payloads ?? 'plain',
    invalidForms: config.invalidForms ?? 'classic',
  };
  let ms = Math.floor((nowMs - DAY - config.events * 5000) / 1000) * 1000;
  let left = 0;
  for (let i = 0; i < config.events; i++) {
    if (left === 0) {
      ms += random.int(1, 5) * 1000;
      left = config.ties > 1 ? random.int(1, config.ties) : 1;
    }
    left--;
    push(log, ms, !random.chance(config.invalid));
  }
  return log;
}

/** Appends `count` events stamped with the current second (never before the last event). */
export function appendEvents(log: EventLog, count: number, nowMs: number): LogEntry[] {
  const last = log.entries[log.entries.length - 1];
  const ms = Math.max(last?.ms ?? 0, Math.floor(nowMs / 1000) * 1000);
  const out: LogEntry[] = [];
  for (let i = 0; i < count; i++) out.push(push(log, ms, !log.random.chance(log.invalid)));
  return out;
}

function entryPosition(e: LogEntry): Position {
  return { ms: e.ms, timestamp: e.timestamp, id: e.id };
}

/** Index of the first event strictly after `since` (`null`: 0). */
export function indexAfter(log: EventLog, since: Position | null): number {
  if (!since) return 0;
  let lo = 0;
  let hi = log.entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (comparePositions(entryPosition(log.entries[mid]!), since) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What a store synced up to `checkpoint` must hold: the valid events at or before it. */
export function expectedUpTo(log: EventLog, checkpoint: string | null): { count: number; digest: string } {
  const pos = checkpoint === null ? null : parseCursor(checkpoint);
  const i = pos === null ? 0 : pos === undefined ? 0 : indexAfter(log, pos);
  return { count: log.validBefore[i]!, digest: digestHex(log.digestBefore[i]!) };
}

/** The `checkpoint.issued` log line for a checkpoint the server hands out. */
export function issuedLog(log: EventLog, checkpoint: string | null, via: string): LogLine {
  const e = expectedUpTo(log, checkpoint);
  return { event: 'checkpoint.issued', fields: { checkpoint: checkpoint ?? undefined, via, count: e.count, digest: e.digest } };
}

// ---------------------------------------------------------------------------------------
// Auth

/** A `server.log` line to record. */
export interface LogLine {
  event: string;
  fields: Record<string, unknown>;
}

export type AuthVerdict = { ok: true } | { ok: false; reason: 'missing token' | 'unknown token' | 'token revoked' | 'token expired' };

/**
 * Whether `token` is accepted at virtual time `now` (revocation applies from `revokeAt`
 * on); `expired`: a `token-expiry` fault expired the credentials of the requesting node.
 */
export function authorize(config: EventSyncServerConfig, token: string | undefined, now: number, expired = false): AuthVerdict {
  if (!token) return { ok: false, reason: 'missing token' };
  if (config.revokeAt !== undefined && now >= config.revokeAt) return { ok: false, reason: 'token revoked' };
  if (expired) return { ok: false, reason: 'token expired' };
  if (!config.knows(token)) return { ok: false, reason: 'unknown token' };
  return { ok: true };
}

/** The Bearer token of a request (`Authorization: Bearer <token>` only). */
export function bearerOf(authorization: string | null): string | undefined {
  if (!authorization || !/^bearer\s/i.test(authorization)) return undefined;
  return authorization.slice(7).trim() || undefined;
}

// ---------------------------------------------------------------------------------------
// REST

/** An HTTP request as the decisions see it. */
export interface SyncRequest {
  id: string;
  method: string;
  path: string;
  query: URLSearchParams;
  token: string | undefined;
  dup: boolean;
  /** The token was issued before a credential expiry that applies to the requesting node. */
  expired?: boolean;
}

/** An HTTP answer; `body` is sent as JSON (or, when a string, as is). */
export interface SyncResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const rejected = (req: SyncRequest, status: number, error: string, reason: string, headers?: Record<string, string>) => ({
  response: { status, body: status === 401 ? { error } : { error, reason }, headers },
  logs: [{ event: 'request.rejected', fields: { request: req.id, method: req.method, path: req.path, status, reason } }],
});

/**
 * Decides an HTTP request: `GET /v1/sync/events?since=<cursor>&limit=100` answers the
 * next page of at most 100 events strictly after `since`, with `nextCursor` (the last
 * event's cursor), `hasMore` and `totalEvents` (events after `since`, this page
 * included). The last page (`hasMore: false`) issues `nextCursor` as the new checkpoint.
 */
export function handleHttp(
  log: EventLog,
  config: EventSyncServerConfig,
  req: SyncRequest,
  now: number,
): { response: SyncResponse; logs: LogLine[] } {
  if (req.path === syncPaths.stream) {
    const auth = authorize(config, req.token, now, req.expired);
    if (!auth.ok) return rejected(req, 401, 'unauthorized', auth.reason);
    return rejected(req, 426, 'upgrade_required', `${req.path} only accepts WebSocket upgrades`);
  }
  if (req.path !== syncPaths.events) return rejected(req, 404, 'not_found', `no event-sync endpoint at ${req.path}`);
  const auth = authorize(config, req.token, now, req.expired);
  if (!auth.ok) return rejected(req, 401, 'unauthorized', auth.reason);
  if (req.method !== 'GET')
    return rejected(req, 405, 'method_not_allowed', `${req.method} is not allowed on ${req.path}; use GET`, { allow: 'GET' });
  const sinceText = req.query.get('since');
  const since = sinceText === null || sinceText === '' ? null : parseCursor(sinceText);
  if (since === undefined) return rejected(req, 400, 'bad_request', 'since must be an RFC 3339 timestamp or a cursor <timestamp>#<id>');
  const limitText = req.query.get('limit');
  let limit = restPageSize;
  if (limitText !== null) {
    const n = Number(limitText);
    if (!Number.isInteger(n) || n < 1) return rejected(req, 400, 'bad_request', 'limit must be a whole number ≥ 1');
    limit = Math.min(n, restPageSize);
  }
  const from = indexAfter(log, since);
  const to = Math.min(log.entries.length, from + pageLength(config, sinceText, limit, log.entries.length - from));
  const page = log.entries.slice(from, to);
  const hasMore = to < log.entries.length;
  const last = page[page.length - 1];
  const nextCursor = last ? cursorOf(last) : since ? (sinceText as string) : null;
  const totalEvents = log.entries.length - from;
  const invalidIds = page.filter((e) => !e.valid).map((e) => e.id);
  const invalid = invalidIds.length;
  const body = `{"events":[${page.map((e) => e.json).join(',')}],"nextCursor":${JSON.stringify(nextCursor)},"hasMore":${hasMore},"totalEvents":${totalEvents}}`;
  const logs: LogLine[] = [
    {
      event: 'rest.page',
      fields: {
        request: req.id,
        dup: req.dup || undefined,
        since: sinceText ?? undefined,
        limit,
        count: page.length,
        invalid: invalid || undefined,
        invalidIds: invalid ? invalidIds : undefined,
        first: page[0] ? cursorOf(page[0]) : undefined,
        last: last ? cursorOf(last) : undefined,
        nextCursor: nextCursor ?? undefined,
        hasMore,
        totalEvents,
      },
    },
  ];
  if (!hasMore) logs.push(issuedLog(log, nextCursor, req.id));
  return { response: { status: 200, body, headers: { 'content-type': 'application/json' } }, logs };
}

/**
 * How many events the page after `since` holds: `limit`, or fewer when more follow and
 * the page is one of the `shortPages` cut short. The cut depends only on `since`, so a
 * retried or duplicated request gets the same page.
 */
export function pageLength(config: Pick<EventSyncServerConfig, 'shortPages'>, since: string | null, limit: number, left: number): number {
  const full = Math.min(limit, left);
  if (config.shortPages <= 0 || left <= limit || full < 2) return full;
  const h = fnv1a32(`short|${since ?? ''}`);
  if (h / 2 ** 32 >= config.shortPages) return full;
  return 1 + (fnv1a32(`length|${since ?? ''}`) % (full - 1));
}

// ---------------------------------------------------------------------------------------
// Streams

/** Events of the stream's next batch: `batchSize`, or with `varied` batches 1–`batchSize` drawn per (socket, batch). */
export function batchLength(config: Pick<EventSyncServerConfig, 'batchSize' | 'batchShape'>, socket: string, batchIndex: number): number {
  if (config.batchShape !== 'varied' || config.batchSize <= 1) return config.batchSize;
  return 1 + (fnv1a32(`batch|${socket}|${batchIndex}`) % config.batchSize);
}

/** How many batches a stream of `events` events on `socket` is sent in. */
export function batchCount(config: Pick<EventSyncServerConfig, 'batchSize' | 'batchShape'>, socket: string, events: number): number {
  if (config.batchShape !== 'varied') return Math.ceil(events / config.batchSize);
  let n = 0;
  for (let left = events; left > 0; n++) left -= batchLength(config, socket, n);
  return n;
}

/** Virtual ms before the stream's next step (the database read time of the next batch), as the world's {@link StreamPace} says. */
export function frameDelay(config: Pick<EventSyncServerConfig, 'batchInterval' | 'pace'>, s: StreamSession): number {
  const pace = config.pace ?? { kind: 'steady' };
  const i = config.batchInterval;
  if (pace.kind === 'jittery') return fnv1a32(`pace|${s.socket}|${s.batchIndex}`) % (2 * i + 1);
  if (pace.kind === 'slow-first') return s.batchIndex === 0 ? pace.ms : i;
  if (pace.kind === 'hiccup') return s.batchIndex === fnv1a32(`hiccup|${s.socket}`) % 4 ? pace.ms : i;
  return i;
}

/** A failure injected into one stream. */
export interface Injection {
  kind: InjectionKind;
  /** Before this batch (0-based); -1: before `sync.stream.start`; the batch count: between the `isLast` batch and `complete`. */
  batch: number;
}

/** One `sync.stream.request` being served. */
export interface StreamSession {
  socket: string;
  since: string | null;
  /** Log indexes `[start, end)`: the events after `since` when the request arrived. */
  readonly start: number;
  readonly end: number;
  /** Next log index to send. */
  next: number;
  batchIndex: number;
  injection?: Injection;
  /** `sync.stream.start` was sent. */
  started: boolean;
  state: 'streaming' | 'complete' | 'failed' | 'stalled';
}

/** Counts of injections left per kind (a rule's `times`). */
export type InjectionBudget = Partial<Record<InjectionKind, number>>;

/** Draws the failure (if any) a new stream of `batches` batches suffers. At most one per stream. */
export function drawInjection(
  config: EventSyncServerConfig,
  budget: InjectionBudget,
  batches: number,
  random: Random,
): Injection | undefined {
  for (const kind of injectionKinds) {
    const rule = config.inject[kind];
    if (!rule) continue;
    const left = budget[kind] ?? rule.times;
    if (left <= 0 || !random.chance(rule.chance)) continue;
    const lastBatch = Math.max(0, batches - 1);
    let batch = rule.batch === 'any' ? (rule.phases ? random.int(-1, batches) : random.int(0, lastBatch)) : rule.batch;
    if (rule.phases && batch === batches && batches > 0) {
      budget[kind] = left - 1;
      return { kind, batch };
    }
    if (rule.clamp) batch = Math.min(batch, lastBatch);
    if (batch > lastBatch) continue;
    budget[kind] = left - 1;
    return { kind, batch };
  }
  return undefined;
}

/** The answer to a client frame on a stream socket: a new session, or a frame explaining why not. */
export function handleStreamFrame(
  log: EventLog,
  config: EventSyncServerConfig,
  socket: string,
  data: string | Uint8Array,
  inject: (batches: number) => Injection | undefined,
): { session?: StreamSession; frames: string[]; logs: LogLine[] } {
  let since: string | null;
  try {
    since = parseClientFrame(data).since ?? null;
  } catch (e) {
    const reason = (e as Error).message;
    return {
      frames: [errorFrame('Invalid request', 'BAD_REQUEST')],
      logs: [{ event: 'frame.ignored', fields: { socket, reason } }],
    };
  }
  const pos = since === null ? null : parseCursor(since)!;
  const start = indexAfter(log, pos);
  const end = log.entries.length;
  const batches = batchCount(config, socket, end - start);
  const injection = inject(batches);
  const started = injection?.batch !== -1;
  const session: StreamSession = { socket, since, start, end, next: start, batchIndex: 0, injection, started, state: 'streaming' };
  const total = end - start;
  return {
    session,
    frames: started ? [`{"type":"sync.stream.start","totalEvents":${total}}`] : [],
    logs: [
      {
        event: 'stream.request',
        fields: {
          socket,
          since: since ?? undefined,
          totalEvents: total,
          batches,
          first: total ? cursorOf(log.entries[start]!) : undefined,
          last: total ? cursorOf(log.entries[end - 1]!) : undefined,
          injection: injection ? `${injection.kind} ${injectionPoint(injection.batch, batches)}` : undefined,
        },
      },
    ],
  };
}

function injectionPoint(batch: number, batches: number): string {
  if (batch < 0) return 'before start';
  if (batch >= batches && batches > 0) return 'before complete';
  return `before batch ${batch}`;
}

/** A `sync.stream.error` frame. */
export function errorFrame(error: string, code: string): string {
  return JSON.stringify({ type: 'sync.stream.error', error, code });
}

/**
 * The next step of a streaming session: the next batch (with `sync.stream.complete`
 * right after the last one), or the injected failure. `more` says whether another step
 * follows.
 */
export function streamStep(
  log: EventLog,
  config: EventSyncServerConfig,
  s: StreamSession,
): { frames: string[]; logs: LogLine[]; more: boolean } {
  if (s.state !== 'streaming') return { frames: [], logs: [], more: false };
  const inj = s.injection;
  if (inj && inj.batch === (s.started ? s.batchIndex : -1)) {
    if (inj.kind === 'dbError') {
      s.state = 'failed';
      return {
        frames: [errorFrame('Database connection failed', 'DB_ERROR')],
        logs: [{ event: 'stream.error', fields: { socket: s.socket, code: 'DB_ERROR', batchIndex: s.batchIndex, injected: true } }],
        more: false,
      };
    }
    if (inj.kind === 'malformed') {
      s.state = 'failed';
      return {
        frames: [`{"type":"sync.stream.batch","events":[${log.entries[s.next]?.json ?? ''}`],
        logs: [{ event: 'stream.malformed', fields: { socket: s.socket, batchIndex: s.batchIndex, injected: true } }],
        more: false,
      };
    }
    s.state = 'stalled';
    return {
      frames: [],
      logs: [{ event: 'stream.stall', fields: { socket: s.socket, batchIndex: s.batchIndex, injected: true } }],
      more: false,
    };
  }
  const to = Math.min(s.end, s.next + batchLength(config, s.socket, s.batchIndex));
  const isLast = to >= s.end;
  const frames: string[] = [];
  if (to > s.next) {
    const parts: string[] = [];
    for (let i = s.next; i < to; i++) parts.push(log.entries[i]!.json);
    frames.push(`{"type":"sync.stream.batch","events":[${parts.join(',')}],"batchIndex":${s.batchIndex},"isLast":${isLast}}`);
    s.batchIndex++;
    s.next = to;
  }
  // An injection drawn between the `isLast` batch and `complete` strikes at the next step.
  if (!isLast || (inj && inj.batch === s.batchIndex && to > s.start)) return { frames, logs: [], more: true };
  s.state = 'complete';
  const last = log.entries[s.end - 1];
  const newCheckpoint = s.end > s.start && last ? cursorOf(last) : s.since;
  frames.push(JSON.stringify({ type: 'sync.stream.complete', processedEvents: s.end - s.start, newCheckpoint }));
  return {
    frames,
    logs: [
      {
        event: 'stream.complete',
        fields: { socket: s.socket, processedEvents: s.end - s.start, batches: s.batchIndex, newCheckpoint: newCheckpoint ?? undefined },
      },
      issuedLog(log, newCheckpoint, s.socket),
    ],
    more: false,
  };
}
