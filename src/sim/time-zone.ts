import { real } from './real-globals.js';

/**
 * Wall-clock arithmetic in an IANA time zone without touching the process's `TZ`: a
 * simulated node keeps its own zone, so a DST change or a local midnight can be placed
 * in a run, and the host's zone never leaks into a trace. Offsets come from ICU through
 * `Intl.DateTimeFormat`, which is deterministic for a given Node version (its tzdata).
 */

const RealDate = real.Date;
const DAY = 86_400_000;

const fieldFormats = new Map<string, Intl.DateTimeFormat>();
const nameFormats = new Map<string, Intl.DateTimeFormat>();

function fieldFormat(zone: string): Intl.DateTimeFormat {
  let f = fieldFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    fieldFormats.set(zone, f);
  }
  return f;
}

/** Whether `zone` is a time zone ICU knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The canonical IANA zone names, for "did you mean" hints. */
export function knownTimeZones(): readonly string[] {
  return ['UTC', ...Intl.supportedValuesOf('timeZone')];
}

/** ms to add to a UTC instant to get the local wall-clock time of `zone` at `t`. */
export function zoneOffset(zone: string, t: number): number {
  if (zone === 'UTC' || Number.isNaN(t)) return 0;
  const whole = Math.floor(t / 1000) * 1000;
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const p of fieldFormat(zone).formatToParts(whole)) {
    if (p.type === 'year') year = Number(p.value);
    else if (p.type === 'month') month = Number(p.value);
    else if (p.type === 'day') day = Number(p.value);
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
    else if (p.type === 'second') second = Number(p.value);
    else if (p.type === 'era') bc = p.value.startsWith('B');
  }
  const d = new RealDate(0);
  d.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime() - whole;
}

/**
 * The UTC instant of a local wall-clock time (given as the ms a UTC date with those
 * fields would have), as ECMAScript resolves it: an ambiguous time (the hour repeated
 * when DST ends) is the earlier instant; a skipped time (the hour lost when DST starts)
 * is read with the offset before the transition, so it lands after the gap.
 */
export function localToUtc(zone: string, local: number): number {
  if (Number.isNaN(local)) return NaN;
  if (zone === 'UTC') return local;
  const before = zoneOffset(zone, local - DAY);
  const after = zoneOffset(zone, local + DAY);
  const fits = [local - before, local - after].filter((c) => zoneOffset(zone, c) === local - c);
  return fits.length === 0 ? local - before : Math.min(...fits);
}

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, '0');

function zoneName(zone: string, t: number): string {
  let f = nameFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'long' });
    nameFormats.set(zone, f);
  }
  return f.formatToParts(t).find((p) => p.type === 'timeZoneName')?.value ?? zone;
}

/** `Date.prototype.toDateString` in `zone` (V8's format: `Sun Mar 30 2025`). */
export function dateString(zone: string, t: number): string {
  if (Number.isNaN(t)) return 'Invalid Date';
  const l = new RealDate(t + zoneOffset(zone, t));
  const y = l.getUTCFullYear();
  return `${weekdays[l.getUTCDay()]} ${months[l.getUTCMonth()]} ${pad(l.getUTCDate())} ${y < 0 ? '-' : ''}${pad(y, 4)}`;
}

/** `Date.prototype.toTimeString` in `zone` (V8's format: `03:00:00 GMT+0200 (Central European Summer Time)`). */
export function timeString(zone: string, t: number): string {
  if (Number.isNaN(t)) return 'Invalid Date';
  const off = zoneOffset(zone, t);
  const l = new RealDate(t + off);
  const m = Math.round(Math.abs(off) / 60_000);
  const gmt = `GMT${off < 0 ? '-' : '+'}${pad(Math.floor(m / 60))}${pad(m % 60)}`;
  return `${pad(l.getUTCHours())}:${pad(l.getUTCMinutes())}:${pad(l.getUTCSeconds())} ${gmt} (${zoneName(zone, t)})`;
}

const isoLocal = /^(?:[+-]\d{6}|\d{4})-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$/;
const explicitZone = /(?:\dZ\b|\b(?:GMT|UTC|UT)\b|[+-]\d{2}:?\d{2}\b|\b[ECMP][SD]T\b)/i;
const isoDateOnly = /^(?:[+-]\d{6}|\d{4})(?:-\d{2}(?:-\d{2})?)?$/;

/**
 * `Date.parse` with local times read in `zone`. ISO date-times without an offset are
 * local (ISO dates alone are UTC, as the standard says); strings with an explicit zone
 * or offset mean what they say. Other formats are parsed by V8 as it parses them, and
 * the wall-clock fields it read are then placed in `zone` — exact unless the host's own
 * zone skips that hour (never on a UTC host).
 */
export function parseInZone(zone: string, text: string): number {
  if (isoLocal.test(text)) return localToUtc(zone, RealDate.parse(`${text}Z`));
  const t = RealDate.parse(text);
  if (Number.isNaN(t) || isoDateOnly.test(text) || explicitZone.test(text)) return t;
  const h = new RealDate(t);
  const fields = new RealDate(0);
  fields.setUTCFullYear(h.getFullYear(), h.getMonth(), h.getDate());
  fields.setUTCHours(h.getHours(), h.getMinutes(), h.getSeconds(), h.getMilliseconds());
  return localToUtc(zone, fields.getTime());
}
