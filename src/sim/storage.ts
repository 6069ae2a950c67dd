import type { Scheduler } from './scheduler.js';
import type { Trace } from './trace.js';

/**
 * A client node's persistent key-value storage, shaped like `localStorage`. It survives
 * an app restart (the node's storage outlives the client instance), so outboxes and
 * checkpoints can be tested across crashes. Writes are traced as `storage.set` /
 * `storage.remove` with the key and size.
 */
export class SimStorage {
  private readonly map = new Map<string, string>();
  /** @internal Fault entries of `storage-failure` (mode `quota`) in force: writes throw while any is. */
  readonly quota: number[] = [];
  /** @internal Fault entries of `storage-failure` (mode `lose-on-restart`) waiting for the next app restart. */
  readonly loseOnRestart: number[] = [];

  constructor(
    private readonly node: string,
    private readonly scheduler: Scheduler,
    private readonly trace: Trace,
  ) {}

  /** Number of stored keys. */
  get length(): number {
    return this.map.size;
  }
  /** The stored value, or `null`. */
  getItem(key: string): string | null {
    return this.map.get(String(key)) ?? null;
  }
  /** Stores `value` (converted to a string, as `localStorage` does). */
  setItem(key: string, value: string): void {
    const v = String(value);
    if (this.quota.length > 0) {
      this.trace.record(this.scheduler.now, 'storage.fail', {
        bytes: Buffer.byteLength(v),
        entry: this.quota[0],
        key: String(key),
        node: this.node,
      });
      // What browsers (and Capacitor's web storage) throw when the origin's quota is used up.
      throw new DOMException(
        `Failed to execute 'setItem' on 'Storage': Setting the value of '${String(key)}' exceeded the quota.`,
        'QuotaExceededError',
      );
    }
    this.map.set(String(key), v);
    this.trace.record(this.scheduler.now, 'storage.set', {
      bytes: Buffer.byteLength(v),
      key: String(key),
      node: this.node,
      value: v.length <= 256 ? v : undefined,
    });
  }
  /** Removes a key. */
  removeItem(key: string): void {
    if (this.map.delete(String(key))) this.trace.record(this.scheduler.now, 'storage.remove', { node: this.node, key: String(key) });
  }
  /** Removes every key. */
  clear(): void {
    if (this.map.size === 0) return;
    this.map.clear();
    this.trace.record(this.scheduler.now, 'storage.clear', { node: this.node });
  }
  /** @internal The app restarted: a pending `lose-on-restart` failure wipes what was stored (traced `storage.lost`). */
  restarted(): void {
    const entry = this.loseOnRestart.shift();
    if (entry === undefined) return;
    // One loss per entry: the OS cleared the app's data once, later restarts keep what the app wrote since.
    this.loseOnRestart.length = 0;
    this.trace.record(this.scheduler.now, 'storage.lost', { entry, keys: this.map.size, node: this.node });
    this.map.clear();
  }
  /** The key at position `index` (insertion order), or `null`. */
  key(index: number): string | null {
    return [...this.map.keys()][index] ?? null;
  }
  /** All keys, in insertion order. */
  keys(): string[] {
    return [...this.map.keys()];
  }
}
