import { entryEnd, type FaultEntry, type FaultPlan } from '../sim/faults/plan.js';
import { installRule } from '../sim/faults/rules.js';
import { pathMatches, type HoldRule } from '../sim/network.js';
import type { Trace } from '../sim/trace.js';
import { hostTimers, type WallClock } from './clock.js';
import type { RealServerHost } from './host.js';
import type { RealNetwork } from './network.js';
import { startRealWorldFaultReal } from './real-world.js';
import type { RealWsConnection } from './ws-connection.js';

/**
 * Fault kinds that real-socket mode cannot realise, and why. Everything else means on
 * real sockets what it means in the simulator (docs/real-socket-mode.md), with one more
 * condition per entry: {@link unrealisableEntry}.
 */
export const unrealisable: Partial<Record<FaultEntry['kind'], string>> = {
  'app-background':
    "it suspends or throttles the app's timers, which only the device can do; background the app yourself during the run, or leave the entry out",
  'storage-failure':
    "the client's storage belongs to its own process or device, which lockstep cannot reach: fill its quota or clear the app's data there, or test it in the simulator",
};

/** Why one entry cannot be applied over real sockets (its kind, or a field of it), if it cannot. */
export function unrealisableEntry(e: FaultEntry): string | undefined {
  const why = unrealisable[e.kind];
  if (why) return why;
  if (e.kind === 'message-too-big' && (e.direction ?? 'both') !== 'to-server')
    return `direction ${e.direction ?? 'both'}${e.direction ? '' : ' (the default)'} includes the client's own limit, which only its WebSocket implementation enforces (URLSessionWebSocketTask.maximumMessageSize, OkHttp's 16 MiB, a browser's none): write direction: to-server for the server's limit, which the layer applies`;
  return undefined;
}

/** Problems of a fault plan for real-socket mode: one line per entry that cannot be realised. */
export function realFaultProblems(plan: FaultPlan, source: string): string[] {
  const out: string[] = [];
  plan.forEach((e, i) => {
    const why = unrealisableEntry(e);
    if (why) out.push(`${source}: entry ${i} (${e.kind}): cannot be applied over real sockets: ${why}`);
  });
  return out;
}

/**
 * Problems of a whole scenario for real-socket mode: its fault plan's
 * ({@link realFaultProblems}), and a `clock` — a real client reads its device's own clock
 * and zone, which lockstep cannot skew or move. (`start` is honoured: it is the server's
 * clock.)
 */
export function realScenarioProblems(sc: { faults: FaultPlan; clock?: unknown }, source: string): string[] {
  const out = realFaultProblems(sc.faults, `${source}: faults`);
  if (sc.clock !== undefined)
    out.push(
      `${source}: clock: cannot be applied over real sockets: a real client reads its device's own clock and time zone, which lockstep cannot skew or change; set the device's clock and zone yourself (and leave clock out), or test it in the simulator`,
    );
  return out;
}

/** What the fault engine acts on. */
export interface RealFaultTargets {
  clock: WallClock;
  trace: Trace;
  net: RealNetwork;
  host: RealServerHost;
}

/**
 * Applies a fault plan in wall-clock time: each entry at `at` ms after the run started (in
 * plan order for equal times), windowed entries until `at + duration`, traced as
 * `fault.start` / `fault.end` — the kernel's fault engine, on the real clock.
 */
export class RealFaultEngine {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly ends = new Set<ReturnType<typeof setTimeout>>();
  private readonly order: { entry: FaultEntry; index: number }[];
  private nextIndex = 0;
  private stopped = false;

  constructor(
    plan: FaultPlan,
    private readonly t: RealFaultTargets,
  ) {
    this.order = plan.map((entry, index) => ({ entry, index })).sort((a, b) => a.entry.at - b.entry.at || a.index - b.index);
  }

  /** Starts applying the plan (call when the run's clock starts). */
  start(): void {
    this.arm();
  }

  /** Stops: no entry starts or ends any more. */
  stop(): void {
    this.stopped = true;
    this.t.net.live.clear();
    hostTimers.clearTimeout(this.timer);
    for (const h of this.ends) hostTimers.clearTimeout(h);
    this.ends.clear();
  }

  private arm(): void {
    hostTimers.clearTimeout(this.timer);
    const next = this.order[this.nextIndex];
    if (!next || this.stopped) return;
    this.timer = hostTimers.setTimeout(() => this.fire(), next.entry.at - this.t.clock.now());
  }

  private fire(): void {
    const now = this.t.clock.now() + 1;
    while (!this.stopped && this.nextIndex < this.order.length && this.order[this.nextIndex]!.entry.at <= now) {
      const { entry, index } = this.order[this.nextIndex++]!;
      this.apply(entry, index);
    }
    this.arm();
  }

  private at(ms: number, fn: () => void): void {
    const h = hostTimers.setTimeout(() => {
      this.ends.delete(h);
      if (!this.stopped) fn();
    }, ms - this.t.clock.now());
    this.ends.add(h);
  }

  private conns(node: string | undefined, path: string | undefined): RealWsConnection[] {
    return [...this.t.host.conns].filter(
      (c) =>
        (!c.clientDone || (c.server !== undefined && !c.serverDone)) &&
        (node === undefined || c.node === node) &&
        (path === undefined || pathMatches(path, c.path)),
    );
  }

  private apply(e: FaultEntry, entry: number): void {
    const { net, host, trace, clock } = this.t;
    const { kind, at: _at, ...params } = e as FaultEntry & Record<string, unknown>;
    trace.record(clock.now(), 'fault.start', { entry, kind, ...params });
    const until = (undo: () => void): void => {
      const end = entryEnd(e);
      if (end === Infinity) return;
      this.at(end, () => {
        undo();
        trace.record(clock.now(), 'fault.end', { entry, kind });
      });
    };
    const undo = installRule(e, entry, net, host);
    if (undo) return until(undo);
    const ends = startRealWorldFaultReal(e, entry, this.t);
    if (ends) return until(ends);
    switch (e.kind) {
      case 'ws-half-open':
        for (const c of this.conns(e.node, e.path)) c.halfOpen(e.direction ?? 'both');
        return;
      case 'ws-reset':
        for (const c of this.conns(e.node, e.path)) c.reset(`ws-reset (fault entry ${entry})`);
        return;
      case 'server-restart':
        host.restart({ downtime: e.downtime ?? 1000, state: e.state ?? 'keep', closeCode: e.closeCode ?? 1006, entry });
        return;
      case 'client-offline': {
        // The device's own offline/online events cannot be produced from here: the client
        // sees what an unreachable network looks like (requests fail at once, sockets die
        // or stall), and the server learns nothing.
        const nodes = e.node ? [e.node] : undefined;
        const affected = (n: string): boolean => !nodes || nodes.includes(n);
        const added: string[] = [];
        for (const n of nodesOf(host, e.node)) {
          if (net.offline.has(n)) continue;
          host.setOffline(n, true);
          added.push(n);
        }
        for (const x of [...host.exchanges]) if (affected(x.node)) host.offline(x);
        if ((e.sockets ?? 'close') === 'close')
          for (const c of this.conns(e.node, undefined)) if (!c.clientDone) c.offline('the network went offline');
        return until(() => {
          for (const n of added) host.setOffline(n, false);
          net.pumpAll();
        });
      }
      case 'token-expiry':
        host.expireCredentials(e, entry);
        return;
      case 'app-background':
      case 'storage-failure':
        // Rejected before the run (realFaultProblems); never reached.
        return;
      case 'hold': {
        const rule: HoldRule = { entry, name: e.name, node: e.node, match: e.match ?? {}, seen: 0, released: false };
        net.holds.push(rule);
        const d = e.duration;
        if (d !== undefined) rule.onCatch = () => this.at(clock.now() + d, () => release(rule, this.t, entry));
        return;
      }
      case 'release': {
        const rule = net.holds.find((h) => h.name === e.name);
        if (rule) release(rule, this.t, entry);
        return;
      }
    }
  }
}

/** Client nodes a node-less entry applies to: those seen so far, or the given one. */
function nodesOf(host: RealServerHost, node: string | undefined): string[] {
  if (node !== undefined) return [node];
  return [...host.knownNodes];
}

function release(rule: HoldRule, t: RealFaultTargets, entry: number): void {
  if (rule.released) return;
  rule.released = true;
  t.trace.record(t.clock.now(), 'net.release', { name: rule.name, entry, id: rule.held?.envelope.id, n: rule.held?.envelope.n });
  rule.held?.release();
}

/**
 * Lifts every fault in force, as the kernel's `healAll` does: partitions, loss, spikes,
 * duplication, intermediaries, edge statuses, timeouts and refusals, the real-world kinds,
 * held envelopes and offline devices (expired credentials stay expired). Connections a fault already broke stay broken. Traced as `sim.heal`.
 */
export function healAllReal(t: RealFaultTargets): void {
  const { net, host, trace, clock } = t;
  trace.record(clock.now(), 'sim.heal', {});
  net.partitions.length = 0;
  net.drops.length = 0;
  net.spikes.length = 0;
  net.duplicates.length = 0;
  net.intermediaries.length = 0;
  host.statusRules.length = 0;
  host.timeoutRules.length = 0;
  host.refuseRules.length = 0;
  // idle-timeout, flapping, message-too-big, slow-consumer, request-reset, bad-body, retry-after.
  net.live.clear();
  for (const h of net.holds) {
    if (h.released) continue;
    h.released = true;
    trace.record(clock.now(), 'net.release', { name: h.name, entry: h.entry, id: h.held?.envelope.id, n: h.held?.envelope.n, heal: true });
    h.held?.release();
  }
  for (const n of [...net.offline]) host.setOffline(n, false);
  net.pumpAll();
}
