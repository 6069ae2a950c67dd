import type { ClientNode } from '../client-node.js';
import type { Network, HoldRule } from '../network.js';
import type { Scheduler } from '../scheduler.js';
import type { ServerHost } from '../server-host.js';
import type { Trace } from '../trace.js';
import type { WsConnection } from '../transport/ws-connection.js';
import { entryEnd, type FaultEntry, type FaultPlan } from './plan.js';
import { installRule } from './rules.js';
import { appliesTo } from './live-rules.js';
import { startRealWorldFault } from './real-world.js';
import { startStorageFailure } from './storage-failure.js';
import { startTokenExpiry } from './token-expiry.js';

/** What the fault engine acts on. */
export interface FaultTargets {
  scheduler: Scheduler;
  trace: Trace;
  network: Network;
  server: ServerHost;
  registry: Set<WsConnection>;
  nodes: Map<string, ClientNode>;
}

/**
 * Applies a fault plan: each entry starts at its `at` (in plan order for equal times)
 * and windowed entries end after their `duration`. Starts and ends are traced as
 * `fault.start` / `fault.end` with the entry's index.
 */
export function scheduleFaultPlan(plan: FaultPlan, t: FaultTargets): void {
  plan.forEach((entry, index) => {
    t.scheduler.scheduleAt(entry.at, 'sim', 'sim', `fault#${index}`, () => start(entry, index, t));
  });
}

function start(e: FaultEntry, entry: number, t: FaultTargets): void {
  const { network: net, server, scheduler } = t;
  const { kind, at: _at, ...params } = e as FaultEntry & Record<string, unknown>;
  t.trace.record(scheduler.now, 'fault.start', { entry, kind, ...params });
  const until = (undo: () => void): void => {
    const end = entryEnd(e);
    if (end === Infinity) return;
    scheduler.scheduleAt(end, 'sim', 'sim', `fault#${entry}`, () => {
      undo();
      t.trace.record(scheduler.now, 'fault.end', { entry, kind });
    });
  };
  const nodesOf = (node: string | undefined): ClientNode[] =>
    node ? [t.nodes.get(node)].filter((n): n is ClientNode => !!n) : [...t.nodes.values()];
  const connsOf = (node: string | undefined, path: string | undefined): WsConnection[] =>
    [...t.registry].filter(
      (c) =>
        ((c.client !== undefined && !c.clientDone) || (c.server !== undefined && !c.serverDone)) && appliesTo({ node, path }, c),
    );

  const undo = installRule(e, entry, net, server);
  if (undo) return until(undo);
  // Real-world failures of proxies, edges and servers (issue #14): real-world.ts.
  const ends = startRealWorldFault(e, entry, t);
  if (ends) return until(ends);
  switch (e.kind) {
    case 'ws-half-open':
      for (const c of connsOf(e.node, e.path)) c.halfOpen(e.direction ?? 'both');
      return;
    case 'ws-reset':
      for (const c of connsOf(e.node, e.path)) c.reset(`ws-reset (fault entry ${entry})`);
      return;
    case 'server-restart':
      server.restart({ downtime: e.downtime ?? 1000, state: e.state ?? 'keep', closeCode: e.closeCode ?? 1006, entry });
      return;
    case 'client-offline': {
      const affected = nodesOf(e.node).filter((n) => n.online);
      for (const n of affected) {
        n.online = false;
        net.offline.add(n.name);
        for (const fail of [...n.inflight.values()]) {
          fail(
            'offline',
            new TypeError('fetch failed', {
              cause: Object.assign(new Error('network is unreachable (the client went offline)'), { code: 'ENETUNREACH' }),
            }),
          );
        }
        if ((e.sockets ?? 'close') === 'close') {
          for (const c of n.connections()) {
            c.up.dead = true;
            c.down.dead = true;
            c.abortClient('the network went offline');
          }
        }
        n.emit('offline');
      }
      return until(() => {
        for (const n of affected) {
          n.online = true;
          net.offline.delete(n.name);
          n.emit('online');
        }
        net.pumpAll();
      });
    }
    case 'app-background': {
      const affected = nodesOf(e.node).filter((n) => n.foreground);
      const mode = e.timers ?? 'suspend';
      for (const n of affected) {
        n.foreground = false;
        n.emit('background');
        // The app gets its background notification before the OS suspends it.
        scheduler.schedule(0, 'sim', 'sim', `${n.name}/background`, () => {
          if (mode === 'suspend') scheduler.suspend(n.name);
          else scheduler.throttle(n.name, e.throttleMs ?? 60_000);
        });
        if (e.closeSocketsAfter !== undefined) {
          scheduler.schedule(e.closeSocketsAfter, 'sim', 'sim', `${n.name}/background`, () => {
            if (n.foreground) return;
            for (const c of n.connections()) c.osClosed('the OS closed the socket of a backgrounded app');
          });
        }
      }
      return until(() => {
        for (const n of affected) {
          n.foreground = true;
          scheduler.resume(n.name);
          scheduler.throttle(n.name, undefined);
          n.emit('foreground');
        }
      });
    }
    case 'hold': {
      const rule: HoldRule = { entry, name: e.name, node: e.node, match: e.match ?? {}, seen: 0, released: false };
      net.holds.push(rule);
      // A timed hold keeps the envelope `duration` ms from the moment it catches it.
      const d = e.duration;
      if (d !== undefined) rule.onCatch = () => scheduler.schedule(d, 'sim', 'sim', `fault#${entry}`, () => release(rule, t, entry));
      return;
    }
    case 'release': {
      const rule = net.holds.find((h) => h.name === e.name);
      if (rule) release(rule, t, entry);
      return;
    }
    // World conditions (issue #14): storage-failure.ts, token-expiry.ts.
    case 'storage-failure':
      return until(startStorageFailure(e, entry, nodesOf(e.node)));
    case 'token-expiry':
      return startTokenExpiry(e, entry, server);
  }
}

function release(rule: HoldRule, t: FaultTargets, entry: number): void {
  if (rule.released) return;
  rule.released = true;
  t.trace.record(t.scheduler.now, 'net.release', { name: rule.name, entry, id: rule.held?.envelope.id, n: rule.held?.envelope.n });
  rule.held?.release();
}
