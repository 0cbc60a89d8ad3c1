import { describe, expect, it } from "vitest";

import { formatInstant } from "./instant";

const UTC_GB = { locale: "en-GB", timeZone: "UTC" };
const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

describe("formatInstant", () => {
  it("names only the time, to the second, on the same day", () => {
    expect(formatInstant(Date.UTC(2026, 10, 24, 14, 2, 33), NOW, UTC_GB)).toBe("today at 14:02:33");
  });

  it("names the date and minute on another day", () => {
    expect(formatInstant(Date.UTC(2026, 10, 25, 9, 15, 0), NOW, UTC_GB)).toBe(
      "on 25 Nov 2026 at 09:15",
    );
  });

  it("decides 'today' in the given time zone, not in UTC", () => {
    // 23:30 UTC on the 24th is already the 25th in Tokyo.
    const at = Date.UTC(2026, 10, 24, 23, 30, 0);
    expect(formatInstant(at, NOW, { locale: "en-GB", timeZone: "Asia/Tokyo" })).toBe(
      "on 25 Nov 2026 at 08:30",
    );
  });
});
