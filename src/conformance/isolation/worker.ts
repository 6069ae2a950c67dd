// A worker thread that runs simulations of one client. Client code is untrusted: here it
// can loop, allocate or call process.exit without taking lockstep down — the main thread
// (pool.ts) watches the progress board this worker writes and ends the thread if it must.
import { parentPort, workerData } from 'node:worker_threads';
import { activity } from '../../sim/activity.js';
import { resolveClient, type ResolvedClient } from '../registry.js';
import { runScenario } from '../runner.js';
import { loadServerModule, type ServerWrapper } from '../server-module.js';
import { summaryOf } from './executor.js';
import { board, type FromWorker, type RunSummary, type ToWorker } from './messages.js';

const port = parentPort!;
const ints = new Int32Array(workerData.board as SharedArrayBuffer, 0, 4);
const times = new Float64Array(workerData.board as SharedArrayBuffer, 16, 1);
const labelBytes = new Uint8Array(workerData.board as SharedArrayBuffer, 24);
const encoder = new TextEncoder();

const post = (m: FromWorker): void => port.postMessage(m);

activity.probe = (task) => {
  ints[board.step]!++;
  times[board.time] = task.at;
  // The label: `<kind> <subject>` (e.g. `timer c1/timer#4`), NUL-terminated.
  const { written } = encoder.encodeInto(`${task.kind} ${task.subject}`, labelBytes.subarray(0, labelBytes.length - 1));
  labelBytes[written] = 0;
};

/** A call that would end or redirect the whole process, made by client code: a client error. */
class ForbiddenProcessCall extends Error {
  override readonly name = 'ForbiddenProcessCall';
}

// process.exit inside a worker would only end this thread, process.kill could signal the
// whole process; neither is the client's to call. A throw lands in the run as a client error
// at the virtual time of the call.
for (const name of ['exit', 'reallyExit', 'abort', 'kill', 'chdir'] as const) {
  const original = (process as unknown as Record<string, unknown>)[name];
  if (typeof original !== 'function') continue;
  (process as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
    throw new ForbiddenProcessCall(`client code called process.${name}(${args.map((a) => JSON.stringify(a) ?? String(a)).join(', ')}): a client under test may not end or redirect lockstep's process`);
  };
}

let client: ResolvedClient | undefined;
let globals = false;
let serverWrapper: ServerWrapper | undefined;
let currentRun = -1;

// A rejection nobody handles inside client code: a client error of the run in progress,
// never the end of the worker (Node would otherwise end the thread).
const unhandled: string[] = [];
process.on('unhandledRejection', (reason) => {
  if ((reason as { name?: string } | null)?.name === 'SimulationStopped') return;
  unhandled.push(reason instanceof Error ? reason.message : String(reason));
});

port.on('message', (m: ToWorker) => {
  void handle(m).catch((e: unknown) => {
    // lockstep's own failure while running a run: report it as that run's error rather than dying silently.
    if (m.type === 'run') post({ type: 'result', id: m.id, summary: crashed(m.id, e) });
    else post({ type: 'init-error', message: e instanceof Error ? e.message : String(e) });
  });
});

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'init') {
    client = await resolveClient(m.client, m.protocol);
    globals = m.globals;
    // The handlers are loaded here, not sent: functions cannot cross the thread boundary.
    if (m.serverModule !== undefined) serverWrapper = await loadServerModule(m.serverModule, m.cwd);
    post({ type: 'ready' });
    return;
  }
  currentRun = m.id;
  ints[board.run] = m.id;
  unhandled.length = 0;
  const r = await runScenario({ protocol: client!.protocol, scenario: m.scenario, client: client!.factory, clientName: client!.name, globals, serverWrapper });
  const summary = summaryOf(r);
  if (unhandled.length && summary.clientError === undefined) summary.clientError = `client code left a promise rejection unhandled: ${unhandled[0]}${unhandled.length > 1 ? ` (and ${unhandled.length - 1} more)` : ''}`;
  post({ type: 'result', id: m.id, summary });
  currentRun = -1;
}

function crashed(id: number, e: unknown): RunSummary {
  return {
    client: client?.name ?? '?',
    findings: [],
    hash: '',
    healAt: 0,
    wallMs: 0,
    error: `lockstep could not finish run ${id === currentRun ? 'in progress' : id}: ${e instanceof Error ? e.message : String(e)}`,
  };
}
