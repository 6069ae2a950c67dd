import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ImplName, MemoryResult, TimingResult } from './types.js';

/** Prefix of the one stdout line a worker prints its result on. */
export const RESULT_MARK = '@@bench@@ ';

// `npm run bench` runs the compiled bench (.bench-build/, as a user runs the compiled
// package): workers are plain Node then. Run from the TypeScript sources, they need tsx.
const compiled = import.meta.url.endsWith('.js');
const workerPath = fileURLToPath(new URL(compiled ? '../worker.js' : '../worker.ts', import.meta.url));
const root = fileURLToPath(new URL(compiled ? '../../..' : '../..', import.meta.url));
const loader = compiled ? [] : ['--import', 'tsx'];

/** Runs bench/worker.ts in a fresh Node process and returns its parsed result. */
export function runWorker<T>(args: string[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', ...loader, workerPath, ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_MARK));
      if (code !== 0 || !line) {
        reject(
          new Error(`worker ${args.join(' ')} exited with ${code}${err ? `:\n${err.trim()}` : ''}${out ? `\nstdout:\n${out.trim()}` : ''}`),
        );
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_MARK.length)) as T);
    });
  });
}

export const timeInChild = (workload: string, runs: number, warmup: number): Promise<TimingResult> =>
  runWorker<TimingResult>(['time', workload, String(runs), String(warmup)]);

export const memoryInChild = (workload: string, impl: ImplName): Promise<MemoryResult> => runWorker<MemoryResult>(['mem', workload, impl]);
