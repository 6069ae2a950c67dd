/**
 * The event-sync protocol's wire types (docs/protocols/event-sync.md), validated at the
 * boundary: anything that does not parse is rejected with a reason, never trusted.
 *
 * Positions and cursors: every event has a **position**, the pair (timestamp, id),
 * ordered by the timestamp's instant and then by the id (code-point order). A
 * **cursor** names a position as text: `<RFC 3339 timestamp>#<id>`; a bare
 * `<RFC 3339 timestamp>` is the position (timestamp, "") just before every event of that
 * instant. Every `since` is exclusive of its position: the server answers the events
 * whose position is strictly after it, so nothing sharing the cursor's timestamp but
 * sorting after its id is ever skipped.
 */
import type { EventSyncSnapshot } from './snapshot.js';

/** One event of the log, as the server stores and sends it. */
export interface SyncEvent {
  /** Unique, assigned by the server. */
  id: string;
  /** RFC 3339 (the reference server writes whole seconds in UTC, so several events share one). */
  timestamp: string;
  type: string;
  payload: Record<string, unknown>;
}

/** An event as it may arrive: positioned (a string id and an RFC 3339 timestamp), otherwise unchecked. */
export type WireEvent = { id: string; timestamp: string } & Record<string, unknown>;

/** Event types a client knows how to apply; any other type makes an event invalid. */
export const syncEventTypes = ['stack.created', 'stack.updated', 'task.created', 'task.updated', 'task.completed'] as const;
const knownTypes = new Set<string>(syncEventTypes);

/** Paths of the protocol. */
export const syncPaths = {
  /** WebSocket upgrade, `Authorization: Bearer <token>`. */
  stream: '/v1/sync/stream',
  /** REST paging, `GET ?since=<cursor>&limit=100`. */
  events: '/v1/sync/events',
} as const;

/** Events per REST page (exactly; the source document's "one per batch of 100"). */
export const restPageSize = 100;

/** Protocol timing of the reference client (docs/protocols/event-sync.md, "Client behaviour"). */
export const syncTiming = {
  /** No frame for this long on a stream (connecting included) ⇒ the stream has stalled. */
  streamIdleTimeout: 10_000,
  /** A REST page that has not answered after this long is abandoned. */
  requestTimeout: 15_000,
  /** Delays before retrying a failed REST page; the last repeats. */
  restRetry: [1000, 2000, 4000, 8000, 16_000, 30_000],
} as const;

// ---------------------------------------------------------------------------------------
// Timestamps, positions, cursors

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

let lastText = '';
let lastMs: number | undefined;

/** Epoch ms of an RFC 3339 timestamp, or `undefined` when it is not one. (The last answer is remembered: runs of events share a timestamp.) */
export function parseTimestamp(ts: unknown): number | undefined {
  if (typeof ts !== 'string') return undefined;
  if (ts === lastText) return lastMs;
  let ms: number | undefined;
  if (rfc3339.test(ts)) {
    ms = Date.parse(ts);
    if (Number.isNaN(ms)) ms = undefined;
  }
  lastText = ts;
  lastMs = ms;
  return ms;
}

/** A position in the log: the timestamp's instant, then the id. */
export interface Position {
  ms: number;
  /** The timestamp as written. */
  timestamp: string;
  /** `''` for a bare-timestamp cursor (before every event of that instant). */
  id: string;
}

/** Orders two positions: negative when `a` comes first. */
export function comparePositions(a: Position, b: Position): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The cursor naming an event's position. */
export function cursorOf(e: { id: string; timestamp: string }): string {
  return `${e.timestamp}#${e.id}`;
}

/** Parses a cursor (`<timestamp>#<id>` or `<timestamp>`), or `undefined` when it is not one. */
export function parseCursor(cursor: unknown): Position | undefined {
  if (typeof cursor !== 'string') return undefined;
  const hash = cursor.indexOf('#');
  const timestamp = hash < 0 ? cursor : cursor.slice(0, hash);
  const id = hash < 0 ? '' : cursor.slice(hash + 1);
  const ms = parseTimestamp(timestamp);
  if (ms === undefined || (hash >= 0 && id === '')) return undefined;
  return { ms, timestamp, id };
}

/** The position of a positioned event. */
export function positionOf(e: { id: string; timestamp: string }): Position {
  return { ms: parseTimestamp(e.timestamp) ?? NaN, timestamp: e.timestamp, id: e.id };
}

/** Why a value is not a positioned event (a string id and an RFC 3339 timestamp), or `undefined`. */
export function checkPositioned(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'an event must be an object';
  const e = v as Record<string, unknown>;
  if (typeof e.id !== 'string' || e.id === '') return 'event.id must be a non-empty string';
  if (parseTimestamp(e.timestamp) === undefined) return `event ${e.id}: timestamp must be RFC 3339`;
  return undefined;
}

/** Why a positioned event cannot be applied (it is **invalid**: skip it, count it), or `undefined` when it is valid. */
export function eventProblem(e: WireEvent): string | undefined {
  if (typeof e.type !== 'string' || !knownTypes.has(e.type)) return `unknown event type ${JSON.stringify(e.type)}`;
  if (e.payload === null || typeof e.payload !== 'object' || Array.isArray(e.payload)) return 'payload must be an object';
  return undefined;
}

/** `true` when a positioned event is valid. */
export function isValidEvent(e: WireEvent): boolean {
  return eventProblem(e) === undefined;
}

// ---------------------------------------------------------------------------------------
// Store digest (docs/protocols/event-sync.md, "Snapshot")

/** FNV-1a, 32 bits, over the UTF-16 code units of `s`. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Adds one stored event to a digest: the sum of `fnv1a32(id)` mod 2³², so the digest counts multiplicity. */
export function digestAdd(digest: number, id: string): number {
  return (digest + fnv1a32(id)) >>> 0;
}

/** A digest as the reference client shows it: 8 lower-case hex digits (either case is allowed). */
export function digestHex(digest: number): string {
  return (digest >>> 0).toString(16).padStart(8, '0');
}

// ---------------------------------------------------------------------------------------
// Frames

/** `sync.stream.request`: the client asks for every event after `since` (`null` or absent: from the beginning). */
export interface StreamRequestFrame {
  type: 'sync.stream.request';
  since?: string | null;
}

export interface StreamStartFrame {
  type: 'sync.stream.start';
  totalEvents: number;
}
export interface StreamBatchFrame {
  type: 'sync.stream.batch';
  events: WireEvent[];
  batchIndex: number;
  isLast: boolean;
}
export interface StreamCompleteFrame {
  type: 'sync.stream.complete';
  processedEvents: number;
  /** The cursor of the last event streamed (or the request's `since` when none was; `null` when neither exists). */
  newCheckpoint: string | null;
}
export interface StreamErrorFrame {
  type: 'sync.stream.error';
  error: string;
  code: string;
}

/** Server → client frames. */
export type SyncServerFrame = StreamStartFrame | StreamBatchFrame | StreamCompleteFrame | StreamErrorFrame;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** The text of a frame (text frames as they are; binary frames decoded as UTF-8). */
export function frameText(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof Uint8Array) return new TextDecoder().decode(data);
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(data));
  return undefined;
}

/**
 * Parses a server frame; throws a `TypeError` with a reason when it is malformed: not
 * JSON, an unknown `type`, a missing or mistyped field, or a batch event without a
 * position (string `id`, RFC 3339 `timestamp`). Events that are positioned but invalid
 * (unknown type, bad payload) are **not** a malformed frame: the client skips them.
 */
export function parseServerFrame(data: unknown): SyncServerFrame {
  const text = frameText(data);
  if (text === undefined) throw new TypeError('event-sync frames are JSON text');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new TypeError('the frame is not valid JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError('the frame is not a JSON object');
  const f = v as Record<string, unknown>;
  switch (f.type) {
    case 'sync.stream.start':
      if (!isCount(f.totalEvents)) throw new TypeError('sync.stream.start: totalEvents must be a whole number ≥ 0');
      return { type: f.type, totalEvents: f.totalEvents };
    case 'sync.stream.batch': {
      if (!Array.isArray(f.events)) throw new TypeError('sync.stream.batch: events must be an array');
      if (!isCount(f.batchIndex)) throw new TypeError('sync.stream.batch: batchIndex must be a whole number ≥ 0');
      if (typeof f.isLast !== 'boolean') throw new TypeError('sync.stream.batch: isLast must be a boolean');
      for (const e of f.events) {
        const err = checkPositioned(e);
        if (err) throw new TypeError(`sync.stream.batch: ${err}`);
      }
      return { type: f.type, events: f.events as WireEvent[], batchIndex: f.batchIndex, isLast: f.isLast };
    }
    case 'sync.stream.complete':
      if (!isCount(f.processedEvents)) throw new TypeError('sync.stream.complete: processedEvents must be a whole number ≥ 0');
      if (f.newCheckpoint !== null && parseCursor(f.newCheckpoint) === undefined)
        throw new TypeError('sync.stream.complete: newCheckpoint must be a cursor or null');
      return { type: f.type, processedEvents: f.processedEvents, newCheckpoint: f.newCheckpoint as string | null };
    case 'sync.stream.error':
      if (typeof f.error !== 'string' || typeof f.code !== 'string')
        throw new TypeError('sync.stream.error: error and code must be strings');
      return { type: f.type, error: f.error, code: f.code };
    default:
      throw new TypeError(`unknown event-sync frame type ${JSON.stringify(f.type)}`);
  }
}

/** Parses a client frame (`sync.stream.request`); throws a `TypeError` with a reason. */
export function parseClientFrame(data: unknown): StreamRequestFrame {
  const text = frameText(data);
  if (text === undefined) throw new TypeError('event-sync frames are JSON text');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new TypeError('the frame is not valid JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError('the frame is not a JSON object');
  const f = v as Record<string, unknown>;
  if (f.type !== 'sync.stream.request') throw new TypeError(`unknown event-sync frame type ${JSON.stringify(f.type)}`);
  if (f.since !== undefined && f.since !== null && parseCursor(f.since) === undefined)
    throw new TypeError('sync.stream.request: since must be an RFC 3339 timestamp or a cursor <timestamp>#<id>');
  return { type: f.type, since: (f.since as string | null | undefined) ?? null };
}

// ---------------------------------------------------------------------------------------
// REST

/** Body of `GET /v1/sync/events`. */
export interface RestPage {
  /** At most 100 events after `since`, in position order. */
  events: WireEvent[];
  /** The cursor of the last event of this page (the request's `since` when the page is empty; `null` when neither exists). */
  nextCursor: string | null;
  /** More events follow `nextCursor`. When `false`, `nextCursor` is the new checkpoint. */
  hasMore: boolean;
  /** Events after the request's `since`, this page included, when it was answered. */
  totalEvents: number;
}

/** Parses a REST page; throws a `TypeError` with a reason. */
export function parseRestPage(v: unknown): RestPage {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new TypeError('expected {"events": [...], "nextCursor", "hasMore", "totalEvents"}');
  const p = v as Record<string, unknown>;
  if (!Array.isArray(p.events)) throw new TypeError('events must be an array');
  for (const e of p.events) {
    const err = checkPositioned(e);
    if (err) throw new TypeError(err);
  }
  if (p.nextCursor !== null && parseCursor(p.nextCursor) === undefined) throw new TypeError('nextCursor must be a cursor or null');
  if (typeof p.hasMore !== 'boolean') throw new TypeError('hasMore must be a boolean');
  if (!isCount(p.totalEvents)) throw new TypeError('totalEvents must be a whole number ≥ 0');
  return { events: p.events as WireEvent[], nextCursor: p.nextCursor as string | null, hasMore: p.hasMore, totalEvents: p.totalEvents };
}

/** The URL path and query of one REST page request. */
export function restPageUrl(since: string | null): string {
  const q = since === null ? '' : `since=${encodeURIComponent(since)}&`;
  return `${syncPaths.events}?${q}limit=${restPageSize}`;
}

// ---------------------------------------------------------------------------------------
// What the user sees

/** What the user sees: the snapshot contract lives in `snapshot.ts` (one schema, its type derived). */
export type { EventSyncSnapshot };

/** The actions an event-sync client exposes to the harness. */
export interface EventSyncDriver {
  /** Pull events (`pullEvents()`): stream first, REST on any error. */
  sync(): void;
  /** What the user sees now. */
  snapshot(): EventSyncSnapshot;
  dispose?(): void;
}
