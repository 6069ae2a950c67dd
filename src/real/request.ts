import type { IncomingMessage } from 'node:http';

/** A request's headers as fetch's `Headers` (values it refuses are left out). */
export function headersOf(req: IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    try {
      h.set(k, Array.isArray(v) ? v.join(', ') : v);
    } catch {
      // a header value fetch's Headers refuses: leave it out
    }
  }
  return h;
}

function bearer(headers: Headers): string | undefined {
  const auth = headers.get('authorization');
  if (auth && /^bearer\s/i.test(auth)) return auth.slice(7).trim() || undefined;
  return undefined;
}

/** The token a request carries: `Authorization: Bearer …`, else `?token=` / `?access_token=`. */
export function tokenOf(headers: Headers, url: URL | undefined): string | undefined {
  return bearer(headers) ?? url?.searchParams.get('token') ?? url?.searchParams.get('access_token') ?? undefined;
}

/**
 * Every token a request presents, wherever it carries one (a protocol may read the
 * header for REST and the query for its socket): all of them must belong to the run.
 */
export function presentedTokens(headers: Headers, url: URL): string[] {
  const out: string[] = [];
  const b = bearer(headers);
  if (b !== undefined) out.push(b);
  for (const name of ['token', 'access_token']) for (const v of url.searchParams.getAll(name)) out.push(v);
  return out;
}

/**
 * Parses a request target against `base`. A target with malformed percent-encoding (`%ZZ`,
 * `%E0%A4` cut short — anything `decodeURIComponent` refuses) or one the URL parser
 * refuses (`//host:99999`) is the client's error: the problem, for a 400, instead of a
 * URL that would make the application throw.
 */
export function parseTarget(target: string | undefined, base: string): { url: URL } | { problem: string } {
  const raw = target ?? '/';
  const shown = raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
  try {
    decodeURIComponent(raw);
  } catch {
    const at = /%(?![0-9a-fA-F]{2})/.exec(raw)?.index;
    return {
      problem: `malformed percent-encoding in the request target ${JSON.stringify(shown)}${at !== undefined ? ` at character ${at}` : ''}: expected %XX with two hex digits forming UTF-8`,
    };
  }
  try {
    return { url: new URL(raw, base) };
  } catch {
    return { problem: `the request target ${JSON.stringify(shown)} is not a valid URL path` };
  }
}
