import { describe, expect, it } from "vitest";

import { SOON_MS, expiryTone, formatCountdown } from "./countdown";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const s = (n: number) => n * 1_000;
const m = (n: number) => s(60 * n);
const h = (n: number) => m(60 * n);

describe("formatCountdown", () => {
  it.each([
    [s(42), "42s"],
    [s(1), "1s"],
    [m(4) + s(5), "4m 05s"],
    [m(59) + s(59), "59m 59s"],
    [h(1), "1h 00m"],
    [h(2) + m(3) + s(59), "2h 03m"],
    [h(23) + m(59) + s(59), "23h 59m"],
    [h(24), "1d 00h"],
    [h(24 * 3 + 4) + m(30), "3d 04h"],
  ])("shows %i ms left as %s", (left, text) => {
    expect(formatCountdown(NOW + left, NOW)).toBe(text);
  });

  it("rounds partial seconds up so the last second is never shown as 0s", () => {
    expect(formatCountdown(NOW + 400, NOW)).toBe("1s");
    expect(formatCountdown(NOW + s(59) + 1, NOW)).toBe("1m 00s");
    expect(formatCountdown(NOW + m(4) + s(4) + 500, NOW)).toBe("4m 05s");
  });

  it("says expired at and after the expiry instant", () => {
    expect(formatCountdown(NOW, NOW)).toBe("expired");
    expect(formatCountdown(NOW - h(3), NOW)).toBe("expired");
  });

  it("says no expiry when the token has none", () => {
    expect(formatCountdown(null, NOW)).toBe("no expiry");
  });

  it("counts down one second per tick", () => {
    const expiresAt = NOW + m(1) + s(1);
    const shown = [0, 1, 2, 61].map((tick) => formatCountdown(expiresAt, NOW + s(tick)));
    expect(shown).toEqual(["1m 01s", "1m 00s", "59s", "expired"]);
  });
});

describe("expiryTone", () => {
  it("is none without an expiry, ok while plenty is left, soon near the end, then expired", () => {
    expect(expiryTone(null, NOW)).toBe("none");
    expect(expiryTone(NOW + h(1), NOW)).toBe("ok");
    expect(expiryTone(NOW + SOON_MS + 1, NOW)).toBe("ok");
    expect(expiryTone(NOW + SOON_MS, NOW)).toBe("soon");
    expect(expiryTone(NOW + s(1), NOW)).toBe("soon");
    expect(expiryTone(NOW, NOW)).toBe("expired");
  });
});
