import { describe, expect, it } from "vitest";

import { settingsProblems } from "./settingsForm";

const draft = { clearClipboard: true, clearSecs: "60", notifyMins: "15", autostart: false };

describe("settingsProblems", () => {
  it("turns a valid draft into settings", () => {
    expect(settingsProblems(draft).settings).toEqual({
      clipboard_clear_secs: 60,
      notify_session_end_mins: 15,
      autostart: false,
    });
  });

  it("saves 0 seconds when clearing is off, whatever the seconds field says", () => {
    expect(
      settingsProblems({ ...draft, clearClipboard: false, clearSecs: "x" }).settings,
    ).toMatchObject({
      clipboard_clear_secs: 0,
    });
  });

  it("refuses seconds and minutes that are not whole numbers in range", () => {
    const bad = settingsProblems({ ...draft, clearSecs: "2", notifyMins: "soon" });
    expect(bad.settings).toBeNull();
    expect(bad.clearSecs).toMatch(/from 5 to 3600/);
    expect(bad.notifyMins).toMatch(/whole number of minutes/);
  });
});
