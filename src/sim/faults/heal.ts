import type { Simulation } from '../simulation.js';
import { liveRules } from './live-rules.js';
import { healStorage } from './storage-failure.js';

/**
 * Lifts every fault in force: partitions, loss, delay spikes, duplication, refusals,
 * edge statuses and timeouts, held envelopes, offline devices, backgrounded apps and
 * failing storage (expired credentials stay expired).
 * Connections that a fault already broke (half-open, reset) stay broken — noticing that
 * is the client's job. Traced as `sim.heal`. Liveness requirements are judged after a
 * heal phase that starts here.
 */
export function healAll(sim: Simulation): void {
  const { network: net, server, scheduler, trace } = sim;
  trace.record(scheduler.now, 'sim.heal', {});
  net.partitions.length = 0;
  net.drops.length = 0;
  net.spikes.length = 0;
  net.duplicates.length = 0;
  net.intermediaries.length = 0;
  server.statusRules.length = 0;
  server.timeoutRules.length = 0;
  server.refuseRules.length = 0;
  // idle-timeout, flapping, message-too-big, slow-consumer, request-reset, bad-body, retry-after.
  liveRules(net).clear();
  for (const h of net.holds) {
    if (h.released) continue;
    h.released = true;
    trace.record(scheduler.now, 'net.release', {
      name: h.name,
      entry: h.entry,
      id: h.held?.envelope.id,
      n: h.held?.envelope.n,
      heal: true,
    });
    h.held?.release();
  }
  for (const name of sim.clientNames()) {
    const n = sim.node(name);
    healStorage(n);
    if (!n.online) {
      n.online = true;
      net.offline.delete(name);
      n.emit('online');
    }
    if (!n.foreground) {
      n.foreground = true;
      scheduler.resume(name);
      scheduler.throttle(name, undefined);
      n.emit('foreground');
    }
  }
  net.pumpAll();
}
