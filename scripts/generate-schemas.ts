/**
 * `npm run schemas`: writes the JSON Schemas (schemas/*.schema.json) and AsyncAPI documents
 * (asyncapi/*.asyncapi.json) generated from src/schema, formatted as prettier would, so
 * `npm run format` leaves them alone. Commit the result; test/schema checks the committed
 * files are up to date. `--check` only lists stale files (exit 1).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import { generatedFiles } from '../src/schema/index.js';

/** Every generated file (path relative to the repository root → contents), prettier-formatted. */
export async function renderFiles(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [path, text] of generatedFiles()) {
    const options = (await prettier.resolveConfig(path)) ?? {};
    out.set(path, await prettier.format(text, { ...options, filepath: path }));
  }
  return out;
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [path, text] of await renderFiles()) {
    let old: string | undefined;
    try {
      old = readFileSync(path, 'utf8');
    } catch {
      old = undefined;
    }
    if (old === text) continue;
    stale++;
    if (check) {
      console.log(`stale: ${path}`);
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
  if (stale === 0) console.log('schemas/ and asyncapi/ are up to date');
  return check && stale > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
