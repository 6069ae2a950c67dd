/**
 * `Intl.DateTimeFormat` as a device in `timeZone` has it: a formatter made without a
 * `timeZone` option uses the device's zone (so `resolvedOptions().timeZone` names it), and
 * `format()` / `formatToParts()` without a date format `now()` — the device's simulated
 * wall clock — where the real ones would read the host's clock.
 */
export function zonedDateTimeFormat(timeZone: string, now: () => number): typeof Intl.DateTimeFormat {
  const Real = Intl.DateTimeFormat;
  const make = (locales: unknown, options: unknown): Intl.DateTimeFormat => {
    const f = new Real(locales as Intl.LocalesArgument, inZone(options as Intl.DateTimeFormatOptions | undefined, timeZone));
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

/** @internal `options` with `timeZone` set to `zone` unless they name one: a device formats in its own zone by default. */
export function inZone(options: Intl.DateTimeFormatOptions | undefined, zone: string): Intl.DateTimeFormatOptions {
  return options?.timeZone === undefined ? { ...options, timeZone: zone } : options;
}
