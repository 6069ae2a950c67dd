import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError } from './args.js';

/** Reads a fault plan from a JSON or YAML file (a list, or an object with a `faults` list). */
export function readFaultPlanFile(path: string, command: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`lockstep ${command}: cannot read fault plan ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new UsageError(`lockstep ${command}: ${path}: expected ${path.endsWith('.json') ? 'JSON' : 'YAML'}, found a syntax error: ${(e as Error).message.split('\n')[0]}`);
  }
  if (data && typeof data === 'object' && !Array.isArray(data) && 'faults' in data) return (data as { faults: unknown }).faults;
  return data;
}
