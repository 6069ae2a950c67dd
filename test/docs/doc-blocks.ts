// The code blocks of a Markdown document, for the tests that run documented commands.

/** The command lines of the document's ```sh blocks, in order (comments and blank lines skipped). */
export function shellCommands(markdown: string): string[] {
  const out: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) if (line.trim() && !line.trim().startsWith('#')) out.push(line.trim());
  }
  return out;
}

/** The contents of the document's ```ts blocks, in order. */
export function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}
