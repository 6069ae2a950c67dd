/**
 * Reading what a snapshot shows (docs/protocols/live-support.md, "Snapshot"): the message
 * ids of a widget's view, and the customers of a dashboard with their message ids. A
 * snapshot that does not have the contract's shape shows nothing here; the harness reports
 * the shape itself.
 */

const widgetIds = new WeakMap<object, string[]>();
const dashboardUsers = new WeakMap<object, ShownCustomer[]>();

/** A customer as a dashboard snapshot shows it. */
export interface ShownCustomer {
  email: string;
  ids: string[];
}

/** The message ids a widget snapshot shows (entries without an id are skipped). */
export function shownIds(state: unknown): string[] {
  if (!state || typeof state !== 'object') return [];
  let ids = widgetIds.get(state);
  if (!ids) {
    const list = (state as { messages?: unknown }).messages;
    ids = Array.isArray(list) ? list.map((x) => idOf(x)).filter((x): x is string => x !== undefined) : [];
    widgetIds.set(state, ids);
  }
  return ids;
}

/** The customers a dashboard snapshot shows, with the ids of their messages. */
export function shownUsers(state: unknown): ShownCustomer[] {
  if (!state || typeof state !== 'object') return [];
  let users = dashboardUsers.get(state);
  if (!users) {
    users = [];
    const list = (state as { users?: unknown }).users;
    for (const u of Array.isArray(list) ? list : []) {
      if (!u || typeof u !== 'object' || typeof (u as { email?: unknown }).email !== 'string') continue;
      const r = u as { email: string; chats?: unknown };
      const ids: string[] = [];
      for (const c of Array.isArray(r.chats) ? r.chats : []) {
        const msgs = (c as { messages?: unknown } | null)?.messages;
        for (const x of Array.isArray(msgs) ? msgs : []) {
          const id = idOf(x);
          if (id !== undefined) ids.push(id);
        }
      }
      users.push({ email: r.email, ids });
    }
    dashboardUsers.set(state, users);
  }
  return users;
}

/** A message id as a snapshot lists it: the id itself, or an object with an `id`. */
function idOf(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  const id = (x as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}
