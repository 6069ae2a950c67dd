import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from './args.js';

/**
 * Writes a file the user asked for. An existing file is never overwritten unless the
 * user passed `--force`: what a user wrote is not lost without asking.
 */
export function writeOutputFile(path: string, content: string, force: boolean, command: string): void {
  if (existsSync(path) && !force) {
    throw new UsageError(`lockstep ${command}: ${path} already exists; pass --force to overwrite it, or choose another path`);
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}
