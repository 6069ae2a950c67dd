import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): the functions with the most
 * self time, and the most inclusive time, with their share of the profile.
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --expose-gc --import tsx bench/worker.ts time ws-stream 10 1
 *   npx tsx bench/tools/cpuprofile-top.ts /tmp/prof/CPU.*.cpuprofile [--top 30] [--filter src/sim]
 *
 * Line numbers are only meaningful for code compiled by tsc (tsx reports line 1); to
 * profile with real lines, compile with `npx tsc -p . --noEmit false --outDir DIR` and
 * run DIR/bench/worker.js.
 */

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
const topIdx = args.indexOf('--top');
const top = topIdx >= 0 ? Number(args[topIdx + 1]) : 30;
const filterIdx = args.indexOf('--filter');
const filter = filterIdx >= 0 ? args[filterIdx + 1] : undefined;
if (!file) {
  console.error('usage: cpuprofile-top.ts FILE.cpuprofile [--top N] [--filter SUBSTRING]');
  process.exit(2);
}

const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from samples and time deltas (µs).
const selfUs = new Map<number, number>();
for (let i = 0; i < p.samples.length; i++) {
  const id = p.samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const label = (n: Node): string => {
  const f = n.callFrame;
  const where = f.url ? `${path.relative(process.cwd(), f.url.replace(/^file:\/\//, ''))}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
};

const self = new Map<string, number>();
const incl = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  self.set(label(n), (self.get(label(n)) ?? 0) + us);
  // Inclusive: credit every distinct function on the stack once.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (seen.has(l)) continue;
    seen.add(l);
    incl.set(l, (incl.get(l) ?? 0) + us);
  }
}

const show = (title: string, m: Map<string, number>): void => {
  console.log(`\n${title} (total ${(total / 1000).toFixed(1)} ms sampled)`);
  const rows = [...m.entries()].filter(([l]) => !filter || l.includes(filter)).sort((a, b) => b[1] - a[1]);
  for (const [l, us] of rows.slice(0, top))
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${l}`);
};
show('self time', self);
show('inclusive time', incl);

// Self time per source file (or category), to see which part of the kernel costs what.
const byFile = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  const key = url
    ? url.includes('/src/')
      ? url.slice(url.indexOf('/src/') + 1)
      : url.includes('/bench/')
        ? url.slice(url.indexOf('/bench/') + 1)
        : url.startsWith('node:internal/deps/undici')
          ? 'node: undici (Response, Headers)'
          : url.startsWith('node:')
            ? `node: ${url.slice(5)}`
            : url
    : n.callFrame.functionName || '(native)';
  byFile.set(key, (byFile.get(key) ?? 0) + us);
}
show('self time by file', byFile);
