#!/usr/bin/env node
// The `lockstep` command. An installed package (which ships dist/, not src/) runs the
// compiled CLI; a checkout runs its TypeScript sources through tsx, so a stale dist/ can
// never stand in for the code being edited.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/bin.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('../dist/cli/bin.js', import.meta.url).href);
}
