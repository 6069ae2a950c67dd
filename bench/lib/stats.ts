import type { ImplTiming, RunDetail } from './types.js';

/** Median (mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Arithmetic mean. */
export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** `1,234.5` with a fixed number of decimals (default: none at ≥ 100, else 2). */
export function fmt(v: number, digits?: number): string {
  if (!Number.isFinite(v)) return String(v);
  const d = digits ?? (Math.abs(v) >= 100 ? 0 : 2);
  return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** `wall min 12.3 / median 13.1 / max 15.0 ms (runs: …); cpu median 12.0 ms` */
export function spread(t: ImplTiming): string {
  const ms = t.ms;
  return (
    `wall min ${fmt(Math.min(...ms), 1)} / median ${fmt(median(ms), 1)} / max ${fmt(Math.max(...ms), 1)} ms ` +
    `(runs: ${ms.map((m) => fmt(m, 1)).join(', ')}); mean ${fmt(mean(ms), 1)} ms; cpu median ${fmt(median(t.cpuMs), 1)} ms`
  );
}

/** One line naming the trace of kernel runs, and whether every run produced the same one. */
export function traceLine(details: readonly RunDetail[]): string {
  const hashes = new Set(details.map((d) => d.trace?.hash));
  const d = details[0];
  if (!d?.trace) return 'trace: none';
  const same = hashes.size === 1 ? `identical in all ${details.length} timed runs` : `DIFFERS between runs (${hashes.size} hashes)`;
  return `trace: ${fmt(d.trace.length)} lines, sha256 ${d.trace.hash} (${same})`;
}

/** `polls=1,199 wsAttempts=60` */
export function countsLine(d: RunDetail): string {
  return Object.entries(d.counts)
    .map(([k, v]) => `${k}=${fmt(v, 0)}`)
    .join(' ');
}

/** Bytes (or kB) to MB. */
export const kbToMb = (kb: number): number => kb / 1024;
