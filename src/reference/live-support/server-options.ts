import { describeFound, suggest } from '../../sim/describe.js';

/** A customer the server knows from the start. */
export interface CustomerSeed {
  email: string;
  name?: string;
  /** The dashboard user the customer belongs to. */
  dashboard_user_id: string;
  /** Chat ids of the customer (each seeded with `seedMessages` messages). Default: `chat-<local part>`. */
  chats?: string[];
}

/** Options of the live-support reference server (`server.options` in a scenario). */
export interface LiveServerOptions {
  /** The customers (default: {@link defaultCustomers}, two per dashboard user `agent-1`, `agent-2`). */
  customers?: CustomerSeed[];
  /** Messages each seeded chat starts with (default 2: the customer's, then the agent's answer). */
  seedMessages?: number;
  /** Virtual ms between background broadcasts (default 2000, the source's "Every 2 seconds"). */
  broadcastInterval?: number;
  /** Virtual ms a broadcast takes to query and format the customers before its frames go out (default 20). */
  broadcastCost?: number;
  /**
   * Probability that a broadcast fails (the database query or a subscriber's send raises;
   * default 0.1, drawn from the server's random stream). A failed broadcast sends nothing.
   */
  broadcastFailRate?: number;
  /** Customers per broadcast, most recently active first (default 100, the source's `limit(100)`). */
  broadcastLimit?: number;
  /** Messages per chat in a broadcast, the most recent (default 20). */
  messageLimit?: number;
  /** Accepted dashboard tokens (default: any token starting with `token-`). */
  tokens?: readonly string[];
}

/** The default customers: two dashboard users with two customers each. */
export const defaultCustomers: readonly CustomerSeed[] = [
  { email: 'alice@example.com', name: 'Alice', dashboard_user_id: 'agent-1', chats: ['chat-a1', 'chat-a2'] },
  { email: 'bob@example.com', name: 'Bob', dashboard_user_id: 'agent-1', chats: ['chat-b1'] },
  { email: 'carol@example.com', name: 'Carol', dashboard_user_id: 'agent-2', chats: ['chat-c1', 'chat-c2'] },
  { email: 'dave@example.com', name: 'Dave', dashboard_user_id: 'agent-2', chats: ['chat-d1'] },
];

/** Defaults of {@link LiveServerOptions}. */
export const liveServerDefaults = {
  seedMessages: 2,
  broadcastInterval: 2000,
  broadcastCost: 20,
  broadcastFailRate: 0.1,
  broadcastLimit: 100,
  messageLimit: 20,
  tokenPrefix: 'token-',
} as const;

/** One problem with the options: which field, what was expected, what was found. */
export interface LiveServerOptionProblem {
  field: string;
  expected: string;
  found: string;
}

/** Server options that are not valid; `problems` can be re-rooted by a scenario loader (`server.options.<field>`). */
export class LiveServerOptionsError extends Error {
  override readonly name = 'LiveServerOptionsError';
  constructor(
    readonly source: string,
    readonly problems: LiveServerOptionProblem[],
  ) {
    super(problems.map((p) => `${source}: field "${p.field}": expected ${p.expected}, found ${p.found}`).join('\n'));
  }
}

const optionFields = [
  'customers',
  'seedMessages',
  'broadcastInterval',
  'broadcastCost',
  'broadcastFailRate',
  'broadcastLimit',
  'messageLimit',
  'tokens',
] as const;

const isWhole = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/** Validates live-support server options as a scenario wrote them; reports every problem at once. */
export function parseLiveServerOptions(options: Record<string, unknown>, source: string): LiveServerOptions {
  const problems: LiveServerOptionProblem[] = [];
  const bad = (field: string, expected: string, found: unknown): void => {
    problems.push({ field, expected, found: describeFound(found) });
  };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new LiveServerOptionsError(source, [
      { field: '', expected: `a mapping with ${optionFields.join(', ')}`, found: describeFound(options) },
    ]);
  }
  const out: LiveServerOptions = {};
  for (const k of Object.keys(options)) {
    if ((optionFields as readonly string[]).includes(k)) continue;
    const hint = suggest(k, optionFields);
    bad(k, `one of the live-support server options ${optionFields.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`, options[k]);
  }
  const whole = (
    k: 'seedMessages' | 'broadcastInterval' | 'broadcastCost' | 'broadcastLimit' | 'messageLimit',
    min: number,
    what: string,
  ): void => {
    const v = options[k];
    if (v === undefined) return;
    if (isWhole(v, min)) out[k] = v;
    else bad(k, what, v);
  };
  whole('seedMessages', 0, 'a whole number ≥ 0');
  whole('broadcastInterval', 1, 'a whole number of virtual ms ≥ 1');
  whole('broadcastCost', 0, 'a whole number of virtual ms ≥ 0');
  whole('broadcastLimit', 1, 'a whole number ≥ 1');
  whole('messageLimit', 1, 'a whole number ≥ 1');

  const rate = options.broadcastFailRate;
  if (rate !== undefined) {
    if (typeof rate === 'number' && rate >= 0 && rate <= 1) out.broadcastFailRate = rate;
    else bad('broadcastFailRate', 'a probability between 0 and 1', rate);
  }

  const tokens = options.tokens;
  if (tokens !== undefined) {
    if (!Array.isArray(tokens) || tokens.length === 0) bad('tokens', 'a non-empty list of token strings', tokens);
    else if (tokens.every((t) => typeof t === 'string' && t !== '')) out.tokens = [...(tokens as string[])];
    else tokens.forEach((t, i) => (typeof t !== 'string' || t === '') && bad(`tokens[${i}]`, 'a non-empty string', t));
  }

  const customers = options.customers;
  if (customers !== undefined) {
    if (!Array.isArray(customers)) bad('customers', 'a list of {email, name?, dashboard_user_id, chats?}', customers);
    else {
      const list: CustomerSeed[] = [];
      const emails = new Set<string>();
      const chats = new Set<string>();
      customers.forEach((c: unknown, i: number) => {
        const f = `customers[${i}]`;
        if (c === null || typeof c !== 'object' || Array.isArray(c))
          return bad(f, 'a mapping {email, name?, dashboard_user_id, chats?}', c);
        const r = c as Record<string, unknown>;
        let ok = true;
        for (const k of Object.keys(r)) {
          if (!['email', 'name', 'dashboard_user_id', 'chats'].includes(k)) {
            bad(`${f}.${k}`, 'only email, name, dashboard_user_id, chats', r[k]);
            ok = false;
          }
        }
        if (typeof r.email !== 'string' || !r.email.includes('@')) {
          bad(`${f}.email`, 'an email address', r.email);
          ok = false;
        } else if (emails.has(r.email)) {
          bad(`${f}.email`, 'an email not listed before', r.email);
          ok = false;
        }
        if (r.name !== undefined && typeof r.name !== 'string') {
          bad(`${f}.name`, 'a string', r.name);
          ok = false;
        }
        if (typeof r.dashboard_user_id !== 'string' || r.dashboard_user_id === '') {
          bad(`${f}.dashboard_user_id`, 'a non-empty string (the dashboard user the customer belongs to)', r.dashboard_user_id);
          ok = false;
        }
        if (r.chats !== undefined) {
          if (!Array.isArray(r.chats) || !r.chats.every((x) => typeof x === 'string' && x !== '')) {
            bad(`${f}.chats`, 'a list of chat ids', r.chats);
            ok = false;
          } else {
            for (const x of r.chats as string[]) {
              if (chats.has(x)) {
                bad(`${f}.chats`, `chat ids not used by another customer ("${x}" is)`, r.chats);
                ok = false;
              }
            }
          }
        }
        if (!ok) return;
        emails.add(r.email as string);
        for (const x of (r.chats as string[] | undefined) ?? []) chats.add(x);
        list.push({
          email: r.email as string,
          name: r.name as string | undefined,
          dashboard_user_id: r.dashboard_user_id as string,
          chats: r.chats as string[] | undefined,
        });
      });
      out.customers = list;
    }
  }

  if (problems.length > 0) throw new LiveServerOptionsError(source, problems);
  return out;
}
