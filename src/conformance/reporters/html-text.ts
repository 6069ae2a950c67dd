/** Text helpers of the HTML report: escaping and the one way it writes a time. */

/** Escapes text for HTML content and attribute values. */
export const esc = (s: unknown): string =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Virtual time in seconds with milliseconds (`123.456 s`); empty when unknown. */
export const secs = (ms: number | undefined): string => (ms === undefined ? '' : `${(ms / 1000).toFixed(3)} s`);

/** Wall time for a reader: `840 ms`, `2.4 s`, `3 min 12 s`. */
export function wall(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** `1 requirement`, `2 requirements`. */
export const count = (n: number, noun: string, plural = `${noun}s`): string => `${n} ${n === 1 ? noun : plural}`;
