import { describe, expect, it, vi } from "vitest";

import { copiedMessage, notify, onToast } from "./notices";

describe("copiedMessage", () => {
  it("says when the clipboard clears, in whole seconds", () => {
    expect(copiedMessage("Token", 1_060_000, 1_000_000)).toBe("Token copied — clears in 60 s");
    expect(copiedMessage("Header", 1_059_600, 1_000_000)).toBe("Header copied — clears in 60 s");
    expect(copiedMessage("Token", null, 1_000_000)).toBe("Token copied");
  });
});

describe("notify", () => {
  it("reaches every listener until it unsubscribes", () => {
    const seen = vi.fn();
    const stop = onToast(seen);
    notify("info", "one");
    stop();
    notify("info", "two");
    expect(seen).toHaveBeenCalledTimes(1);
    expect(seen).toHaveBeenCalledWith(expect.objectContaining({ level: "info", message: "one" }));
  });
});
