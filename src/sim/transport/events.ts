/**
 * `CloseEvent` as browsers dispatch it on a WebSocket (Node 20 has no global one).
 */
export class SimCloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: { code?: number; reason?: string; wasClean?: boolean } = {}) {
    super(type);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? '';
    this.wasClean = init.wasClean ?? false;
  }
}

/** The `CloseEvent` constructor client code should see: the platform's when it has one. */
export const CloseEventClass: typeof SimCloseEvent =
  (globalThis as unknown as { CloseEvent?: typeof SimCloseEvent }).CloseEvent ?? SimCloseEvent;

type Listener = EventListenerOrEventListenerObject;

/**
 * An `EventTarget` whose listeners cannot throw into the simulator: as in a browser, an
 * exception in a listener is reported (to the trace, via `report`) and the remaining
 * listeners still run. `on<type>` handler attributes are supported for the given types.
 */
export class GuardedEventTarget extends EventTarget {
  readonly #wrappers = new Map<string, Map<Listener, EventListener>>();
  readonly #handlers = new Map<string, ((ev: Event) => unknown) | null>();

  constructor(
    handlerTypes: readonly string[],
    private readonly report: (error: unknown, type: string) => void,
  ) {
    super();
    for (const type of handlerTypes) {
      this.#handlers.set(type, null);
      super.addEventListener(type, (ev) => {
        const h = this.#handlers.get(type);
        if (typeof h === 'function') this.#invoke(() => h.call(this, ev), type);
      });
    }
  }

  /** @internal reads an `on<type>` attribute. */
  protected getHandler(type: string): ((ev: any) => unknown) | null {
    return this.#handlers.get(type) ?? null;
  }
  /** @internal sets an `on<type>` attribute; non-functions clear it, as in browsers. */
  protected setHandler(type: string, fn: unknown): void {
    this.#handlers.set(type, typeof fn === 'function' ? (fn as (ev: Event) => unknown) : null);
  }

  override addEventListener(type: string, listener: Listener | null, options?: AddEventListenerOptions | boolean): void {
    if (!listener) return;
    const capture = typeof options === 'boolean' ? options : !!options?.capture;
    const key = `${type}\u0000${capture}`;
    let byListener = this.#wrappers.get(key);
    if (!byListener) this.#wrappers.set(key, (byListener = new Map()));
    let wrapper = byListener.get(listener);
    if (!wrapper) {
      wrapper = (ev: Event) => {
        this.#invoke(() => (typeof listener === 'function' ? listener.call(this, ev) : listener.handleEvent(ev)), type);
        if (typeof options === 'object' && options?.once) byListener.delete(listener);
      };
      byListener.set(listener, wrapper);
    }
    super.addEventListener(type, wrapper, options);
  }

  override removeEventListener(type: string, listener: Listener | null, options?: EventListenerOptions | boolean): void {
    if (!listener) return;
    const capture = typeof options === 'boolean' ? options : !!options?.capture;
    const byListener = this.#wrappers.get(`${type}\u0000${capture}`);
    const wrapper = byListener?.get(listener);
    if (!wrapper) return;
    byListener!.delete(listener);
    super.removeEventListener(type, wrapper, options);
  }

  #invoke(fn: () => unknown, type: string): void {
    try {
      const r = fn();
      if (r && typeof (r as Promise<unknown>).then === 'function') {
        (r as Promise<unknown>).then(undefined, (e: unknown) => this.report(e, type));
      }
    } catch (e) {
      this.report(e, type);
    }
  }
}
