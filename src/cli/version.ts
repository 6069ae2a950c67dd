import { readFileSync } from 'node:fs';

/** lockstep's version, from package.json. */
export function toolVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // try the next location (src/cli or dist/cli)
    }
  }
  return 'unknown';
}
