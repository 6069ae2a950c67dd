/** A request as the simulated server sees it: cheap to build, convertible to a real `Request`. */
export class SimHttpRequest {
  /** Parsed URL (the simulated origin, path and query). */
  readonly url: URL;
  constructor(
    /** Exchange id, `c1/http#3`. */
    readonly id: string,
    /** The client node that sent it. */
    readonly node: string,
    /** The HTTP method (`GET`, `POST`). */
    readonly method: string,
    url: string | URL,
    /** The request headers. */
    readonly headers: Headers,
    /** The body as text (`''` when there is none). */
    readonly body: string,
    /** True for the second copy a retrying proxy delivered. */
    readonly duplicate = false,
  ) {
    this.url = typeof url === 'string' ? new URL(url) : url;
  }
  /** The path without the query string. */
  get path(): string {
    return this.url.pathname;
  }
  /** Query parameters. */
  get query(): URLSearchParams {
    return this.url.searchParams;
  }
  /** The bearer token from `Authorization: Bearer …`, or the `token` query parameter. */
  get token(): string | undefined {
    const auth = this.headers.get('authorization');
    if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
    return this.url.searchParams.get('token') ?? undefined;
  }
  /** The body parsed as JSON; throws a `SyntaxError` naming the request when it is not JSON. */
  json<T = unknown>(): T {
    try {
      return JSON.parse(this.body) as T;
    } catch (e) {
      throw new SyntaxError(`${this.method} ${this.path} (${this.id}): body is not JSON: ${(e as Error).message}`);
    }
  }
  /** A real fetch `Request` with the same method, URL, headers and body (for msw handlers). */
  toRequest(): Request {
    const hasBody = this.method !== 'GET' && this.method !== 'HEAD' && this.body !== '';
    return new Request(this.url, { method: this.method, headers: this.headers, body: hasBody ? this.body : null });
  }
}

/** What a simulated server answers. An object `body` is sent as JSON. */
export interface SimHttpResponse {
  /** The HTTP status. */
  status: number;
  /** Response headers. */
  headers?: Record<string, string>;
  /** The body: text, or an object sent as JSON. */
  body?: string | object | null;
}

/** Builds a JSON response. */
export function jsonResponse(status: number, body: unknown, headers?: Record<string, string>): SimHttpResponse {
  return { status, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } };
}

/** Serializes a server response body to text. */
export function responseBodyText(r: SimHttpResponse): string {
  if (r.body === undefined || r.body === null) return '';
  return typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
}

/** Status texts for the statuses simulations commonly produce. */
export const statusText: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
