import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The example harnesses of examples/real/ — a chat client in Python (standard library only)
// and in Java 17 (the JDK only), written from docs/protocols/chat.md and
// docs/real-socket-mode.md — run through `npx lockstep check --real` as a user runs them.
// All tests of this file run at once: real runs wait on their scenario's clock, so the
// file takes about as long as its longest check (~80 s: the real-time profile's 66 s heal).

const has = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const python = has('python3', ['--version']);
const java = has('java', ['-version']) && has('javac', ['-version']);
const pythonCmd = 'python3 examples/real/python/harness.py';
/** Compiled once (`java File.java` would compile it again in every client process: about a second of CPU each). */
const javaCmd = (() => {
  if (!java) return '';
  const out = mkdtempSync(join(tmpdir(), 'lockstep-java-'));
  const r = spawnSync('javac', ['-d', out, 'examples/real/java/ChatHarness.java'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`javac failed:\n${r.stderr}`);
  return `java -XX:TieredStopAtLevel=1 -cp ${out} ChatHarness`;
})();

interface Run {
  code: number | null;
  out: string;
  /** The --report folder (report.json, traces/<scenario>.jsonl). */
  dir: string;
  /** One entry per scenario, from report.json. */
  runs: { name: string; error?: string; findings: { requirement: string; verdict: string; evidence?: string }[] }[];
}

/** `npx lockstep check --real …` in its own process, with its report.json. */
function check(args: string[]): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-examples-'));
  return new Promise((resolve) => {
    const child = spawn('npx', ['lockstep', 'check', '--real', ...args, '--report', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      let runs: Run['runs'] = [];
      try {
        const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { clients: { scenarios: Run['runs'] }[] };
        runs = report.clients[0]!.scenarios;
      } catch {
        // no report: the output says why
      }
      resolve({ code, out, dir, runs });
    });
  });
}

/** `scenario requirement verdict` lines of a check, for comparisons. */
const verdicts = (r: Run): string[] =>
  r.runs.flatMap((run) => run.findings.map((f) => `${run.name} ${f.requirement} ${f.verdict}`)).sort();

/** What a check found wrong: failing requirements and broken runs, with their evidence. */
const problems = (r: Run): string[] =>
  r.runs.flatMap((run) => [
    ...(run.error ? [`${run.name}: ${run.error}`] : []),
    ...run.findings.filter((f) => f.verdict === 'fail').map((f) => `${run.name} ${f.requirement}: ${f.evidence ?? ''}`),
  ]);

const shipped = ['chat/tc1-normal-websocket-flow', 'chat/fault-server-restart', 'chat/fault-ws-reset'];
/** What those three scenarios reach in any run of a correct client. */
const reached = ['CHAT-1', 'CHAT-2', 'CHAT-3', 'CHAT-4', 'CHAT-5', 'CHAT-8', 'CHAT-10', 'CHAT-12', 'CHAT-15', 'CHAT-19'];

async function shippedCheck(command: string): Promise<void> {
  const r = await check(['--client-cmd', command, '--scenario', shipped.join(','), '--profile', 'real-time', '--parallel', '3']);
  expect(problems(r), r.out).toEqual([]);
  expect([0, 3], r.out).toContain(r.code);
  for (const id of reached)
    expect(
      r.runs.some((run) => run.findings.some((f) => f.requirement === id && f.verdict === 'pass')),
      `${id} passed in some run\n${r.out}`,
    ).toBe(true);
}

/** Short scenarios of the kinds a client meets (a reset, a restart, a switch and an app restart, edge faults). */
function shortScenarios(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-short-'));
  const files: Record<string, string> = {
    'short-reset.yaml': `protocol: chat
duration: 5000
heal: 4000
faults:
  - { kind: ws-reset, at: 1500 }
actions:
  - { at: 0, do: openConversation, args: { conversation: A } }
  - { at: 2000, do: send, args: { text: right after the reset } }
`,
    'short-restart.yaml': `protocol: chat
duration: 6000
heal: 4000
server: { options: { aiDelay: 1500 } }
faults:
  - { kind: server-restart, at: 1500, downtime: 1500, state: keep, closeCode: 1006 }
actions:
  - { at: 0, do: openConversation, args: { conversation: A } }
  - { at: 1000, do: send, args: { text: answer me across a restart } }
`,
    'short-switch.yaml': `protocol: chat
duration: 5000
heal: 3000
actions:
  - { at: 0, do: openConversation, args: { conversation: A } }
  - { at: 500, do: send, args: { text: hello A } }
  - { at: 1500, do: openConversation, args: { conversation: B } }
  - { at: 2000, do: send, args: { text: hello B } }
  - { at: 3000, do: restart }
  - { at: 3200, do: openConversation, args: { conversation: B } }
`,
    // The real-world edge kinds on a real client process: a reset POST (retried with the
    // same clientMessageId), a deploy's 1001 close, a 503 with Retry-After on the first poll.
    'short-edge.yaml': `protocol: chat
duration: 6000
heal: 4000
faults:
  - { kind: request-reset, at: 0, method: POST, count: 1 }
  - { kind: server-close, at: 2500, code: 1001, reason: deploy }
  - { kind: retry-after, at: 2500, status: 503, seconds: 1, method: GET, count: 1 }
actions:
  - { at: 0, do: openConversation, args: { conversation: A } }
  - { at: 1000, do: send, args: { text: through a reset } }
`,
  };
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

describe.concurrent('the example harnesses, through npx lockstep check --real', () => {
  it.skipIf(!python)(
    `Python: shipped chat scenarios under the real-time profile, in parallel${python ? '' : ' (skipped: python3 is not on PATH)'}`,
    () => shippedCheck(pythonCmd),
    240_000,
  );

  it.skipIf(!java)(
    `Java 17: shipped chat scenarios under the real-time profile, in parallel${java ? '' : ' (skipped: java/javac is not on PATH)'}`,
    () => shippedCheck(javaCmd),
    240_000,
  );

  it.skipIf(!python)(
    `Python over a folder of scenarios: --parallel 4 gets the verdicts of --parallel 1${python ? '' : ' (skipped: python3 is not on PATH)'}`,
    async () => {
      const dir = shortScenarios();
      const args = ['--client-cmd', pythonCmd, '--scenario', dir];
      const [parallel, sequential] = [await check([...args, '--parallel', '4']), await check([...args, '--parallel', '1'])];
      expect(problems(parallel), parallel.out).toEqual([]);
      expect(verdicts(parallel), `${parallel.out}\n${sequential.out}`).toEqual(verdicts(sequential));
      expect(parallel.runs.map((r) => r.name)).toEqual(['short-edge', 'short-reset', 'short-restart', 'short-switch']);
      // The edge faults happened to this client process: a reset POST, the 1001 close, the 503.
      const trace = readFileSync(join(parallel.dir, 'traces', 'short-edge.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(trace.filter((e) => e.ev === 'http.edge').map((e) => [e.reset ?? false, e.status ?? null, e.retryAfter ?? null])).toEqual([
        [true, null, null],
        [false, 503, 1],
      ]);
      expect(trace.filter((e) => e.ev === 'ws.close' && e.side === 'client').map((e) => e.code)).toContain(1001);
      const short = (id: string) => parallel.runs.find((r) => r.name === 'short-edge')!.findings.find((f) => f.requirement === id)!.verdict;
      expect([short('CHAT-5'), short('CHAT-12')]).toEqual(['pass', 'pass']);
    },
    240_000,
  );
});
