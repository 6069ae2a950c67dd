import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { protocols, getProtocol } from '../../src/conformance/registry.js';
import { runScenario } from '../../src/conformance/runner.js';
import { loadScenarioFile } from '../../src/conformance/scenario.js';

/** The real-socket guide, whose commands the tests run. */
export const guide = 'docs/real-socket-mode.md';

/** Every `$ command` line of the guide's ```text blocks (a trailing `\` continues a line). */
export function documentedCommands(file = guide): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const block of text.matchAll(/```text\n([\s\S]*?)```/g)) {
    let pending: string | undefined;
    for (const raw of block[1]!.split('\n')) {
      const line = raw.trim();
      if (pending !== undefined) {
        pending += ` ${line.replace(/\\$/, '').trim()}`;
        if (!line.endsWith('\\')) {
          out.push(pending);
          pending = undefined;
        }
        continue;
      }
      if (!line.startsWith('$ ')) continue;
      const cmd = line.slice(2).trim();
      if (cmd.endsWith('\\')) pending = cmd.replace(/\\$/, '').trim();
      else out.push(cmd);
    }
  }
  return out;
}

/** The one documented command that `pick` selects. */
export function documentedCommand(pick: (cmd: string) => boolean): string {
  const found = documentedCommands().filter(pick);
  if (found.length !== 1) throw new Error(`expected exactly one such command in ${guide}, found ${found.length}: ${found.join(' | ')}`);
  return found[0]!;
}

/** Splits a command line as a POSIX shell would for simple quoting ('…', "…"). */
export function shellWords(cmd: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of cmd.matchAll(re)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  return out;
}

/** Verdict per requirement of the simulated run of a scenario with the reference client. */
export async function simulatedVerdicts(file: string): Promise<Record<string, string>> {
  const scenario = loadScenarioFile(file, protocols);
  const protocol = getProtocol(scenario.protocol);
  const r = await runScenario({ protocol, scenario, client: protocol.reference, clientName: 'reference' });
  return Object.fromEntries(r.findings.map((f) => [f.requirement, f.verdict]));
}

/** A child process with its output collected line by line. */
export interface Proc {
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  exited: Promise<number | null>;
  /** Resolves with the first output line matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
}

/** Spawns a process in its own process group (so that stopping it stops its children too). */
export function start(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: string[] = [];
  const stderr: string[] = [];
  const watchers: { re: RegExp; resolve: (l: string) => void }[] = [];
  let buf = '';
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...watchers])
        if (w.re.test(line)) {
          watchers.splice(watchers.indexOf(w), 1);
          w.resolve(line);
        }
    }
  });
  child.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    stderr,
    exited,
    waitFor: (re, timeoutMs = 20_000) => {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(
              new Error(
                `no output line matching ${re} within ${timeoutMs} ms; output so far:\n${lines.join('\n')}\nstderr:\n${stderr.join('')}`,
              ),
            ),
          timeoutMs,
        );
        watchers.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
        void exited.then(() =>
          reject(new Error(`the process exited before printing ${re}; output:\n${lines.join('\n')}\nstderr:\n${stderr.join('')}`)),
        );
      });
    },
  };
}

/** Runs `lockstep ARGS` in its own process (through bin/lockstep.js, as a user would). */
export function startLockstep(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  return start(process.execPath, ['bin/lockstep.js', ...args], env);
}

/** The reference client of a protocol in its own process, pointed at a running server. */
export function startRealClient(protocol: string, vars: Record<string, string>, node = 'c1'): Proc {
  return start(process.execPath, ['--import', 'tsx', 'test/fixtures/real-client.ts'], {
    ...vars,
    LOCKSTEP_PROTOCOL: protocol,
    LOCKSTEP_NODE: node,
  });
}

/** Stops a process and its group: SIGTERM, then SIGKILL after `graceMs`. */
export async function stop(p: Proc | undefined, graceMs = 3000): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const kill = (s: NodeJS.Signals): void => {
    try {
      process.kill(-p.child.pid!, s);
    } catch {
      // gone
    }
  };
  kill('SIGTERM');
  const done = await Promise.race([p.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
  if (!done) {
    kill('SIGKILL');
    await Promise.race([p.exited, new Promise((r) => setTimeout(r, 2000))]);
  }
}

/** The `LOCKSTEP_*=value` lines lockstep serve prints, as an environment. */
export async function servedVariables(p: Proc): Promise<Record<string, string>> {
  await p.waitFor(/^LOCKSTEP_TOKEN=/);
  const vars: Record<string, string> = {};
  for (const l of p.lines) {
    const m = /^(LOCKSTEP_[A-Z0-9_]+)=(\S+)$/.exec(l);
    if (m) vars[m[1]!] = m[2]!;
  }
  return vars;
}
