import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

// Every command shown in a ```sh block of the README or docs/ is run here. `npm ci` and
// `npm test` are what CI itself runs; `npm start` is run as its package.json script.
const docs = ['README.md', ...walk('docs')];
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.md') ? [p] : [];
  });
}

function shellCommands(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) if (line.trim() && !line.trim().startsWith('#')) out.push(line.trim());
  }
  return out;
}

function argvOf(command: string): string[] | undefined {
  if (command === 'npm ci' || command === 'npm test') return undefined;
  if (command === 'npm start') {
    const script = pkg.scripts.start!;
    expect(script.startsWith('tsx src/cli/main.ts ')).toBe(true);
    return script.slice('tsx src/cli/main.ts '.length).split(/\s+/);
  }
  const m = /^(?:npx )?lockstep (.+)$/.exec(command);
  if (!m) throw new Error(`a documented command lockstep cannot exercise: ${command}`);
  return m[1]!.split(/\s+/);
}

const commands = docs.flatMap((f) => shellCommands(f).map((c) => [f, c] as const));

describe('documented commands', () => {
  it('finds the quick start', () => {
    expect(shellCommands('README.md').slice(0, 3)).toEqual(['npm ci', 'npm start', 'npm test']);
  });

  it.each(commands)('%s: %s', async (_file, command) => {
    const argv = argvOf(command);
    if (!argv) return;
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, (s) => out.push(s), (s) => err.push(s));
    // 0 or 1 (a documented example may show a failing client); never bad input or a crash.
    expect(err.join('\n')).toBe('');
    expect([0, 1]).toContain(code);
    expect(out.join('\n').length).toBeGreaterThan(0);
    // `npm start` checks every protocol with 1,000 property runs each: about 20 s on a quiet
    // 2-core machine, more when it is busy.
  }, 240_000);
});
