import type { ClientCheckResult } from '../conformance/check.js';
import { plain, verdictStyle, type Paint } from './style.js';
import { outcomeWord } from '../conformance/check.js';

/** Where progress goes: a terminal line redrawn in place, or whole lines (CI logs, pipes). */
export interface ProgressSink {
  /** Whether the output is a terminal: a bar redrawn in place; otherwise a line per client when it ends. */
  tty: boolean;
  /** Writes raw text (no newline added); used on a terminal. */
  write: (s: string) => void;
  /** Writes one line. */
  line: (s: string) => void;
  /** Colour (default none). */
  paint?: Paint;
  /** The clock, ms (default `Date.now`: wall time of the command, never inside a simulation). */
  now?: () => number;
}

/** The progress of one client's check, as `checkClient`'s callbacks feed it. */
export interface ClientProgress {
  /** After each run: runs done, the total planned, failing runs so far. */
  progress(done: number, total: number, failing: number): void;
  /** A failing property run is being shrunk (`step` 0 when it starts). */
  shrink(step: number): void;
  /** The final state, from the result itself: the true count of runs, never a stale one. */
  end(result: ClientCheckResult): void;
}

/** `[#######---------]`: runs done of the total. */
export function progressBar(done: number, total: number, width = 24): string {
  const full = total > 0 ? Math.min(width, Math.round((done / total) * width)) : width;
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
}

/** `1 failing run`, `3 failing runs`: every count says what it counts. */
export const countOf = (n: number, noun: string, plural = `${noun}s`): string => `${n.toLocaleString('en')} ${n === 1 ? noun : plural}`;

/**
 * The closing progress line of a client, computed from its result: runs done (scenarios and
 * property runs) of those planned, failing runs, whether the property runs stopped at a
 * failure and how far it was shrunk, the wall time.
 */
export function finalStatus(result: ClientCheckResult, planned: number, failing: number): string {
  const done = result.scenarios.length + (result.property?.runs ?? 0);
  const parts = [`${done.toLocaleString('en')}/${planned.toLocaleString('en')} runs (${countOf(result.scenarios.length, 'scenario')}, ${countOf(result.property?.runs ?? 0, 'property run')})`, countOf(failing, 'failing run')];
  const cx = result.property?.counterexample;
  if (cx) parts.push(`stopped at failing property run ${cx.foundAt}, ${cx.shrunk ? `shrunk in ${countOf(cx.shrinks, 'step')}` : 'not shrunk (the client took the run down)'}`);
  else if (done < planned) parts.push(`${(planned - done).toLocaleString('en')} runs skipped (the client took down too many runs)`);
  parts.push(`${(result.wallMs / 1000).toFixed(1)} s`);
  return parts.join(', ');
}

/**
 * Progress of one client's check. On a terminal a bar is redrawn in place (at most every
 * 100 ms) and shows "shrinking…" while a counterexample is shrunk; in CI logs and pipes
 * nothing is printed while runs go on — one line when shrinking starts, one when the
 * client ends. Either way the last state printed is computed from the result.
 */
export function clientProgress(label: string, sink: ProgressSink): ClientProgress {
  const now = sink.now ?? Date.now;
  const paint = sink.paint ?? plain;
  const started = now();
  let last = 0;
  let state = { done: 0, total: 0, failing: 0 };
  const elapsed = (): string => `${((now() - started) / 1000).toFixed(1)} s`;
  const draw = (status: string, force = false): void => {
    if (!sink.tty) return;
    const t = now();
    if (!force && t - last < 100) return;
    last = t;
    sink.write(`\r  ${label} ${progressBar(state.done, state.total)} ${status}\x1b[K`);
  };
  return {
    progress(done, total, failing) {
      state = { done, total, failing };
      draw(`${done.toLocaleString('en')}/${total.toLocaleString('en')} runs, ${countOf(failing, 'failing run')}, ${elapsed()}`, done === total);
    },
    shrink(step) {
      if (!sink.tty) {
        if (step === 0) sink.line(`  ${label}: a property run failed after ${countOf(state.done, 'run')}; shrinking it…`);
        return;
      }
      draw(`${state.done.toLocaleString('en')}/${state.total.toLocaleString('en')} runs, ${countOf(state.failing, 'failing run')}, ${paint('yellow', 'shrinking…')} ${countOf(step, 'step')}, ${elapsed()}`, step === 0);
    },
    end(result) {
      const word = outcomeWord(result.exitCode);
      const status = `${finalStatus(result, Math.max(state.total, result.scenarios.length + (result.property?.runs ?? 0)), state.failing)}: ${paint(verdictStyle(word), word)}`;
      if (sink.tty) {
        const done = result.scenarios.length + (result.property?.runs ?? 0);
        sink.write(`\r  ${label} ${progressBar(done, Math.max(state.total, done))} ${status}\x1b[K\n`);
      } else sink.line(`  ${label}: ${status}`);
    },
  };
}
