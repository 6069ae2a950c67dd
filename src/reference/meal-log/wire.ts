/**
 * The meal-log protocol's wire types (docs/protocols/meal-log.md), validated at the
 * boundary: anything that does not parse is rejected with a message, never trusted.
 * Names follow the source document (`/ws/meal-logs`, `/api/v1/meal-logs/natural`,
 * `MealLogStatus.processing`, `MealLogCompletedPayload`, the local ID and the backend ID).
 */
import type { MealLogSnapshot } from './snapshot.js';

/** `MealLogStatus`: a meal is `processing` until the AI processor finishes it. */
export type MealLogStatus = 'processing' | 'completed' | 'failed';

/** Nutrition the AI processor found (completed meals only). */
export interface MealNutrition {
  calories: number;
  proteinG: number;
  carbsG: number;
  fatG: number;
}

/** A meal log as the backend stores it. */
export interface MealLog {
  /** The backend id (`ml-7`). */
  id: string;
  /** The client's local id, sent with the upload (idempotency key). */
  localId: string;
  userId: string;
  /** What the user typed ("two eggs and toast"). */
  rawInput: string;
  status: MealLogStatus;
  /** RFC 3339 with milliseconds. */
  loggedAt: string;
  createdAt: string;
  updatedAt: string;
  nutrition?: MealNutrition;
  /** Why processing failed (`failed` only). */
  error?: string;
}

/** Body of `POST /api/v1/meal-logs/natural`. */
export interface SubmitMealBody {
  localId: string;
  rawInput: string;
  /** RFC 3339; default: when the server receives it. */
  loggedAt?: string;
}

/** `MealLogCompletedPayload` (and its `failed` sibling). */
export interface MealLogCompletedPayload {
  mealLog: MealLog;
}
export interface MealLogFailedPayload {
  mealLog: MealLog;
  error: string;
}

/** Server → client WebSocket frames. `connected` is sent after the connection is registered. */
export type MealLogServerFrame =
  | { type: 'connected'; userId: string }
  | { type: 'pong' }
  | { type: 'meal_log_completed'; payload: MealLogCompletedPayload }
  | { type: 'meal_log_failed'; payload: MealLogFailedPayload };

/** Client → server WebSocket frames. */
export type MealLogClientFrame = { type: 'ping' };

/** Paths of the protocol. */
export const mealLogPaths = {
  /** POST: submit a meal in natural language. */
  submit: '/api/v1/meal-logs/natural',
  /** GET: the user's meal logs of one day (`?date=YYYY-MM-DD`) — what polling fetches. */
  list: (date?: string) => (date ? `/api/v1/meal-logs?date=${encodeURIComponent(date)}` : '/api/v1/meal-logs'),
  /** GET: one meal log. */
  one: (id: string) => `/api/v1/meal-logs/${encodeURIComponent(id)}`,
  /** The WebSocket. */
  socket: (token: string) => `/ws/meal-logs?token=${encodeURIComponent(token)}`,
  socketPath: '/ws/meal-logs',
  listPath: '/api/v1/meal-logs',
} as const;

/** Which endpoint a path is, or `undefined`. */
export function routeOf(
  path: string,
): { kind: 'submit' } | { kind: 'list' } | { kind: 'one'; id: string } | { kind: 'socket' } | undefined {
  const p = path.split('?')[0]!;
  if (p === mealLogPaths.submit) return { kind: 'submit' };
  if (p === mealLogPaths.listPath) return { kind: 'list' };
  if (p === mealLogPaths.socketPath) return { kind: 'socket' };
  const m = /^\/api\/v1\/meal-logs\/([^/]+)$/.exec(p);
  return m ? { kind: 'one', id: decodeURIComponent(m[1]!) } : undefined;
}

const statuses: readonly string[] = ['processing', 'completed', 'failed'];

/** `true` for a status no processing will change. */
export const isFinal = (s: string): boolean => s === 'completed' || s === 'failed';

/** Validates a `MealLog`; returns an error text or `undefined`. */
export function checkMealLog(v: unknown): string | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'a meal log must be an object';
  const m = v as Record<string, unknown>;
  for (const k of ['id', 'localId', 'userId', 'rawInput', 'loggedAt', 'createdAt', 'updatedAt'] as const) {
    if (typeof m[k] !== 'string') return `mealLog.${k} must be a string`;
  }
  if (typeof m.status !== 'string' || !statuses.includes(m.status)) return 'mealLog.status must be "processing", "completed" or "failed"';
  for (const k of ['loggedAt', 'createdAt', 'updatedAt'] as const)
    if (Number.isNaN(Date.parse(m[k] as string))) return `mealLog.${k} must be RFC 3339`;
  if (m.error !== undefined && typeof m.error !== 'string') return 'mealLog.error must be a string';
  if (m.nutrition !== undefined) {
    const n = m.nutrition as Record<string, unknown> | null;
    if (!n || typeof n !== 'object') return 'mealLog.nutrition must be an object';
    for (const k of ['calories', 'proteinG', 'carbsG', 'fatG'])
      if (typeof n[k] !== 'number') return `mealLog.nutrition.${k} must be a number`;
  }
  return undefined;
}

function parseJsonText(data: unknown): unknown {
  if (typeof data !== 'string') throw new TypeError('meal-log frames are JSON text');
  return JSON.parse(data);
}

/** Parses a server frame; throws with a reason when it is not one. */
export function parseServerFrame(data: unknown): MealLogServerFrame {
  const v = parseJsonText(data) as { type?: unknown; userId?: unknown; payload?: unknown } | null;
  switch (v?.type) {
    case 'pong':
      return { type: 'pong' };
    case 'connected':
      if (typeof v.userId !== 'string') throw new TypeError('connected.userId must be a string');
      return { type: 'connected', userId: v.userId };
    case 'meal_log_completed':
    case 'meal_log_failed': {
      const p = v.payload as { mealLog?: unknown; error?: unknown } | null | undefined;
      const err = checkMealLog(p?.mealLog);
      if (err) throw new TypeError(`${v.type}.payload: ${err}`);
      if (v.type === 'meal_log_failed') {
        return {
          type: 'meal_log_failed',
          payload: { mealLog: p!.mealLog as MealLog, error: typeof p!.error === 'string' ? p!.error : '' },
        };
      }
      return { type: 'meal_log_completed', payload: { mealLog: p!.mealLog as MealLog } };
    }
    default:
      throw new TypeError(`unknown meal-log frame type ${JSON.stringify(v?.type)}`);
  }
}

/** Parses the body of a listing (`{"mealLogs": [...]}`). */
export function parseMealLogList(v: unknown): MealLog[] {
  const list = (v as { mealLogs?: unknown } | null)?.mealLogs;
  if (!Array.isArray(list)) throw new TypeError('expected {"mealLogs": [...]}');
  for (const m of list) {
    const err = checkMealLog(m);
    if (err) throw new TypeError(err);
  }
  return list as MealLog[];
}

/** Parses the body of a submission's answer (`{"mealLog": {...}}`). */
export function parseSubmitAck(v: unknown): MealLog {
  const m = (v as { mealLog?: unknown } | null)?.mealLog;
  const err = checkMealLog(m);
  if (err) throw new TypeError(err);
  return m as MealLog;
}

/**
 * The reference client's timing (docs/protocols/meal-log.md, "The reference client").
 * What the requirements allow is wider: see `requirements/limits.ts`.
 */
export const mealLogTiming = {
  /** The document's `pollingInterval: TimeInterval = 5.0`. */
  pollInterval: 5000,
  /** Adaptive polling: ×1.5 once 3 consecutive polls changed nothing, up to 30 s. */
  pollGrowth: 1.5,
  unchangedBeforeGrowth: 3,
  pollMax: 30_000,
  /** Reconnect backoff after consecutive failures; the last value repeats. */
  backoff: [1000, 2000, 4000, 8000, 16_000, 30_000],
  /** A ping every 15 s (and one as soon as a socket opens); no server message within 5 s ⇒ abandon it. */
  pingInterval: 15_000,
  pongTimeout: 5000,
  /** The pre-connection check: a submission waits up to 5 s for a connection in progress. */
  preConnectWait: 5000,
  /** A request the client abandons after this long. */
  requestTimeout: 10_000,
  /** Delay before retrying a failed upload or a failed load. */
  uploadRetry: 5000,
  loadRetry: 5000,
} as const;

export type { ConnectionMetrics, MealLogSnapshot, ShownMeal } from './snapshot.js';

/** The actions a meal-log client exposes to the harness. */
export interface MealLogDriver {
  /** NutritionView appears (its view model connects and shows today's meals). */
  openNutritionView(): void;
  /** The user submits a meal in AddMealView (which then dismisses). */
  submitMeal(text: string): void;
  snapshot(): MealLogSnapshot;
  dispose?(): void;
}
