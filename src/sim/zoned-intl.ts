/**
 * `Intl.DateTimeFormat` as a device in `timeZone` has it: a formatter made without a
 * `timeZone` option uses the device's zone (so `resolvedOptions().timeZone` names it), and
 * `format()` / `formatToParts()` without a date format `now()` — the device's simulated
 * wall clock — where the real ones would read the host's clock.
 */
export function zonedDateTimeFormat(timeZone: string, now: () => number): typeof Intl.DateTimeFormat {
  const Real = Intl.DateTimeFormat;
  const zoned = (options: unknown): Intl.DateTimeFormatOptions => {
    const o = (options ?? {}) as Intl.DateTimeFormatOptions;
    return o.timeZone === undefined ? { ...o, timeZone } : o;
  };
  const make = (locales: unknown, options: unknown): Intl.DateTimeFormat => {
    const f = new Real(locales as Intl.LocalesArgument, zoned(options));
    const format = f.format.bind(f);
    const formatToParts = f.formatToParts.bind(f);
    Object.defineProperties(f, {
      format: { value: (d?: Date | number) => format(d ?? now()), configurable: true },
      formatToParts: { value: (d?: Date | number) => formatToParts(d ?? now()), configurable: true },
    });
    return f;
  };
  return new Proxy(Real, {
    construct: (_t, [locales, options]) => make(locales, options),
    apply: (_t, _this, [locales, options]) => make(locales, options),
  });
}
