import { SimulationStopped } from '../stopped.js';
/**
 * `CloseEvent` as browsers dispatch it on a WebSocket (Node 20 has no global one).
 */
export class SimCloseEvent extends Event {
  /** The close code (1000 normal, 1006 abnormal, ...). */
  readonly code: number;
  /** The close reason the peer sent. */
  readonly reason: string;
  /** Whether the closing handshake completed. */
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
  readonly #handlerTypes: ReadonlySet<string>;
  readonly #handlers = new Map<string, { fn: (ev: Event) => unknown; listener: EventListener }>();

  constructor(
    handlerTypes: readonly string[],
    private readonly report: (error: unknown, type: string) => void,
  ) {
    super();
    this.#handlerTypes = new Set(handlerTypes);
  }

  /** @internal reads an `on<type>` attribute. */
  protected getHandler(type: string): ((ev: any) => unknown) | null {
    return this.#handlers.get(type)?.fn ?? null;
  }
  /**
   * @internal sets an `on<type>` attribute; non-functions clear it, as in browsers. As in
   * the HTML spec, the handler's listener is registered when the attribute first becomes
   * non-null (so it runs in that position among `addEventListener` listeners), keeps its
   * place when replaced, and is removed when cleared.
   */
  protected setHandler(type: string, fn: unknown): void {
    if (!this.#handlerTypes.has(type)) return;
    const current = this.#handlers.get(type);
    if (typeof fn !== 'function') {
      if (current) super.removeEventListener(type, current.listener);
      this.#handlers.delete(type);
      return;
    }
    if (current) {
      current.fn = fn as (ev: Event) => unknown;
      return;
    }
    const entry = {
      fn: fn as (ev: Event) => unknown,
      listener: (ev: Event) => this.#invoke(() => entry.fn.call(this, ev), type),
    };
    this.#handlers.set(type, entry);
    super.addEventListener(type, entry.listener);
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
        (r as Promise<unknown>).then(undefined, (e: unknown) => this.#reportUnlessStopped(e, type));
      }
    } catch (e) {
      this.#reportUnlessStopped(e, type);
    }
  }

  /** A guard or trap that fired inside a listener already stopped the run and traced why: it is not a client error. */
  #reportUnlessStopped(e: unknown, type: string): void {
    if (e instanceof SimulationStopped) return;
    this.report(e, type);
  }
}
