import type { ClientNode } from '../client-node.js';
import type { StorageFailureFault } from './plan.js';

/**
 * Starts a `storage-failure` entry on the affected nodes and returns what lifts it.
 * `quota`: every `setItem` throws a `QuotaExceededError` until the window ends (reads and
 * removals still work, as in a browser whose origin is over its quota). `lose-on-restart`:
 * the next app restart inside the window finds the storage empty, as after the OS cleared
 * the app's data or a private-mode session ended.
 */
export function startStorageFailure(e: StorageFailureFault, entry: number, nodes: ClientNode[]): () => void {
  const lists = nodes.map((n) => (e.mode === 'quota' ? n.storage.quota : n.storage.loseOnRestart));
  for (const list of lists) list.push(entry);
  return () => {
    for (const list of lists) {
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
    }
  };
}

/** Lifts every storage failure of `node` (the heal phase). */
export function healStorage(node: ClientNode): void {
  node.storage.quota.length = 0;
  node.storage.loseOnRestart.length = 0;
}
