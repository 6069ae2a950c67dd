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
  /** The key at position `index` (insertion order), or `null`. */
  key(index: number): string | null {
    return [...this.map.keys()][index] ?? null;
  }
  /** All keys, in insertion order. */
  keys(): string[] {
    return [...this.map.keys()];
  }
}
