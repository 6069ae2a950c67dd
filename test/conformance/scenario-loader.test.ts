import * as fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { protocols } from '../../src/conformance/registry.js';
import { parseScenario, ScenarioError } from '../../src/conformance/scenario.js';

const dir = 'scenarios/chat';
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
const texts = files.map((f) => readFileSync(join(dir, f), 'utf8'));

/** Either a valid scenario or a ScenarioError naming the file and what was expected — never anything else. */
function loadsOrExplains(text: string): true {
  try {
    parseScenario(text, 'mutant.yaml', protocols);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw new Error(`crashed with ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    expect(e.message.startsWith('mutant.yaml: ')).toBe(true);
    expect(e.message).toMatch(/expected .+, found/);
  }
  return true;
}

describe('scenario loader', () => {
  it('loads every shipped chat scenario', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const [i, t] of texts.entries()) {
      const s = parseScenario(t, files[i]!, protocols);
      expect(s.protocol).toBe('chat');
      expect(s.actions.length).toBeGreaterThan(0);
    }
  });

  it('names the file, the field, what was expected and what was found', () => {
    const bad = `protocol: chat\nduration: soon\nactions:\n  - { at: 0, do: opnConversation, args: { conversation: A } }\nfaults:\n  - { kind: partition, at: 100, durtion: 5 }\n`;
    let err: unknown;
    try {
      parseScenario(bad, 'bad.yaml', protocols);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    const msg = (err as Error).message;
    expect(msg).toContain('bad.yaml: field "duration": expected a whole number from 1 to 2,147,483,647, found the string "soon"');
    expect(msg).toContain('field "actions[0].do"');
    expect(msg).toContain('did you mean "openConversation"');
    expect(msg).toContain('field "faults[0].durtion"');
    expect(msg).toContain('did you mean "duration"');
  });

  it('rejects an unknown protocol and YAML syntax errors with a message', () => {
    expect(() => parseScenario('protocol: fax\n', 'p.yaml', protocols)).toThrow(/p.yaml: field "protocol": expected one of "chat"/);
    expect(() => parseScenario('protocol: [chat\n', 'y.yaml', protocols)).toThrow(/y.yaml: file: expected YAML, found a syntax error/);
  });

  it('checks action arguments against the action parameters: unknown, missing, of the wrong type', () => {
    const bad = `protocol: chat\nactions:\n  - { at: 0, do: openConversation, args: { conversaton: A } }\n  - { at: 1, do: send, args: { text: 3 } }\n  - { at: 2, do: send, args: { text: .nan } }\n  - { at: 3, do: closeConversation, args: { now: true } }\n`;
    let err: ScenarioError | undefined;
    try {
      parseScenario(bad, 'args.yaml', protocols);
    } catch (e) {
      err = e as ScenarioError;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect(err!.problems).toEqual([
      { field: 'actions[0].args.conversaton', expected: 'no such argument for "openConversation" (takes: conversation)', found: 'the string "A"' },
      { field: 'actions[0].args.conversation', expected: 'a string (required by "openConversation")', found: 'nothing' },
      { field: 'actions[1].args.text', expected: 'a string', found: 'the number 3' },
      { field: 'actions[2].args.text', expected: 'a string', found: 'the number NaN' },
      { field: 'actions[3].args.now', expected: 'no such argument for "closeConversation" (takes: nothing)', found: 'true' },
    ]);
    expect(err!.message).toContain('args.yaml: field "actions[1].args.text": expected a string, found the number 3');
  });

  it('takes guard limits by name and checks them', () => {
    const s = parseScenario('protocol: chat\nguards: { timer-storm: 2000, request-storm: 500 }\n', 'g.yaml', protocols);
    expect(s.guards).toEqual({ 'timer-storm': 2000, 'request-storm': 500 });
    expect(parseScenario('protocol: chat\n', 'g.yaml', protocols).guards).toBeUndefined();
    expect(() => parseScenario('protocol: chat\nguards: { timer-strom: 2000, event-budget: 0 }\n', 'g.yaml', protocols)).toThrow(
      /g\.yaml: field "guards\.timer-strom": expected one of the guards timer-storm, zero-delay-loop, event-budget, connect-storm, request-storm \(did you mean "timer-storm"\?\), found the number 2000\ng\.yaml: field "guards\.event-budget": expected a whole number ≥ 1, found the number 0/,
    );
    expect(() => parseScenario('protocol: chat\nguards: 5\n', 'g.yaml', protocols)).toThrow(/field "guards": expected a mapping of guard names/);
  });

  it('never crashes on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), loadsOrExplains), { numRuns: 300, seed: 1 });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => loadsOrExplains(stringify({ protocol: 'chat', ...(typeof v === 'object' && v && !Array.isArray(v) ? v : { actions: v }) }))),
      { numRuns: 300, seed: 2 },
    );
  });

  it('never crashes on mutated scenario files', () => {
    const mutation = fc.oneof(
      // delete a slice
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
      // insert characters
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 12 }) }),
      // replace a field's value by an arbitrary JSON value
      fc.record({ kind: fc.constant('value' as const), path: fc.array(fc.oneof(fc.nat({ max: 5 }), fc.constantFrom('faults', 'actions', 'args', 'network', 'link', 'latency', 'at', 'do', 'kind', 'duration', 'server', 'options', 'expect')), { maxLength: 4 }), value: fc.jsonValue({ maxDepth: 2 }) }),
    );
    fc.assert(
      fc.property(fc.nat({ max: texts.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, muts) => {
        let text = texts[i]!;
        for (const m of muts) {
          if (m.kind === 'delete') {
            const at = m.at % (text.length + 1);
            text = text.slice(0, at) + text.slice(at + m.len);
          } else if (m.kind === 'insert') {
            const at = m.at % (text.length + 1);
            text = text.slice(0, at) + m.text + text.slice(at);
          } else {
            text = stringify(setPath(safeParse(text), m.path, m.value));
          }
        }
        return loadsOrExplains(text);
      }),
      { numRuns: 500, seed: 3 },
    );
  });
});

function safeParse(text: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch {
    return {};
  }
}

function setPath(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const base = root !== null && typeof root === 'object' ? (Array.isArray(root) ? [...root] : { ...(root as object) }) : typeof head === 'number' ? [] : {};
  (base as Record<string | number, unknown>)[head!] = setPath((base as Record<string | number, unknown>)[head!], rest, value);
  return base;
}
