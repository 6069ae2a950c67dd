/**
 * The event-sync snapshot contract (docs/protocols/event-sync.md, "Snapshot"): what a
 * client's `snapshot()` must return. One TypeBox schema gives the TypeScript type, the
 * validation the harness applies to every recorded snapshot, and the checkers' reading
 * of each field; the spec's table says the same in words.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

const count = (description: string) => Type.Integer({ minimum: 0, description });

/** A cursor as text: `<RFC 3339 timestamp>#<id>`, or a bare `<RFC 3339 timestamp>`. */
export const cursorPattern = '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?([Zz]|[+-]\\d{2}:\\d{2})(#.+)?$';

/** The store digest: 8 hex digits, either case (compared as a number). */
export const digestPattern = '^[0-9a-fA-F]{8}$';

/** The shape of an event-sync client's `snapshot()`. Fields other than these are allowed and ignored. */
export const eventSyncSnapshotSchema = Type.Object(
  {
    syncs: count(
      'Syncs started since the app (this launch) started: a user sync, a queued sync, or an interrupted sync resumed at launch.',
    ),
    completed: count('Syncs completed since the app (this launch) started.'),
    checkpoint: Type.Union([Type.String({ pattern: cursorPattern }), Type.Null()], {
      description:
        'The saved checkpoint exactly as the server handed it out (newCheckpoint, or nextCursor of a last page); null before the first completed sync ever (it survives app restarts).',
    }),
    progress: Type.Union(
      [
        Type.Object(
          {
            processed: count(
              'Events of the current (or last) sync received and dealt with: applied, found already stored, or skipped as invalid.',
            ),
            total: count(
              'Events the current (or last) sync expects in all: processed before plus what the server announced (totalEvents).',
            ),
          },
          { description: 'Progress of the current sync, or of the last one when idle.' },
        ),
        Type.Null(),
      ],
      { description: 'null while no total is known (no sync yet, or a sync before its first start frame or page).' },
    ),
    store: Type.Object(
      {
        count: count('Events in the local store, with multiplicity (an event stored twice counts twice).'),
        digest: Type.String({
          pattern: digestPattern,
          description:
            'Sum modulo 2^32 of the 32-bit FNV-1a hash of the id (UTF-16 code units) of every stored event, with multiplicity, as 8 hex digits.',
        }),
      },
      { description: 'The local store (it survives app restarts).' },
    ),
    skipped: count('Invalid events skipped since the app (this launch) started.'),
    syncing: Type.Optional(Type.Boolean({ description: 'A sync is running (informational: not judged).' })),
    via: Type.Optional(
      Type.Union([Type.Literal('stream'), Type.Literal('rest'), Type.Null()], {
        description: 'How the running sync fetches; null when idle (informational: not judged).',
      }),
    ),
    authError: Type.Optional(
      Type.Boolean({ description: 'A 401 stopped syncing until the user syncs again (informational: not judged).' }),
    ),
  },
  { title: 'EventSyncSnapshot', description: 'What the user of an event-sync client sees: small, whatever the size of the store.' },
);

/** What the user of an event-sync client sees (`snapshot()`), as {@link eventSyncSnapshotSchema} defines it. */
export type EventSyncSnapshot = Static<typeof eventSyncSnapshotSchema>;

/** A snapshot field the checkers read. */
export type SnapshotField = 'syncs' | 'completed' | 'checkpoint' | 'progress' | 'store' | 'skipped';

const expected: Record<SnapshotField, string> = {
  syncs: 'a whole number ≥ 0',
  completed: 'a whole number ≥ 0',
  checkpoint: 'a cursor string or null',
  progress: '{processed, total} (whole numbers ≥ 0) or null',
  store: '{count: a whole number ≥ 0, digest: 8 hex digits}',
  skipped: 'a whole number ≥ 0',
};

const compiled = new Map<SnapshotField, TypeCheck<TSchema>>();

/**
 * Why `field` of a recorded snapshot state breaks the contract (missing, or not of its
 * type), or `undefined` when it is fine. The message names the field, what was expected
 * and what was found.
 */
export function snapshotFieldProblem(state: unknown, field: SnapshotField): string | undefined {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) return `the snapshot is not an object (found ${found(state)})`;
  let check = compiled.get(field);
  if (!check) {
    check = TypeCompiler.Compile(eventSyncSnapshotSchema.properties[field] as TSchema);
    compiled.set(field, check);
  }
  const s = state as Record<string, unknown>;
  if (!(field in s)) return `field "${field}": expected ${expected[field]}, found nothing (the field is missing)`;
  return check.Check(s[field]) ? undefined : `field "${field}": expected ${expected[field]}, found ${found(s[field])}`;
}

function found(v: unknown): string {
  const text = JSON.stringify(v);
  if (text === undefined) return String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
