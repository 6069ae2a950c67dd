import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ResolvedScenario } from '../scenario.js';
import { limitFlags, type IsolationLimits } from './limits.js';
import { board, type ClientFault, type FromWorker, type RunSummary, type ToWorker } from './messages.js';

/** What a {@link RunPool} runs: one client of one protocol, as `lockstep check` names them. */
export interface PoolOptions {
  /** Worker threads (at least 1). */
  size: number;
  /** The protocol's name. */
  protocol: string;
  /** The client as `--client` takes it: `reference`, `zoo:<p>/<v>` or a module path. */
  client: string;
  /** How messages name the client (default: `client`). */
  label?: string;
  /** Install the simulated world as globals in the workers. */
  globals: boolean;
  /** `--server-module`: msw handlers in front of each run's server, loaded by each worker itself. */
  serverModule?: string;
  /** When to take control back from the client. */
  limits: IsolationLimits;
}

/** The client could not be set up in a worker (bad module, unknown variant): bad input. */
export class PoolStartError extends Error {
  /** The error name. */
  override readonly name = 'PoolStartError';
}

interface Job {
  scenario: ResolvedScenario;
  resolve: (s: RunSummary) => void;
}

interface Slot {
  worker: Worker;
  ints: Int32Array;
  times: Float64Array;
  labels: Uint8Array;
  ready: Promise<void>;
  job?: Job & { id: number; started: number; lastStep: number; lastProgress: number };
  dead: boolean;
}

// Workers start from this small CommonJS script: in a checkout (TypeScript sources) it
// registers tsx first; an installed package runs its compiled dist/ directly.
const bootstrap = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})();
`;

const fromSources = import.meta.url.endsWith('.ts');
const entry = new URL(fromSources ? './worker.ts' : './worker.js', import.meta.url).href;
const tsx = fromSources ? tsxEsmApi() : undefined;

/** The ES module entry of `tsx/esm/api` (require.resolve would give its CommonJS twin). */
function tsxEsmApi(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const exp = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: string | { default: string } }> }).exports['./esm/api']!.import;
  return pathToFileURL(join(dirname(manifest), typeof exp === 'string' ? exp : exp.default)).href;
}

/**
 * Runs simulations of one client in worker threads, one run per worker at a time, and
 * takes control back whatever the client does: a step that makes no progress within
 * `stepTimeoutMs` of wall time, a run over `runTimeoutMs`, a heap over `maxHeapMb` or a
 * worker that ends ends that run with a {@link ClientFault} naming the client, what it was
 * doing and the virtual time — and a fresh worker takes the slot. Results arrive per run;
 * callers decide their order (a check aggregates by run index, so any number of workers
 * gives the same report).
 */
export class RunPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private watchdog: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly o: PoolOptions) {}

  /** Starts the workers and loads the client in each; rejects with {@link PoolStartError} if it cannot load. */
  async start(): Promise<void> {
    for (let i = 0; i < Math.max(1, this.o.size); i++) this.slots.push(this.spawn());
    await Promise.all(this.slots.map((s) => s.ready));
    this.watchdog = setInterval(() => this.watch(), Math.min(250, Math.max(10, this.o.limits.stepTimeoutMs / 4)));
  }

  /** Runs one scenario on the next free worker. Never rejects: a client that takes its run down gives a summary with `fatal`. */
  run(scenario: ResolvedScenario): Promise<RunSummary> {
    return new Promise((resolve) => {
      this.queue.push({ scenario, resolve });
      this.dispatch();
    });
  }

  /** Ends every worker. */
  async close(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    await Promise.all(this.slots.map((s) => (s.dead ? undefined : s.worker.terminate())));
  }

  private spawn(): Slot {
    const shared = new SharedArrayBuffer(24 + 256);
    const worker = new Worker(bootstrap, {
      eval: true,
      workerData: { entry, tsx, board: shared },
      resourceLimits: { maxOldGenerationSizeMb: this.o.limits.maxHeapMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, this.o.limits.maxHeapMb / 8)) },
    });
    const slot: Slot = { worker, ints: new Int32Array(shared, 0, 4), times: new Float64Array(shared, 16, 1), labels: new Uint8Array(shared, 24), ready: Promise.resolve(), dead: false };
    slot.ready = new Promise<void>((resolve, reject) => {
      const onStart = (m: FromWorker): void => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'init-error') reject(new PoolStartError(m.message));
        if (m.type === 'ready' || m.type === 'init-error') worker.off('message', onStart);
      };
      worker.on('message', onStart);
      worker.once('error', (e) => reject(new PoolStartError(`the worker that runs the client could not start: ${e.message}`)));
    });
    // A start failure is reported by start(); later, by the run in progress.
    slot.ready.catch(() => undefined);
    worker.on('message', (m: FromWorker) => {
      if (m.type !== 'result' || !slot.job || slot.job.id !== m.id) return;
      const job = slot.job;
      slot.job = undefined;
      job.resolve(m.summary);
      this.dispatch();
    });
    worker.on('error', (e: Error & { code?: string }) => {
      slot.dead = true;
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') this.fail(slot, 'out-of-memory', `ran out of memory (the heap limit is ${this.o.limits.maxHeapMb} MB)`, 'maxHeapMb');
      else this.fail(slot, 'crash', `crashed lockstep's worker: ${e.message}`);
    });
    worker.on('exit', (code) => {
      if (slot.dead) return;
      slot.dead = true;
      this.fail(slot, 'exit', `ended the worker thread that ran it (exit code ${code})`);
    });
    const init: ToWorker = { type: 'init', protocol: this.o.protocol, client: this.o.client, globals: this.o.globals, ...(this.o.serverModule !== undefined ? { serverModule: this.o.serverModule } : {}), cwd: process.cwd() };
    worker.postMessage(init);
    return slot;
  }

  private dispatch(): void {
    for (let i = 0; i < this.slots.length && this.queue.length; i++) {
      let slot = this.slots[i]!;
      if (slot.job) continue;
      if (slot.dead) slot = this.slots[i] = this.spawn();
      const job = this.queue.shift()!;
      const id = this.nextId++;
      slot.ints[board.step] = 0;
      slot.labels[0] = 0;
      const now = performance.now();
      slot.job = { ...job, id, started: now, lastStep: 0, lastProgress: now };
      const start = slot;
      void start.ready.then(
        () => start.worker.postMessage({ type: 'run', id, scenario: job.scenario } satisfies ToWorker),
        (e: Error) => this.fail(start, 'crash', `could not be loaded in a fresh worker: ${e.message}`),
      );
    }
  }

  private watch(): void {
    const now = performance.now();
    for (const slot of this.slots) {
      const job = slot.job;
      if (!job || slot.dead) continue;
      const step = slot.ints[board.step]!;
      if (step !== job.lastStep) {
        job.lastStep = step;
        job.lastProgress = now;
      }
      const { stepTimeoutMs, runTimeoutMs } = this.o.limits;
      if (now - job.lastProgress > stepTimeoutMs) this.kill(slot, 'hang', `made no progress for ${seconds(stepTimeoutMs)} of wall time — a loop that never yields (while (true), a microtask loop)?`, 'stepTimeoutMs');
      else if (now - job.started > runTimeoutMs) this.kill(slot, 'run-timeout', `did not finish its run within ${seconds(runTimeoutMs)} of wall time`, 'runTimeoutMs');
    }
  }

  private kill(slot: Slot, kind: ClientFault['kind'], what: string, limit: keyof IsolationLimits): void {
    slot.dead = true;
    this.fail(slot, kind, what, limit);
    void slot.worker.terminate();
  }

  /** Ends the slot's run with a fault that says who, what, where and when. */
  private fail(slot: Slot, kind: ClientFault['kind'], what: string, limit?: keyof IsolationLimits): void {
    const job = slot.job;
    slot.job = undefined;
    if (!job) return;
    const label = new TextDecoder().decode(slot.labels.subarray(0, Math.max(0, slot.labels.indexOf(0))));
    const where = slot.ints[board.step] ? `${describeTask(label)} at ${slot.times[board.time]} ms virtual time` : 'while the client was being created (module or createClient code), before the first simulation step';
    const message = `${this.o.label ?? this.o.client} ${what}, in ${job.scenario.name}: ${where}.${limit ? ` lockstep stopped the run; if the client's work is legitimate, raise ${limitFlags[limit]}.` : ''}`;
    job.resolve({ client: this.o.label ?? this.o.client, findings: [], hash: '', healAt: 0, wallMs: performance.now() - job.started, error: message, fatal: { kind, message } });
    this.dispatch();
  }
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

/** `timer c1/timer#4` → words a client developer recognises. */
function describeTask(label: string): string {
  const [kind, subject = ''] = label.split(' ', 2);
  const node = subject.split('/')[0];
  if (kind === 'timer') return `a timer callback on ${node} (${subject})`;
  if (kind === 'net') return `a network delivery to ${node} and the client's event listeners (${subject})`;
  const action = /\/action:(.+)$/.exec(subject)?.[1];
  if (action) return `the user action ${action} on ${node}`;
  return `${subject || 'a simulation step'}`;
}
