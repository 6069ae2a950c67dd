import { scenarioFromFlags } from '../../real/cli.js';
import { realScheduleProblems, timerLimit } from '../../real/limits.js';
import { RealServer, RealServerError } from '../../real/server.js';
import { openTraceFile, TraceFileError, type TraceFile } from '../../real/trace-file.js';
import { checkTraceFile } from '../output-file.js';
import { flagHelp, intFlag, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';

const flags: Record<string, FlagSpec> = {
  protocol: { value: true, help: 'the protocol whose reference server to run (chat, event-sync, ...)' },
  scenario: {
    value: true,
    help: 'a scenario file: its network, faults, server options, clients and user actions; the run lasts its duration + heal',
  },
  'fault-plan': { value: true, help: "a fault plan file (YAML or JSON) instead of the scenario's faults" },
  port: { value: true, help: 'port of the API and WebSockets (default: any free port)' },
  'control-port': { value: true, help: 'port of the control endpoint (default: any free port)' },
  host: { value: true, help: 'interface to bind (default 127.0.0.1; loopback only unless --allow-remote)' },
  'allow-remote': { value: false, help: 'allow binding a non-loopback interface' },
  trace: { value: true, help: 'write the trace (JSON Lines) to this file, line by line as it happens' },
  force: { value: false, help: 'overwrite the --trace file if it exists' },
  duration: {
    value: true,
    help: "ms until every fault is lifted; duration + heal at most 2147483647 (default: the scenario's; without a scenario, run until stopped)",
  },
  heal: { value: true, help: "ms to keep running after the faults were lifted (default: the scenario's, else 0)" },
  seed: { value: true, help: "seed of the latency draws and the server (default: the scenario's)" },
  'wait-for-clients': { value: false, help: 'start the clock (t = 0) once every client has polled GET /__lockstep/next-action' },
  help: { value: false, help: 'show this help' },
};

/** Help of `lockstep serve`. */
export const serveHelp = `lockstep serve --protocol P [--scenario FILE] [--fault-plan FILE] [--port N] [--host H] [--trace FILE]

Runs the protocol's reference server — the same server application the simulator runs —
over real HTTP and WebSocket on 127.0.0.1, with a fault-injecting layer in front of it
that applies the fault plan in wall-clock time, and writes the trace as it goes. Point
your client (any language) at the printed URLs; judge the trace afterwards with
lockstep judge. See docs/real-socket-mode.md.

${flagHelp(flags)}

Stops after the scenario's duration + heal (or --duration), or on Ctrl-C / SIGTERM.`;

/** `lockstep serve`. */
export async function serveCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const args = parseArgs(argv, flags, 'serve');
  if (args.flags.has('help')) {
    out(serveHelp);
    return 0;
  }
  if (args.positionals.length)
    throw new UsageError(`lockstep serve: unexpected argument "${args.positionals[0]}" (a scenario goes with --scenario FILE)`);
  const { protocol, scenario } = scenarioFromFlags(args, 'serve');
  const hasScenario = args.flags.has('scenario');
  const timed = hasScenario || args.flags.has('duration');
  if (args.flags.has('duration')) {
    scenario.duration = intFlag(args, 'duration', scenario.duration, 'serve', timerLimit);
    if (scenario.duration === 0)
      throw new UsageError('lockstep serve: --duration expects at least 1 ms, found 0 (omit it to run until stopped)');
  }
  scenario.heal = args.flags.has('heal') ? intFlag(args, 'heal', 0, 'serve', timerLimit) : hasScenario ? scenario.heal : 0;
  const fromFlags = args.flags.has('duration') || args.flags.has('heal');
  const tooLong = realScheduleProblems(
    scenario,
    timed,
    timed
      ? fromFlags
        ? 'the run (--duration, --heal)'
        : (scenario.file ?? 'the scenario')
      : (stringFlag(args, 'fault-plan') ?? 'the fault plan'),
  );
  if (tooLong.length) throw new UsageError(`lockstep serve: ${tooLong.join('\n')}`);
  const port = intFlag(args, 'port', 0, 'serve');
  const controlPort = intFlag(args, 'control-port', 0, 'serve');
  if (port > 65535 || controlPort > 65535) throw new UsageError('lockstep serve: --port and --control-port expect a port number (0–65535)');
  const traceFile = stringFlag(args, 'trace');
  let file: TraceFile | undefined;
  if (traceFile) {
    // The place is checked as every --trace is (system folders, folders for files, writable);
    // an existing file is stricter here: a real run's trace cannot be recorded again, so
    // only --force replaces it, even one lockstep wrote.
    checkTraceFile(traceFile, args.flags.has('force'), 'serve');
    try {
      file = openTraceFile(traceFile, args.flags.has('force'));
    } catch (e) {
      if (e instanceof TraceFileError) throw new UsageError(`lockstep serve: ${e.message}`);
      throw e;
    }
  }
  let server: RealServer;
  try {
    server = await RealServer.listen({
      protocol,
      scenario,
      host: stringFlag(args, 'host'),
      port,
      controlPort,
      allowRemote: args.flags.has('allow-remote'),
      startWhen: args.flags.has('wait-for-clients') ? 'clients' : 'now',
      timed,
      onTrace: file?.listener,
      // Nobody judges in-process: the trace goes to the file only, so memory stays flat however long the run.
      keepTrace: false,
    });
  } catch (e) {
    file?.close();
    if (e instanceof RealServerError) throw new UsageError(`lockstep serve: ${e.message}`);
    throw e;
  }
  const { urls, tokens } = server;
  const nodes = Object.keys(tokens);
  out(
    `lockstep serve: ${protocol.name} reference server over real sockets${scenario.file ? `, scenario ${scenario.file}` : ''}; fault plan: ${scenario.faults.length ? scenario.faults.map((f) => `${f.kind}@${f.at}`).join(', ') : 'none'}`,
  );
  out(`LOCKSTEP_BASE_URL=${server.urlsOf(nodes[0]!).baseUrl}`);
  out(`LOCKSTEP_WS_URL=${urls.wsUrl}`);
  out(`LOCKSTEP_CONTROL_URL=${urls.controlUrl}`);
  out(`LOCKSTEP_TOKEN=${tokens[nodes[0]!]}`);
  if (nodes.length > 1) for (const n of nodes) out(`LOCKSTEP_TOKEN_${n.toUpperCase().replace(/-/g, '_')}=${tokens[n]}`);
  // Each client has its own API port: it refuses connections while that client is offline.
  out(`clients: ${nodes.map((n) => `${n} (token ${tokens[n]}${nodes.length > 1 ? `, ${server.urlsOf(n).baseUrl}` : ''})`).join(', ')}`);
  out(
    `clock: ${args.flags.has('wait-for-clients') ? `starts when ${nodes.join(', ')} ${nodes.length > 1 ? 'have' : 'has'} polled GET ${urls.controlUrl}/next-action` : 'started'}; ${timed ? `faults lifted at ${scenario.duration / 1000} s, stops at ${(scenario.duration + scenario.heal) / 1000} s` : 'runs until Ctrl-C (SIGINT) or SIGTERM'}`,
  );
  if (file) out(`trace: ${file.path} (one line per step, written as it happens)`);
  const stop = (): void => server.end();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await server.ended;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await server.drain(1000);
    await server.close();
    file?.close();
  }
  out(
    `run ended at ${((server.endAt ?? 0) / 1000).toFixed(1)} s: ${server.trace.length} trace steps${file ? ` in ${file.path}; judge it with: lockstep judge ${file.path} --protocol ${protocol.name}${scenario.file ? ` --scenario ${scenario.file}` : ''}` : ''}`,
  );
  return 0;
}
