import { describeFound, suggest } from '../../sim/describe.js';

/** How long the AI responder "thinks" before it answers: fixed ms, or drawn uniformly from `[min, max]`. */
export type AiDelay = number | { min: number; max: number };

/** Options of the chat reference server (`server.options` in a scenario). */
export interface ChatServerOptions {
  /** AI processing time in virtual ms (default 2000, the source's "[2000ms] AI processing"). */
  aiDelay?: AiDelay;
  /** Virtual ms from which every token is rejected with 401 and open sockets are closed with 4001. */
  revokeAt?: number;
  /** Accepted tokens (default: any token starting with `token-`). */
  tokens?: readonly string[];
}

/** Defaults of {@link ChatServerOptions}. */
export const chatServerDefaults = { aiDelay: 2000, tokenPrefix: 'token-' } as const;

/** One problem with the options: which field, what was expected, what was found. */
export interface ChatServerOptionProblem {
  /** The field inside the options (`aiDelay.min`, `tokens[2]`). */
  field: string;
  expected: string;
  found: string;
}

/**
 * Server options that are not valid. `problems` has the same shape as a scenario's
 * problems, so a scenario loader can re-root the fields (`server.options.<field>`).
 */
export class ChatServerOptionsError extends Error {
  override readonly name = 'ChatServerOptionsError';
  constructor(
    readonly source: string,
    readonly problems: ChatServerOptionProblem[],
  ) {
    super(problems.map((p) => `${source}: field "${p.field}": expected ${p.expected}, found ${p.found}`).join('\n'));
  }
}

const optionFields = ['aiDelay', 'revokeAt', 'tokens'] as const;

const isWholeMs = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * Validates chat server options as a scenario wrote them. Reports every problem at once
 * in a {@link ChatServerOptionsError}; `source` names where the options came from.
 */
export function parseChatServerOptions(options: Record<string, unknown>, source: string): ChatServerOptions {
  const problems: ChatServerOptionProblem[] = [];
  const bad = (field: string, expected: string, found: unknown): void => {
    problems.push({ field, expected, found: describeFound(found) });
  };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ChatServerOptionsError(source, [
      { field: '', expected: `a mapping with ${optionFields.join(', ')}`, found: describeFound(options) },
    ]);
  }
  const out: { aiDelay?: AiDelay; revokeAt?: number; tokens?: string[] } = {};
  for (const k of Object.keys(options)) {
    if ((optionFields as readonly string[]).includes(k)) continue;
    const hint = suggest(k, optionFields);
    bad(k, `one of the chat server options ${optionFields.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`, options[k]);
  }

  const aiDelay = options.aiDelay;
  if (aiDelay !== undefined) {
    if (isWholeMs(aiDelay)) out.aiDelay = aiDelay;
    else if (aiDelay !== null && typeof aiDelay === 'object' && !Array.isArray(aiDelay)) {
      const r = aiDelay as Record<string, unknown>;
      let ok = true;
      for (const k of Object.keys(r)) {
        if (k !== 'min' && k !== 'max') {
          bad(`aiDelay.${k}`, 'only "min" and "max"', r[k]);
          ok = false;
        }
      }
      for (const k of ['min', 'max'] as const) {
        if (!isWholeMs(r[k])) {
          bad(`aiDelay.${k}`, 'a whole number of ms ≥ 0', r[k]);
          ok = false;
        }
      }
      if (ok && (r.min as number) > (r.max as number)) {
        bad('aiDelay.max', `a number ≥ aiDelay.min (${r.min as number})`, r.max);
        ok = false;
      }
      if (ok) out.aiDelay = { min: r.min as number, max: r.max as number };
    } else bad('aiDelay', 'a whole number of ms ≥ 0, or a mapping {min, max} of such numbers', aiDelay);
  }

  const revokeAt = options.revokeAt;
  if (revokeAt !== undefined) {
    if (isWholeMs(revokeAt)) out.revokeAt = revokeAt;
    else bad('revokeAt', 'a whole number of virtual ms ≥ 0', revokeAt);
  }

  const tokens = options.tokens;
  if (tokens !== undefined) {
    if (!Array.isArray(tokens) || tokens.length === 0) bad('tokens', 'a non-empty list of token strings', tokens);
    else {
      let ok = true;
      tokens.forEach((t, i) => {
        if (typeof t !== 'string' || t === '') {
          bad(`tokens[${i}]`, 'a non-empty string', t);
          ok = false;
        }
      });
      if (ok) out.tokens = [...(tokens as string[])];
    }
  }

  if (problems.length > 0) throw new ChatServerOptionsError(source, problems);
  return out;
}
