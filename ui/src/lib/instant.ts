// Absolute times for tooltips and screen readers ("today at 14:02", "on 24 Nov at 09:15").
// `locale` and `timeZone` default to the user's; tests pin them.

export interface InstantFormat {
  locale?: string;
  timeZone?: string;
}

/** `at` (epoch ms) relative to the day of `now`: "today at 14:02:33" or "on 24 Nov 2026 at 09:15". */
export function formatInstant(at: number, now: number, format: InstantFormat = {}): string {
  const { locale, timeZone } = format;
  const day = new Intl.DateTimeFormat(locale, { timeZone, dateStyle: "medium" });
  const sameDay = day.format(at) === day.format(now);
  if (sameDay) {
    const time = new Intl.DateTimeFormat(locale, { timeZone, timeStyle: "medium" });
    return `today at ${time.format(at)}`;
  }
  const time = new Intl.DateTimeFormat(locale, { timeZone, timeStyle: "short" });
  return `on ${day.format(at)} at ${time.format(at)}`;
}
