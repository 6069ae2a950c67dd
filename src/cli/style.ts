import { styleText } from 'node:util';

/** The styles the CLI uses (a subset of `node:util` `styleText`'s formats). */
export type Style = 'red' | 'green' | 'yellow' | 'cyan' | 'dim' | 'bold';

/** Paints text in a style, or leaves it as it is (no colour). */
export type Paint = (style: Style, text: string) => string;

/** No colour: text as it is (pipes, files, CI logs, `NO_COLOR`). */
export const plain: Paint = (_style, text) => text;

/** Colour through `node:util` `styleText` (the decision is {@link useColor}'s, so the stream is not checked again). */
export const colored: Paint = (style, text) => styleText(style, text, { validateStream: false });

/** What decides colour: the stream written to and the environment. */
export interface ColorSource {
  /** Whether the stream is a terminal. */
  isTTY?: boolean;
  /** Node's terminal colour test (honours `NO_COLOR`, `NODE_DISABLE_COLORS`, `TERM=dumb`). */
  hasColors?: () => boolean;
}

/**
 * Whether to colour output: `FORCE_COLOR` (anything but `0`/`false`) forces it, even into a
 * pipe, and wins over `NO_COLOR` as in Node itself; otherwise only a terminal that has
 * colours gets them, and `NO_COLOR` (non-empty) turns them off.
 */
export function useColor(stream: ColorSource, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR) return false;
  return !!stream.isTTY && (stream.hasColors?.() ?? true);
}

/** The paint for a stream: {@link colored} when {@link useColor} says so, else {@link plain}. */
export function paintFor(stream: ColorSource, env: NodeJS.ProcessEnv = process.env): Paint {
  return useColor(stream, env) ? colored : plain;
}

/** The style of a verdict or result word: failures red, non-strict and inconclusive yellow, passes green. */
export function verdictStyle(word: string): Style {
  switch (word) {
    case 'PASS':
      return 'green';
    case 'FAIL':
    case 'FAILED':
      return 'red';
    case 'NON-STRICT':
    case 'INCONCLUSIVE':
      return 'yellow';
    default:
      return 'dim';
  }
}
