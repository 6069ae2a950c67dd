// What StrykerJS mutates per protocol: each reference client's decision code. The pure
// machines are mutated whole; of a shell (client.ts) only the functions that decide
// something (which response is a failure, what a restarted app reads back from storage),
// never the wiring that only forwards events and commands. Shell functions are found by
// name with the TypeScript parser, so the ranges follow edits to the file.
import { readFileSync } from 'node:fs';
import ts from 'typescript';

/**
 * Per protocol: files mutated whole, shell functions mutated by name, and the property
 * runs each mutant gets (besides every shipped scenario): as many as keep one mutant's
 * check near 3–5 s on a 2-core machine (docs/mutation.md).
 */
export const targets = {
  chat: {
    runs: 100,
    whole: ['src/reference/chat/client-machine.ts'],
    shell: { file: 'src/reference/chat/client.ts', functions: ['get', 'post', 'onLifecycle', 'readOutbox'] },
  },
  'meal-log': {
    runs: 100,
    whole: ['src/reference/meal-log/client-machine.ts'],
    shell: { file: 'src/reference/meal-log/client.ts', functions: ['get', 'post', 'onLifecycle', 'readOutbox'] },
  },
  'event-sync': {
    runs: 100,
    whole: ['src/reference/event-sync/client-machine.ts'],
    shell: { file: 'src/reference/event-sync/client.ts', functions: ['getPage', 'readPersisted'] },
  },
  'live-support': {
    runs: 100,
    whole: ['src/reference/live-support/widget-machine.ts', 'src/reference/live-support/dashboard-machine.ts'],
    shell: {
      file: 'src/reference/live-support/client.ts',
      functions: ['readSaved', 'fetchWithin', 'poll', 'send', 'request', 'onLifecycle'],
    },
  },
};

/** The protocols in the order `npm run mutation` runs them (smallest first). */
export const protocols = ['meal-log', 'event-sync', 'chat', 'live-support'];

/** Stryker `mutate` entries for one protocol: whole files plus `file:start-end` line ranges. */
export function mutateFor(protocol) {
  const t = targets[protocol];
  return [...t.whole, ...functionRanges(t.shell.file, t.shell.functions)];
}

function functionRanges(file, names) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found = new Map();
  const visit = (node) => {
    const name =
      (ts.isFunctionDeclaration(node) && node.name?.text) ||
      (ts.isVariableDeclaration(node) &&
        ts.isIdentifier(node.name) &&
        node.initializer &&
        ts.isArrowFunction(node.initializer) &&
        node.name.text);
    if (name && names.includes(name) && !found.has(name)) {
      const line = (pos) => source.getLineAndCharacterOfPosition(pos).line + 1;
      found.set(name, `${file}:${line(node.getStart(source))}-${line(node.getEnd())}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  const missing = names.filter((n) => !found.has(n));
  if (missing.length) throw new Error(`${file}: expected functions ${missing.join(', ')} to mutate, found none of that name`);
  return names.map((n) => found.get(n));
}
