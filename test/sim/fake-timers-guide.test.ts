import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tsBlocks } from '../docs/doc-blocks.js';

// The fake-clock example of docs/testing-your-client.md is a complete vitest file: here it
// is type-checked against lockstep's sources and run by vitest in a child process, as saved.
const guide = 'docs/testing-your-client.md';
const root = resolve('test/sim/.fake-clock-guide');
const sim = resolve('src/sim/index.ts');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe(`${guide}: the fake-timer test`, () => {
  const [example] = tsBlocks(readFileSync(guide, 'utf8')).filter((b) => b.includes('installFakeClock'));

  it('is in the guide', () => {
    expect(example).toMatch(/^\/\/ test\/poller\.test\.ts\n/);
  });

  it('type-checks and passes, as written', () => {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    // Not named *.test.ts: the repository's own vitest run must not collect it.
    writeFileSync(join(root, 'poller.example.ts'), example!);
    writeFileSync(
      join(root, 'tsconfig.json'),
      JSON.stringify({ extends: '../../../tsconfig.json', compilerOptions: { rootDir: '../../..', noEmit: true, paths: { 'lockstep/sim': [sim] } }, include: ['*.ts'] }),
    );
    writeFileSync(
      join(root, 'vitest.config.mjs'),
      `export default { resolve: { alias: { 'lockstep/sim': ${JSON.stringify(sim)} } }, test: { include: ['poller.example.ts'], pool: 'forks' } };\n`,
    );
    const tsc = spawnSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|NODE_OPTIONS|TSX)/i.test(k)));
    const run = spawnSync(process.execPath, [resolve('node_modules/vitest/vitest.mjs'), 'run', '--root', root, '--config', join(root, 'vitest.config.mjs')], {
      encoding: 'utf8',
      env: { ...env, NO_COLOR: '1', CI: '' },
    });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/1 passed/);
  }, 120_000);
});
