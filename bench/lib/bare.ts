import { realSetImmediate } from './wall-clock.js';

/**
 * The bare baseline: what the two workloads cost with the least machinery that still
 * behaves like the kernel where it matters for timing —
 * - a plain binary heap ordered by (time, insertion sequence);
 * - one real `setImmediate` turn after every event, as the kernel awaits, so that
 *   promise continuations of async clients (fetch → json) run between events;
 * - a direct function-call transport with a fixed 20 ms one-way delay and in-order
 *   socket streams, so it executes the same number of events as the kernel.
 * No trace, no link model (loss, faults, bandwidth), no guards, no real `Response` or
 * `MessageEvent` objects.
 */

/** One-way delay, ms: the kernel's default link. */
export const BARE_LATENCY = 20;

interface BareTask {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A binary-heap event queue on virtual time. */
export class BareScheduler {
  now = 0;
  executed = 0;
  errors = 0;
  private heap: BareTask[] = [];
  private seq = 0;

  scheduleAt(at: number, fn: () => void): BareTask {
    const task: BareTask = { at: Math.max(at, this.now), seq: this.seq++, fn, cancelled: false };
    const h = this.heap;
    let i = h.length;
    h.push(task);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (parent.at < task.at || (parent.at === task.at && parent.seq < task.seq)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = task;
    return task;
  }

  schedule(delay: number, fn: () => void): BareTask {
    return this.scheduleAt(this.now + Math.max(0, delay), fn);
  }

  /** Runs every event due up to `until` (Infinity: until the queue is empty). */
  async runUntil(until: number): Promise<void> {
    for (;;) {
      const task = this.heap[0];
      if (!task || task.at > until) break;
      this.pop();
      if (task.cancelled) continue;
      this.now = task.at;
      this.executed++;
      try {
        task.fn();
      } catch {
        this.errors++;
      }
      await new Promise<void>((resolve) => realSetImmediate(resolve));
    }
    if (until !== Infinity) this.now = Math.max(this.now, until);
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    const n = h.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && (h[r]!.at < h[l]!.at || (h[r]!.at === h[l]!.at && h[r]!.seq < h[l]!.seq))) c = r;
      const child = h[c]!;
      if (last.at < child.at || (last.at === child.at && last.seq < child.seq)) break;
      h[i] = child;
      i = c;
    }
    h[i] = last;
  }
}

/** A timer handle. */
export interface BareTimer {
  task: BareTask | undefined;
  stopped: boolean;
}

/** `setTimeout`/`setInterval` on a bare scheduler. */
export function bareTimers(s: BareScheduler) {
  return {
    setTimeout(fn: () => void, ms = 0): BareTimer {
      const t: BareTimer = { task: undefined, stopped: false };
      t.task = s.schedule(ms, fn);
      return t;
    },
    setInterval(fn: () => void, ms = 0): BareTimer {
      const t: BareTimer = { task: undefined, stopped: false };
      const fire = (): void => {
        t.task = s.schedule(Math.max(ms, 1), fire);
        fn();
      };
      t.task = s.schedule(ms, fire);
      return t;
    },
    clear(t: BareTimer | undefined): void {
      if (!t) return;
      t.stopped = true;
      if (t.task) t.task.cancelled = true;
    },
  };
}

/** What a bare server answers. */
export interface BareHttpResponse {
  status: number;
  body: string;
}

/** The server end of a bare socket. */
export interface BareServerSocket {
  send(data: string): void;
}

/** A bare server application. */
export interface BareServerApp {
  http?(req: { method: string; path: string }): BareHttpResponse;
  /** Return an HTTP status to refuse the upgrade. */
  upgrade?(path: string): number | void;
  connection?(socket: BareServerSocket): void;
}

/** The `Response` subset polling clients use. */
export class BareResponse {
  constructor(
    readonly status: number,
    private readonly body: string,
  ) {}
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  text(): Promise<string> {
    return Promise.resolve(this.body);
  }
  json(): Promise<unknown> {
    return Promise.resolve(this.body).then((b) => JSON.parse(b) as unknown);
  }
}

type Handler = ((ev: any) => unknown) | null;

/** A bare `WebSocket`: in-order delivery both ways, 20 ms each way, plain event objects. */
export class BareWebSocket {
  readyState = 0;
  onopen: Handler = null;
  onmessage: Handler = null;
  onerror: Handler = null;
  onclose: Handler = null;
  private downAt = 0;
  private upAt = 0;
  private server: ((data: string) => void) | undefined;

  constructor(
    readonly url: string,
    private readonly s: BareScheduler,
    private readonly app: BareServerApp,
  ) {
    s.schedule(BARE_LATENCY, () => this.upgrade());
  }

  private upgrade(): void {
    const status = this.app.upgrade?.(this.url) ?? (this.app.connection ? undefined : 404);
    if (typeof status === 'number') {
      this.toClient(() => {
        this.readyState = 3;
        this.onerror?.({ type: 'error' });
        this.onclose?.({ type: 'close', code: 1006, reason: '', wasClean: false });
      });
      return;
    }
    this.toClient(() => {
      this.readyState = 1;
      this.onopen?.({ type: 'open' });
    });
    this.app.connection?.({ send: (data) => this.toClient(() => this.readyState === 1 && this.onmessage?.({ type: 'message', data })) });
  }

  /** Server → client, in order. */
  private toClient(fn: () => void): void {
    const at = Math.max(this.s.now + BARE_LATENCY, this.downAt);
    this.downAt = at;
    this.s.scheduleAt(at, fn);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    const at = Math.max(this.s.now + BARE_LATENCY, this.upAt);
    this.upAt = at;
    this.s.scheduleAt(at, () => this.server?.(data));
  }

  close(): void {
    this.readyState = 3;
  }
}

/** A client world on a bare scheduler. */
export interface BareEnv extends ReturnType<typeof bareTimers> {
  fetch(url: string, init?: { method?: string }): Promise<BareResponse>;
  WebSocket: new (url: string) => BareWebSocket;
}

/** A client world on a bare scheduler: timers, `fetch` and a `WebSocket` class, all direct calls. */
export function bareEnv(s: BareScheduler, app: BareServerApp): BareEnv {
  const timers = bareTimers(s);

  const fetch = (url: string, init?: { method?: string }): Promise<BareResponse> =>
    new Promise<BareResponse>((resolve) => {
      const path = url.split('?')[0]!;
      const method = init?.method ?? 'GET';
      s.schedule(BARE_LATENCY, () => {
        const res = app.http ? app.http({ method, path }) : { status: 404, body: '' };
        s.schedule(BARE_LATENCY, () => resolve(new BareResponse(res.status, res.body)));
      });
    });

  const WebSocket = class extends BareWebSocket {
    constructor(url: string) {
      super(url, s, app);
    }
  };

  return { ...timers, fetch, WebSocket };
}
