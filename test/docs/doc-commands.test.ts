import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellCommands } from './doc-blocks.js';

// Every command shown in a ```sh block of the README or docs/ is run here as a real process,
// exactly as written, from the repository root: `npx lockstep …` goes through npm's bin
// link like a user's command does. `npm ci` and `npm test` are what CI itself runs.
// docs/testing-your-client.md is the user's guide for their own project: it is run in a
// fresh project that installed the packed package (test/e2e/installed-package.test.ts).
const docs = ['README.md', ...walk('docs')].filter((f) => f !== join('docs', 'testing-your-client.md'));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.md') ? [p] : [];
  });
}

/** The environment of a user's shell: none of the variables npm or vitest set for this test run. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|VITEST|NODE_OPTIONS|INIT_CWD|TSX)/i.test(k)) env[k] = v;
  return { ...env, NO_COLOR: '1', CI: 'true' };
}

const commands = docs.flatMap((f) => shellCommands(readFileSync(f, 'utf8')).map((c) => [f, c] as const));

describe('documented commands', () => {
  it('finds the quick start', () => {
    expect(shellCommands(readFileSync('README.md', 'utf8')).slice(0, 3)).toEqual(['npm ci', 'npm start', 'npm test']);
  });

  it('runs every command through the lockstep binary or an npm script', () => {
    for (const [file, command] of commands) expect(command, file).toMatch(/^(npx lockstep |npm (ci|start|test)$)/);
  });

  it.each(commands.filter(([, c]) => c !== 'npm ci' && c !== 'npm test'))(
    '%s: %s',
    (_file, command) => {
      const r = spawnSync('sh', ['-c', command], { env: userEnv(), encoding: 'utf8', timeout: 280_000, maxBuffer: 64 * 1024 * 1024 });
      // 0 or 1 (a documented example may show a failing client); never bad input, an
      // inconclusive check (except a single shard's, which another shard may complete) or
      // a crash, and never a stack trace.
      const allowed = command.includes('--shard') ? [0, 1, 3] : [0, 1];
      expect(allowed, `${command}\n${r.stdout?.slice(-3000)}\n${r.stderr}`).toContain(r.status);
      expect(r.stderr).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
      expect(r.stdout.length).toBeGreaterThan(0);
      // `npm start` checks every protocol with 1,000 property runs each: about 40 s on a quiet
      // 2-core machine, more when it is busy.
    },
    300_000,
  );
});
