import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkClient } from '../../../src/conformance/check.js';
import type { ClientFactory } from '../../../src/conformance/driver.js';
import { protocols } from '../../../src/conformance/registry.js';
import { MealLogMachine, type MealLogEvent } from '../../../src/reference/meal-log/client-machine.js';
import { createMealLogClient, type MealLogClientOptions } from '../../../src/reference/meal-log/client.js';
import { mealLogProtocol } from '../../../src/reference/meal-log/index.js';
import type { MealLog } from '../../../src/reference/meal-log/wire.js';

// Clients that differ from the reference in ways the spec permits (docs/protocols/meal-log.md)
// must pass every requirement, MUST and SHOULD alike: a checker that fails one of them is
// tuned to the reference's habits. Each design changes one decision of the reference.

const failureDir = mkdtempSync(join(tmpdir(), 'lockstep-meal-log-designs-'));

/** Connects only when NutritionView appears or a meal is submitted (or the outbox holds one at launch), not at launch. */
class ConnectsOnNeed extends MealLogMachine {
  private needed = false;
  override start(now: number): ReturnType<MealLogMachine['start']> {
    this.needed = this.outbox.length > 0;
    return super.start(now);
  }
  override handle(event: MealLogEvent, now: number): ReturnType<MealLogMachine['handle']> {
    if (event.type === 'open-view' || event.type === 'submit') this.needed = true;
    return super.handle(event, now);
  }
  protected override connect(): void {
    if (this.needed) super.connect();
  }
}

/** Reloads today's meals whenever NutritionView appears, polling or not. */
class ReloadsOnView extends MealLogMachine {
  override handle(event: MealLogEvent, now: number): ReturnType<MealLogMachine['handle']> {
    const cmds = super.handle(event, now);
    if (event.type !== 'open-view' || !this.online) return cmds;
    this.cmds = cmds;
    this.load('launch');
    return this.cmds;
  }
}

/** The document's handleMealLogCompleted: refreshes the listing instead of applying the pushed meal. */
class RefreshesOnPush extends MealLogMachine {
  protected override onNotification(_mealLog: MealLog): void {
    this.load('catch-up');
  }
}

/** Refreshes the listing at once when its socket is lost while a meal is processing. */
class LoadsOnSocketLoss extends MealLogMachine {
  protected override socketFailed(why: string): void {
    super.socketFailed(why);
    if (this.hasProcessing() && this.online) this.load('catch-up');
  }
}

/** Uploads as soon as the socket is open (`isWebSocketConnecting` is over), without waiting for its verification. */
class UploadsOnOpen extends MealLogMachine {
  protected override onOpen(id: number): void {
    super.onOpen(id);
    this.waitUntil.clear();
    this.flushOutbox();
  }
}

/** A timer-driven loop: polls start an interval apart, however long each took. */
class TimerDrivenPolling extends MealLogMachine {
  private startedAt = 0;
  protected override poll(): void {
    this.startedAt = this.now;
    super.poll();
  }
  protected override pollDelay(): number {
    const interval = super.pollDelay();
    return this.polling?.inFlight === undefined && this.startedAt > 0 ? Math.max(0, interval - (this.now - this.startedAt)) : interval;
  }
}

/** Resets its backoff whenever the device comes back online, even with an attempt in flight. */
class ResetsBackoffOnOnline extends MealLogMachine {
  protected override onOnline(): void {
    this.attempts = 0;
    super.onOnline();
  }
}

/** Reconnects at once after a verified socket is lost, then backs off. */
class ImmediateFirstReconnect extends MealLogMachine {
  protected override scheduleReconnect(): void {
    if (this.attempts > 0 || !this.online || !this.wanted) return super.scheduleReconnect();
    this.attempts++;
    this.reconnectPending = true;
    this.cmd({ type: 'set-timer', key: 'reconnect', ms: 0 });
  }
}

/** Randomizes each reconnect delay by ±50 % (jitter), from the simulation's seeded stream. */
function jitteredBackoff(random: () => number): typeof MealLogMachine {
  return class JitteredBackoff extends MealLogMachine {
    protected override scheduleReconnect(): void {
      if (!this.online || !this.wanted) return;
      const b = this.config.backoff;
      const delay = b[Math.min(this.attempts, b.length - 1)]! * (0.5 + random());
      this.attempts++;
      this.reconnectPending = true;
      this.cmd({ type: 'set-timer', key: 'reconnect', ms: Math.round(delay) });
    }
  };
}

const designs: Record<string, ClientFactory> = {
  'connects on need, not at launch': (env) => createMealLogClient(env, { Machine: ConnectsOnNeed }),
  'reloads on every NutritionView': (env) => createMealLogClient(env, { Machine: ReloadsOnView }),
  'refreshes the listing on a push': (env) => createMealLogClient(env, { Machine: RefreshesOnPush }),
  'loads when the socket is lost': (env) => createMealLogClient(env, { Machine: LoadsOnSocketLoss }),
  'uploads once the socket is open': (env) => createMealLogClient(env, { Machine: UploadsOnOpen }),
  'polls on a timer (start to start)': (env) => createMealLogClient(env, { Machine: TimerDrivenPolling }),
  'resets its backoff on coming online': (env) => createMealLogClient(env, { Machine: ResetsBackoffOnOnline }),
  'reconnects at once the first time': (env) => createMealLogClient(env, { Machine: ImmediateFirstReconnect }),
  'jittered backoff': (env) => createMealLogClient(env, { Machine: jitteredBackoff(() => env.random()) }),
  'iOS default request timeout (60 s)': (env) => createMealLogClient(env, { config: { requestTimeout: 60_000 } }),
  'the document\u2019s literal `> 3`': (env) => createMealLogClient(env, { config: { unchangedBeforeGrowth: 4 } }),
  'a slower heartbeat (ping 20 s, pong 10 s)': (env) =>
    createMealLogClient(env, { config: { pingInterval: 20_000, pongTimeout: 10_000 } } satisfies MealLogClientOptions),
};

describe('clients that differ from the reference in ways the spec permits', () => {
  it.each(Object.entries(designs))('%s: passes every requirement over the scenarios and 150 property runs', async (name, factory) => {
    const client = { protocol: mealLogProtocol, factory, name: `design: ${name}` };
    const r = await checkClient(
      { client, runs: Number(process.env.MEAL_LOG_DESIGN_RUNS ?? 150), seed: Number(process.env.MEAL_LOG_DESIGN_SEED ?? 7), failureDir },
      protocols,
    );
    const bad = r.requirements
      .filter((q) => q.subject !== 'server' && (q.verdict === 'fail' || q.verdict === 'non-strict'))
      .map((q) => `${q.id}: ${q.firstFailure?.run} — ${q.firstFailure?.evidence}`);
    expect(bad).toEqual([]);
    expect(r.scenarios.filter((s) => s.stopped || s.error || s.invalidSnapshot !== undefined).map((s) => s.name)).toEqual([]);
    expect(r.exitCode).toBe(0);
  });
});
