import type { ClientEnv } from '../../sim/client-node.js';

/**
 * The timers a reference client's state machine asks for by name (`set-timer` /
 * `cancel-timer` commands): setting a name again replaces its timer; firing hands the
 * name back to the machine.
 */
export class NamedTimers<K extends string = string> {
  private readonly timers = new Map<K, ReturnType<ClientEnv['setTimeout']>>();

  constructor(
    private readonly env: Pick<ClientEnv, 'setTimeout' | 'clearTimeout'>,
    private readonly fire: (key: K) => void,
  ) {}

  /** (Re)starts the timer `key` to fire in `ms`. */
  set(key: K, ms: number): void {
    this.cancel(key);
    this.timers.set(
      key,
      this.env.setTimeout(() => {
        this.timers.delete(key);
        this.fire(key);
      }, ms),
    );
  }

  /** Stops the timer `key`, if it runs. */
  cancel(key: K): void {
    const t = this.timers.get(key);
    if (t !== undefined) this.env.clearTimeout(t);
    this.timers.delete(key);
  }

  /** Stops every timer (the client is disposed). */
  cancelAll(): void {
    for (const t of this.timers.values()) this.env.clearTimeout(t);
    this.timers.clear();
  }
}
