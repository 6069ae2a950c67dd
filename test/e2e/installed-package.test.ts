// lockstep as its users meet it: the packed package installed into a fresh project outside
// this repository, every command run as a real process through `npx`, exactly as the docs
// print it. docs/testing-your-client.md is executed here block by block, in order.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellCommands, tsBlocks } from '../docs/doc-blocks.js';

const repo = resolve(import.meta.dirname, '../..');
const root = mkdtempSync(join(tmpdir(), 'lockstep-e2e-'));
const project = join(root, 'my-app');
let tarball = '';

/** The environment a user's shell has: none of the variables npm or vitest set for this test run. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|VITEST|NODE_OPTIONS|INIT_CWD|TSX)/i.test(k)) env[k] = v;
  return { ...env, NO_COLOR: '1', CI: 'true' };
}

interface Ran {
  code: number;
  out: string;
  err: string;
}

/** Runs a command line in a shell, as a user types it. */
function sh(command: string, cwd = project, timeout = 240_000): Ran {
  const r = spawnSync('sh', ['-c', command], { cwd, env: userEnv(), encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** The documented `npm install … lockstep` step installs the packed tarball instead of the registry's copy. */
function asInstalled(command: string): string {
  return command.replace(/^npm install (--save-dev |-D )?lockstep$/, `npm install $1${tarball} --no-audit --no-fund --prefer-offline`).replace(/^npm install (.*)$/, (m) => (m.includes('--no-audit') ? m : `${m} --no-audit --no-fund --prefer-offline`));
}

const guide = 'docs/testing-your-client.md';
const ran = new Map<string, Ran>();

beforeAll(() => {
  const packed = execFileSync('npm', ['pack', '--pack-destination', root, '--silent'], { cwd: repo, env: userEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  tarball = join(root, packed.trim().split('\n').pop()!);
  mkdirSync(project);
  // No "type": "module": the case of most projects a team copies our example into.
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'my-app', version: '1.0.0', private: true }, null, 2)}\n`);
}, 300_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the packed package, installed in a fresh project', () => {
  it('ships what the docs link to, and no sources or tests', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const f of ['package/LICENSE', 'package/README.md', 'package/bin/lockstep.js', 'package/dist/cli/bin.js', 'package/examples/my-chat-client.ts', 'package/schemas/chat.schema.json', 'package/asyncapi/chat.asyncapi.json', 'package/scenarios/chat/tc1-normal-websocket-flow.yaml', 'package/docs/testing-your-client.md']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toEqual([]);
  });

  // Every command of the guide, in order, as written: none is bad input or a crash.
  const commands = shellCommands(readFileSync(join(repo, guide), 'utf8'));
  it.each(commands.map((c, i) => [i, c] as const))(`${guide} #%i: %s`, (_i, command) => {
    if (command.startsWith('npx vitest')) {
      // The guide's vitest file, saved where the guide says.
      const [file] = tsBlocks(readFileSync(join(repo, guide), 'utf8')).filter((b) => b.includes("from 'lockstep/vitest'"));
      mkdirSync(join(project, 'test'), { recursive: true });
      writeFileSync(join(project, 'test/conformance.test.ts'), file!);
    }
    const r = sh(asInstalled(command));
    ran.set(command, r);
    expect(r.err).not.toMatch(/^\s+at .*\(.*:\d+:\d+\)$/m); // never a stack trace
    expect(r.err).not.toMatch(/internal error|command not found/);
    expect([0, 1], `${command}\n${r.out.slice(-3000)}\n${r.err.slice(-3000)}`).toContain(r.code);
  });

  it('reports its version', () => {
    const r = ran.get('npx lockstep --version')!;
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version);
  });

  it('lists the actions with their arguments and the snapshot shape', () => {
    const r = ran.get('npx lockstep list --protocol chat')!;
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/send\(\{ text: string \}\)/);
    expect(r.out).toMatch(/snapshot \(/);
    expect(r.out).toMatch(/chat\/tc1-normal-websocket-flow/);
  });

  it('judges the copied .ts example (no "type": "module", no package.json beside it)', () => {
    expect(existsSync(join(project, 'src/package.json'))).toBe(false);
    const r = ran.get('npx lockstep check --protocol chat --client src/my-chat-client.ts --runs 100 --report reports/mine')!;
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/chat \/ src\/my-chat-client\.ts: (\d+) scenarios/);
    expect(r.out).toMatch(/CHAT-\d+ FAIL: /);
    expect(existsSync(join(project, 'reports/mine/report.json'))).toBe(true);
  });

  it('replays the recorded failure with the same trace hash', () => {
    const r = ran.get('npx lockstep replay reports/mine/failures/chat--src-my-chat-client.ts--seed-1--run-*--shrunk.json')!;
    expect(r.out).toMatch(/the same as recorded/);
  });

  it('merges shards into a failing gate', () => {
    expect(ran.get('npx lockstep merge reports/mine-shard-1 reports/mine-shard-2 --report reports/mine-merged')!.code).toBe(1);
  });

  it('runs the vitest file of the guide: one test per requirement, and the own trace assertions pass', () => {
    const r = sh('npx vitest run test/conformance.test.ts --reporter=json --outputFile=vitest.json');
    const report = JSON.parse(readFileSync(join(project, 'vitest.json'), 'utf8')) as { testResults: { assertionResults: { title: string; fullName: string; status: string }[] }[] };
    const tests = report.testResults.flatMap((t) => t.assertionResults);
    expect(tests.filter((t) => /^CHAT-\d+/.test(t.title)).length, r.out + r.err).toBeGreaterThanOrEqual(14);
    expect(tests.find((t) => t.title.startsWith('opens one socket'))?.status, r.out + r.err).toBe('passed');
  });

  it('checks the reference client: exit 0, every shipped scenario run', () => {
    const r = sh('npx lockstep check --protocol chat --runs 200');
    expect(r.code, r.out + r.err).toBe(0);
    const m = /chat \/ reference: (\d+) scenarios and 200 property runs/.exec(r.out);
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(25);
  });

  it('fails a zoo variant naming its requirement, and its printed replay command runs as printed', () => {
    const r = sh('npx lockstep check --protocol chat --client zoo:chat/no-dedupe --runs 100');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/CHAT-2 +MUST +FAIL/);
    const replay = /replay: (npx lockstep replay \S+)/.exec(r.out)?.[1];
    expect(replay).toBeDefined();
    const again = sh(replay!);
    expect(again.out).toMatch(/the same as recorded/);
    const run = /replay: (npx lockstep run \S+ --client \S+)/.exec(r.out)?.[1];
    if (run) expect([0, 1]).toContain(sh(run).code);
  });

  it('loads clients in every module format, from folders with and without a package.json', () => {
    const dir = join(root, 'elsewhere');
    mkdirSync(join(project, 'clients'), { recursive: true });
    mkdirSync(dir, { recursive: true });
    const body = (exp: string) => `${exp}\nfunction createClient(env) { return { openConversation() {}, closeConversation() {}, send() {}, snapshot: () => ({ conversation: null, connection: 'idle', messages: [] }) }; }\n`;
    writeFileSync(join(project, 'clients/a.mts'), `export const protocol: string = 'chat';\n${body('export { createClient };')}`.replace('(env)', '(env: unknown)'));
    writeFileSync(join(project, 'clients/b.cts'), `exports.protocol = 'chat';\n${body('exports.createClient = createClient;')}`.replace('(env)', '(env: unknown)'));
    writeFileSync(join(project, 'clients/c.cjs'), `exports.protocol = 'chat';\n${body('exports.createClient = createClient;')}`);
    writeFileSync(join(project, 'clients/d.mjs'), `export const protocol = 'chat';\n${body('export { createClient };')}`);
    writeFileSync(join(project, 'clients/e.js'), `export const protocol = 'chat';\n${body('export { createClient };')}`);
    copyFileSync(join(project, 'src/my-chat-client.ts'), join(dir, 'f.ts'));
    for (const f of ['clients/a.mts', 'clients/b.cts', 'clients/c.cjs', 'clients/d.mjs', 'clients/e.js', join(dir, 'f.ts')]) {
      const r = sh(`npx lockstep check --protocol chat --client ${f} --runs 0`);
      // A client that does nothing is judged (never a pass), not rejected as bad input.
      expect([1, 3], `${f}: ${r.out.slice(-1500)}${r.err}`).toContain(r.code);
      expect(r.err).not.toMatch(/Unknown file extension|Cannot require|ERR_/);
    }
    writeFileSync(join(project, 'clients/broken.ts'), 'export const protocol = "chat";\nexport function createClient( {\n');
    const broken = sh('npx lockstep check --protocol chat --client clients/broken.ts --runs 0');
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/clients\/broken\.ts:\d+:\d+: /);
  });

  it('refuses a check that would run nothing', () => {
    const r = sh('npx lockstep check --protocol chat --runs 0 --shard 40/40');
    expect(r.code).toBe(2);
  });

  it('runs from ./node_modules/.bin and node …/bin/lockstep.js too', () => {
    expect(sh('./node_modules/.bin/lockstep --version').out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(sh('node node_modules/lockstep/bin/lockstep.js --version').out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(readdirSync(join(project, 'node_modules/lockstep'))).not.toContain('src');
  });
});
