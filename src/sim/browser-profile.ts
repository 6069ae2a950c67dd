import type { ClientEnv } from './client-node.js';

/** The browser stand-ins of one app incarnation (the "browser profile" of `--globals`). */
export interface BrowserWorld {
  /** Where `window.addEventListener('online' | 'offline', …)` listeners live. */
  readonly window: EventTarget;
  /** `document`: `visibilityState`, `hidden`, `visibilitychange` events. */
  readonly document: EventTarget & { readonly visibilityState: 'visible' | 'hidden'; readonly hidden: boolean; cookie: string };
  /** `navigator.onLine`, `userAgent`, `language`. */
  readonly navigator: { readonly onLine: boolean; readonly userAgent: string; readonly language: string; readonly languages: readonly string[] };
  /** `location`: the simulated server's origin, as a page served from it sees it. */
  readonly location: Location;
  /** `localStorage` over the node's storage (survives app restarts, storage faults apply). */
  readonly localStorage: Storage;
  /** `sessionStorage`: this incarnation's own, in memory (an app restart is a new session). */
  readonly sessionStorage: Storage;
}

/**
 * Builds the browser globals of one incarnation from its `env`: the node's online state
 * and lifecycle become `navigator.onLine` with `online`/`offline` events on `window`, and
 * background/foreground become `document.visibilityState` with `visibilitychange` (fired
 * at `document`, bubbling to `window`, as browsers do).
 */
export function browserProfile(env: ClientEnv): BrowserWorld {
  const win = new EventTarget();
  const doc = Object.assign(new EventTarget(), { cookie: '' });
  Object.defineProperties(doc, {
    visibilityState: { get: () => (env.isForeground() ? 'visible' : 'hidden'), enumerable: true },
    hidden: { get: () => !env.isForeground(), enumerable: true },
  });
  for (const type of ['online', 'offline'] as const) env.lifecycle.addEventListener(type, () => win.dispatchEvent(new Event(type)));
  for (const type of ['background', 'foreground'] as const) {
    env.lifecycle.addEventListener(type, () => {
      doc.dispatchEvent(new Event('visibilitychange'));
      win.dispatchEvent(new Event('visibilitychange'));
    });
  }
  const navigator = {
    get onLine() {
      return env.isOnline();
    },
    userAgent: 'lockstep (simulated browser)',
    language: 'en-US',
    languages: ['en-US'],
  };
  return {
    window: win,
    document: doc as BrowserWorld['document'],
    navigator,
    location: locationOf(env.baseUrl),
    localStorage: storageApi(env.storage),
    sessionStorage: storageApi(memoryStorage()),
  };
}

/** The Storage methods a backing store must have (SimStorage has them). */
interface Backing {
  readonly length: number;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  clear(): void;
  key(index: number): string | null;
}

const storageMethods = new Set(['getItem', 'setItem', 'removeItem', 'clear', 'key', 'length']);

/** Web Storage semantics over `backing`, including named access (`localStorage.token = 'x'`). */
function storageApi(backing: Backing): Storage {
  const api = {
    get length() {
      return backing.length;
    },
    getItem: (k: string) => backing.getItem(String(k)),
    setItem: (k: string, v: string) => backing.setItem(String(k), String(v)),
    removeItem: (k: string) => backing.removeItem(String(k)),
    clear: () => backing.clear(),
    key: (i: number) => backing.key(Number(i)),
  };
  const keys = (): string[] => Array.from({ length: backing.length }, (_, i) => backing.key(i)!);
  return new Proxy(api as Storage, {
    get: (t, k) => (typeof k === 'symbol' || storageMethods.has(k) ? Reflect.get(t, k) : (backing.getItem(k) ?? undefined)),
    set: (t, k, v) => {
      if (typeof k === 'symbol' || storageMethods.has(k)) return false;
      backing.setItem(k, String(v));
      return true;
    },
    has: (_t, k) => typeof k === 'string' && (storageMethods.has(k) || backing.getItem(k) !== null),
    deleteProperty: (_t, k) => {
      if (typeof k === 'string') backing.removeItem(k);
      return true;
    },
    ownKeys: () => keys(),
    getOwnPropertyDescriptor: (_t, k) =>
      typeof k === 'string' && backing.getItem(k) !== null ? { value: backing.getItem(k), writable: true, enumerable: true, configurable: true } : undefined,
  });
}

function memoryStorage(): Backing {
  const map = new Map<string, string>();
  return {
    get length() {
      return map.size;
    },
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
    clear: () => map.clear(),
    key: (i) => [...map.keys()][i] ?? null,
  };
}

function locationOf(base: string): Location {
  const u = new URL('/', base);
  const fields = { href: u.href, origin: u.origin, protocol: u.protocol, host: u.host, hostname: u.hostname, port: u.port, pathname: u.pathname, search: '', hash: '' };
  return {
    ...fields,
    ancestorOrigins: [] as unknown as DOMStringList,
    assign: () => {},
    reload: () => {},
    replace: () => {},
    toString: () => u.href,
  } as Location;
}
