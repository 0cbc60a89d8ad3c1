import { describe, expect, it } from "vitest";

import { connection } from "./fixtures";
import { holdsToken, identityLines, statusLabel, statusTone, summary } from "./labels";

describe("identityLines", () => {
  it("prefers the display name and shows the e-mail beneath it", () => {
    expect(
      identityLines({ subject: "u-17", name: "Ada Lovelace", email: "ada@example.com" }),
    ).toEqual({
      primary: "Ada Lovelace",
      secondary: "ada@example.com",
    });
  });

  it("falls back to the account id, without repeating it", () => {
    expect(identityLines({ subject: "ada", name: null, email: null })).toEqual({
      primary: "ada",
      secondary: null,
    });
    expect(identityLines({ subject: "ada", name: "ada", email: null })).toEqual({
      primary: "ada",
      secondary: null,
    });
    expect(identityLines({ subject: "u-17", name: "Ada", email: null })).toEqual({
      primary: "Ada",
      secondary: "u-17",
    });
  });

  it("is null when nobody is known", () => {
    expect(identityLines(null)).toBeNull();
  });
});

describe("status words", () => {
  it("names every status so the badge never relies on colour alone", () => {
    expect(statusLabel("needs_login")).toBe("Needs login");
    expect(statusLabel("signed_out")).toBe("Signed out");
    expect(statusLabel("error")).toBe("Retrying");
    expect(statusTone("needs_login")).toBe("danger");
    expect(statusTone("active")).toBe("positive");
  });

  it("counts a token as held only while one is in use", () => {
    expect(holdsToken(connection({ name: "a", status: "active" }))).toBe(true);
    expect(holdsToken(connection({ name: "a", status: "error" }))).toBe(true);
    expect(holdsToken(connection({ name: "a", status: "signed_out" }))).toBe(false);
    expect(holdsToken(connection({ name: "a", status: "needs_login" }))).toBe(false);
  });
});

describe("summary", () => {
  it("counts connections, active ones and those needing a login", () => {
    expect(summary([connection({ name: "a" })])).toBe("1 connection · 1 active");
    expect(
      summary([
        connection({ name: "a" }),
        connection({ name: "b", status: "needs_login" }),
        connection({ name: "c", status: "signed_out" }),
      ]),
    ).toBe("3 connections · 1 active · 1 needs login");
  });
});
