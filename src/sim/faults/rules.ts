import type { LinkRules } from '../link-rules.js';
import type { EdgeStatusRule, EdgeTimeoutRule, RefuseRule } from '../server-host.js';
import type { FaultEntry } from './plan.js';

/** The edge rules a server host consults in front of its application (simulated or real). */
export interface EdgeRules {
  refuseRules: RefuseRule[];
  statusRules: EdgeStatusRule[];
  timeoutRules: EdgeTimeoutRule[];
}

/**
 * Installs the rule a windowed network or edge fault stands for (partition, drop,
 * delay-spike, duplicate, ws-intermediary, ws-refuse, http-status, http-timeout) and
 * returns what removes it; `undefined` for kinds that act on connections, nodes or the
 * server instead. The simulated and the real-socket fault engines share it, so an entry
 * means the same rule in virtual and in wall-clock time.
 */
export function installRule(e: FaultEntry, entry: number, net: LinkRules & { pumpAll(): void }, edge: EdgeRules): (() => void) | undefined {
  const add = <R>(list: R[], rule: R, after?: () => void): (() => void) => {
    list.push(rule);
    return () => {
      const i = list.indexOf(rule);
      if (i >= 0) list.splice(i, 1);
      after?.();
    };
  };
  switch (e.kind) {
    case 'partition':
      // Streams stalled by the partition move again once it is gone.
      return add(net.partitions, { entry, node: e.node, direction: e.direction ?? 'both' }, () => net.pumpAll());
    case 'drop':
      return add(net.drops, { entry, node: e.node, direction: e.direction ?? 'both', rate: e.rate });
    case 'delay-spike':
      return add(net.spikes, { entry, node: e.node, direction: e.direction ?? 'both', extra: e.extra });
    case 'duplicate':
      return add(net.duplicates, { entry, node: e.node, direction: 'to-server', rate: e.rate });
    case 'ws-intermediary':
      return add(net.intermediaries, {
        entry,
        node: e.node,
        direction: 'both',
        duplicate: e.duplicate ?? 0,
        reorder: e.reorder ?? 0,
        drop: e.drop ?? 0,
      });
    case 'ws-refuse':
      return add(edge.refuseRules, { entry, node: e.node, path: e.path, status: e.status ?? 503 });
    case 'http-status':
      return add(edge.statusRules, { entry, node: e.node, path: e.path, method: e.method, remaining: e.count, status: e.status });
    case 'http-timeout':
      return add(edge.timeoutRules, {
        entry,
        node: e.node,
        path: e.path,
        method: e.method,
        remaining: e.count,
        phase: e.phase ?? 'request',
      });
    default:
      return undefined;
  }
}
