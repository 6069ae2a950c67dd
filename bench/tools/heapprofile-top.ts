import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Summarizes a V8 sampling heap profile (`.heapprofile`, from bench/tools/profile.ts or
 * `node --heap-prof`): bytes allocated per function (self) and per source file, with
 * their share.
 *
 *   npx tsx bench/tools/heapprofile-top.ts /tmp/prof/alloc.heapprofile [--top 30]
 */

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
const topIdx = args.indexOf('--top');
const top = topIdx >= 0 ? Number(args[topIdx + 1]) : 30;
if (!file) {
  console.error('usage: heapprofile-top.ts FILE.heapprofile [--top N]');
  process.exit(2);
}
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode };

const where = (url: string): string => {
  const u = url.replace(/^file:\/\//, '');
  if (!u) return '';
  if (u.includes('/src/')) return u.slice(u.indexOf('/src/') + 1);
  if (u.includes('/bench/')) return u.slice(u.indexOf('/bench/') + 1);
  if (u.includes('/node_modules/'))
    return `node_modules/${u
      .split('/node_modules/')
      .at(-1)!
      .split('/')
      .slice(0, u.includes('/@') ? 2 : 1)
      .join('/')}`;
  if (u.startsWith('node:internal/deps/undici')) return 'node: undici (Response, Headers)';
  return path.basename(u);
};

const self = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
const walk = (n: HeapNode): void => {
  if (n.selfSize) {
    const f = n.callFrame;
    const file = where(f.url);
    const label = `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
    self.set(label, (self.get(label) ?? 0) + n.selfSize);
    byFile.set(file || `(${f.functionName || 'native'})`, (byFile.get(file || `(${f.functionName || 'native'})`) ?? 0) + n.selfSize);
    total += n.selfSize;
  }
  for (const c of n.children) walk(c);
};
walk(head);

const show = (title: string, m: Map<string, number>): void => {
  console.log(`\n${title} (total ${(total / 2 ** 20).toFixed(1)} MB sampled)`);
  for (const [l, b] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((100 * b) / total).toFixed(1).padStart(5)}%  ${(b / 2 ** 20).toFixed(1).padStart(8)} MB  ${l}`);
};
show('allocated, by function', self);
show('allocated, by file', byFile);
