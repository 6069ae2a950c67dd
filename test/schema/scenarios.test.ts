import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { protocols } from '../../src/conformance/registry.js';
import { resolveScenario } from '../../src/conformance/scenario.js';
import { faultPlanSchema, scenarioSchema } from '../../src/schema/index.js';
import { validate } from './validator.js';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : /\.(ya?ml|json)$/.test(p) ? [p] : [];
  });
}

const schema = scenarioSchema();
const files = walk('scenarios');
const problems = (v: unknown) => validate(schema, v).map((e) => `${e.path}: ${e.message}`);

describe('scenario schema', () => {
  it('finds the scenario files', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it.each(files)('%s validates', (file) => {
    expect(problems(parseYaml(readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('docs/scenario-format.md shows the yaml-language-server line that points editors at the schema', () => {
    expect(readFileSync('docs/scenario-format.md', 'utf8')).toContain('# yaml-language-server: $schema=../../schemas/scenario.schema.json');
  });

  const base = { protocol: 'chat', actions: [{ at: 0, do: 'openConversation', args: { conversation: 'A' } }] };
  const wrong: [string, unknown][] = [
    ['an unknown top-level field', { ...base, faultz: [] }],
    ['an unknown protocol', { ...base, protocol: 'smoke-signals' }],
    ['no protocol', { actions: [] }],
    ['a negative seed', { ...base, seed: -1 }],
    ['a fractional duration', { ...base, duration: 1.5 }],
    ['an unknown fault kind', { ...base, faults: [{ kind: 'earthquake', at: 0 }] }],
    ['a fault without at', { ...base, faults: [{ kind: 'partition' }] }],
    ['a drop without rate', { ...base, faults: [{ kind: 'drop', at: 0 }] }],
    ['a probability above 1', { ...base, faults: [{ kind: 'drop', at: 0, rate: 1.5 }] }],
    ['a field of another fault kind', { ...base, faults: [{ kind: 'ws-reset', at: 0, duration: 10 }] }],
    ['an http-status outside 400–599', { ...base, faults: [{ kind: 'http-status', at: 0, status: 200 }] }],
    ['a zero duration', { ...base, faults: [{ kind: 'partition', at: 0, duration: 0 }] }],
    ['a bad hold match field', { ...base, faults: [{ kind: 'hold', at: 0, name: 'h', match: { envelop: 'ws.frame' } }] }],
    ['an unknown action', { ...base, actions: [{ at: 0, do: 'dance' }] }],
    ['an action missing its argument', { ...base, actions: [{ at: 0, do: 'send' }] }],
    ['an action argument of the wrong type', { ...base, actions: [{ at: 0, do: 'send', args: { text: 1 } }] }],
    ['an unknown link field', { ...base, network: { link: { latncy: 20 } } }],
    ['a lognormal latency without sigma', { ...base, network: { link: { latency: { kind: 'lognormal', median: 50 } } } }],
    ['a bad node name', { ...base, clients: ['C1'] }],
    ['a bad verdict', { ...base, expect: { 'CHAT-1': 'maybe' } }],
    ['an unknown requirement', { ...base, requirements: ['CHAT-99'] }],
  ];

  it.each(wrong)('rejects %s, as lockstep does', (_what, v) => {
    expect(problems(v)).not.toEqual([]);
    expect(() => resolveScenario(v, 'wrong.yaml', protocols)).toThrow();
  });

  it("the fault plan schema accepts every scenario's faults and rejects a bad entry", () => {
    const plan = faultPlanSchema();
    for (const file of files) {
      const faults = (parseYaml(readFileSync(file, 'utf8')) as { faults?: unknown }).faults ?? [];
      expect(validate(plan, faults), file).toEqual([]);
    }
    expect(validate(plan, [{ kind: 'partition', at: -5 }])).not.toEqual([]);
    expect(validate(plan, { kind: 'partition', at: 0 })).not.toEqual([]);
  });
});
