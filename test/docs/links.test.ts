import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The docs ship in the package: every relative link must resolve to a file that exists
// (and an anchor to a heading of that file), and the protocol specs must stand alone —
// an outside team implements from them, without lockstep's sources.
const docs = ['README.md', ...walk('docs')];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.md') ? [p] : [];
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+)$/gm))
    out.add(
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  return out;
}

describe('documentation links', () => {
  it.each(docs)('%s: every relative link resolves', (file) => {
    const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const href = m[1]!;
      if (/^[a-z]+:/i.test(href)) continue;
      const [path, anchor] = href.split('#') as [string, string | undefined];
      const target = path ? resolve(dirname(file), path) : resolve(file);
      if (!existsSync(target)) {
        broken.push(`${href} (no such file)`);
        continue;
      }
      if (anchor && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor)) broken.push(`${href} (no such heading)`);
    }
    expect(broken).toEqual([]);
  });

  it.each(walk('docs/protocols'))('%s names nothing in src/', (file) => {
    expect(readFileSync(file, 'utf8')).not.toMatch(/\bsrc\//);
  });
});
