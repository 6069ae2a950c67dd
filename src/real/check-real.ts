import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ClientCheckResult } from '../conformance/check.js';
import type { ProtocolDefinition } from '../conformance/protocol.js';
import type { ResolvedScenario } from '../conformance/scenario.js';
import { hostTimers } from './clock.js';
import { checkResultOf, judgeTrace, type JudgedRun } from './judge.js';
import { RealServer } from './server.js';
import { openTraceFile, type TraceFile } from './trace-file.js';

/** How to check an external client over real sockets. */
export interface RealCheckOptions {
  protocol: ProtocolDefinition;
  /** Scenarios to run, each in wall-clock time (duration + heal), at most `parallel` at a time. */
  scenarios: ResolvedScenario[];
  /**
   * How many scenarios run at once, each on its own ports with its own client processes
   * (default {@link defaultParallel}). Output and verdicts come in scenario order whatever
   * the order the runs finish in.
   */
  parallel?: number;
  /** MUST client requirements the client knowingly does not exercise (as `check --allow-not-exercised`). */
  allowNotExercised?: readonly string[];
  /** The client command, run by the shell once per client node of a scenario. */
  command: string;
  /** Progress lines. */
  out: (s: string) => void;
  /** Write each run's trace here as `<scenario>.jsonl`. */
  traceDir?: string;
  /** ms the client may take to poll the control endpoint for the first time (default 30000). */
  startupTimeoutMs?: number;
  /** Extra environment for the client command. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Scenarios a real check runs at once by default. A real run waits for its scenario's
 * clock nearly all the time, so this is well above the core count: on 2 cores with the
 * TypeScript fixture client, the 26 real-time chat scenarios took 447 s with 8 at once and
 * 264 s with 16 (the longest scenario alone lasts 247 s), with no verdict lost to load
 * (docs/real-socket-mode.md, "Running in parallel"). Heavier clients (a JVM each) may want
 * fewer.
 */
export const defaultParallel = 16;

/** The tail of a stream, for error messages. */
class Tail {
  private text = '';
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-4000);
  }
  lines(n = 15): string {
    return this.text.trimEnd().split('\n').slice(-n).join('\n');
  }
}

interface ClientProcess {
  node: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  code: number | null | undefined;
  stderr: Tail;
  stdout: Tail;
}

function spawnClient(command: string, node: string, server: RealServer, o: RealCheckOptions): ClientProcess {
  const child = spawn(command, {
    shell: true,
    detached: process.platform !== 'win32',
    cwd: o.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...o.env,
      LOCKSTEP_BASE_URL: server.urlsOf(node).baseUrl,
      LOCKSTEP_WS_URL: server.urls.wsUrl,
      LOCKSTEP_CONTROL_URL: server.urls.controlUrl,
      LOCKSTEP_TOKEN: server.tokens[node]!,
      LOCKSTEP_NODE: node,
      LOCKSTEP_PROTOCOL: o.protocol.name,
      LOCKSTEP_SCENARIO: server.scenario.name,
    },
  });
  const p: ClientProcess = { node, child, code: undefined, stderr: new Tail(), stdout: new Tail(), exited: Promise.resolve(null) };
  child.stdout?.on('data', (c: Buffer) => p.stdout.push(c));
  child.stderr?.on('data', (c: Buffer) => p.stderr.push(c));
  p.exited = new Promise((resolve) => {
    child.on('error', (e) => {
      p.stderr.push(`could not start: ${e.message}\n`);
      p.code = -1;
      resolve(-1);
    });
    child.on('exit', (code, signal) => {
      p.code = code ?? (signal ? 128 : null);
      resolve(p.code);
    });
  });
  return p;
}

/** Stops a client process and everything it started (its process group): SIGTERM, then SIGKILL. */
async function stopClient(p: ClientProcess, graceMs: number): Promise<void> {
  if (p.code !== undefined) return;
  const signal = (s: NodeJS.Signals): void => {
    try {
      if (p.child.pid !== undefined && process.platform !== 'win32') process.kill(-p.child.pid, s);
      else p.child.kill(s);
    } catch {
      // already gone
    }
  };
  const wait = (ms: number): Promise<boolean> =>
    Promise.race([p.exited.then(() => true), new Promise<boolean>((r) => hostTimers.setTimeout(() => r(false), ms))]);
  // The client sees `done` from the control endpoint and may exit by itself.
  if (await wait(graceMs)) return;
  signal('SIGTERM');
  if (await wait(2000)) return;
  signal('SIGKILL');
  await wait(2000);
}

/**
 * `lockstep check --real`: for each scenario, starts the protocol's reference server on a
 * free loopback port, runs the client command once per client node with the URLs in its
 * environment, starts the scenario's clock once every client has polled the control
 * endpoint, ends it after duration + heal of wall-clock time, stops the clients, and
 * judges the trace with the protocol's checkers.
 */
export async function checkReal(o: RealCheckOptions): Promise<ClientCheckResult> {
  const started = performance.now();
  const judged: JudgedRun[] = new Array<JudgedRun>(o.scenarios.length);
  const lines: string[][] = o.scenarios.map(() => []);
  const finished: boolean[] = o.scenarios.map(() => false);
  let printed = 0;
  // Each run's lines are printed once it and every run before it are done: the output of a
  // parallel check is the sequential one's, in scenario order.
  const flush = (): void => {
    while (printed < o.scenarios.length && finished[printed]) {
      for (const line of lines[printed]!) o.out(line);
      printed++;
    }
  };
  const width = Math.max(1, Math.min(o.parallel ?? defaultParallel, o.scenarios.length));
  // Longest first: the check ends soonest; the output keeps the scenarios' order.
  const order = o.scenarios
    .map((sc, index) => ({ index, ms: sc.duration + sc.heal }))
    .sort((a, b) => b.ms - a.ms || a.index - b.index)
    .map((x) => x.index);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < order.length) {
      const index = order[next++]!;
      judged[index] = await runOne(o, o.scenarios[index]!, index, (line) => lines[index]!.push(line));
      finished[index] = true;
      flush();
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return checkResultOf(o.protocol, `cmd:${o.command}`, judged, performance.now() - started, o.allowNotExercised);
}

/** One scenario: its own server ports and client processes, its judged trace. */
async function runOne(o: RealCheckOptions, sc: ResolvedScenario, index: number, out: (s: string) => void): Promise<JudgedRun> {
    const t0 = performance.now();
    let file: TraceFile | undefined;
    if (o.traceDir) file = openTraceFile(join(o.traceDir, `${sc.name}.jsonl`), true);
    const server = await RealServer.listen({ protocol: o.protocol, scenario: sc, startWhen: 'clients', onTrace: file?.listener });
    out(
      `== ${sc.file ?? sc.name}: ${(sc.duration + sc.heal) / 1000} s of wall-clock time, client${sc.clients.length > 1 ? 's' : ''} ${sc.clients.join(', ')}`,
    );
    const clients = sc.clients.map((node) => spawnClient(o.command, node, server, o));
    let error: string | undefined;
    try {
      const allExited = Promise.all(clients.map((c) => c.exited));
      const startup = o.startupTimeoutMs ?? 30_000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const first = await Promise.race([
        server.started.then(() => 'started' as const),
        allExited.then(() => 'exited' as const),
        new Promise<'timeout'>((r) => (timer = hostTimers.setTimeout(() => r('timeout'), startup))),
      ]);
      hostTimers.clearTimeout(timer);
      if (first !== 'started') {
        const waiting = sc.clients.filter((c) => !server.readyClients.includes(c));
        const why =
          first === 'exited'
            ? 'the client command exited'
            : `the client command did not poll ${server.urls.controlUrl}/next-action within ${startup / 1000} s`;
        const tails = clients
          .filter((c) => waiting.includes(c.node))
          .map(
            (c) =>
              `--- ${c.node}${c.code !== undefined ? ` (exit code ${c.code})` : ''}, last lines of stderr:\n${c.stderr.lines() || '(nothing)'}`,
          )
          .join('\n');
        error = `${why} before the run could start (waiting for ${waiting.join(', ')})\n${tails}`;
      } else {
        for (const c of clients) {
          void c.exited.then((code) => {
            if (server.endAt !== undefined) return;
            server.trace.record(server.clock.now(), 'client.error', {
              node: c.node,
              subject: 'process',
              message: `the client process exited with code ${code} before the run ended; stderr: ${c.stderr.lines(3)}`,
            });
          });
        }
        await server.ended;
      }
    } finally {
      await Promise.all(clients.map((c) => stopClient(c, 1500)));
      await server.close();
      file?.close();
    }
    const events = server.trace.events();
    const wallMs = performance.now() - t0;
    if (error) {
      out(`  error: ${error}`);
      return { index, name: sc.name, file: sc.file, hash: server.trace.hash(), findings: [], error, wallMs };
    }
    const j = judgeTrace(events, o.protocol, sc.file ?? sc.name, sc);
    for (const n of j.notes) out(`  note: ${n}`);
    if (server.unreported.size > 0)
      out(
        `  note: ${server.unreported.size} action(s) handed out by next-action were never reported with POST /__lockstep/action; the checkers did not see them`,
      );
    out(
      `  ${events.length} trace steps${file ? `, written to ${file.path}` : ''}; ${j.findings.filter((f) => f.verdict === 'fail').length} failing requirement(s)`,
    );
    return {
      index,
      name: sc.name,
      file: sc.file,
      hash: server.trace.hash(),
      findings: j.findings,
      replay: file ? `lockstep judge ${file.path} --protocol ${o.protocol.name}${sc.file ? ` --scenario ${sc.file}` : ''}` : undefined,
      wallMs,
    };
}
