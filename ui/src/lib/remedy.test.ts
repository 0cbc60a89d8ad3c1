import { describe, expect, it } from "vitest";

import { toIpcError } from "../ipc/client";
import { explain, remedyAdvice } from "./remedy";

describe("remedies in the app's words", () => {
  it("says the engine's remedy as an action, never as a command", () => {
    const advice = remedyAdvice({ remedy: "set_secret", field: "client_secret" });
    expect(advice).toBe("Edit the connection and enter its client secret.");
    expect(remedyAdvice({ remedy: "log_in" })).toBe("Log in again.");
    expect(advice).not.toContain("tokentray");
  });

  it("follows a failure's message with what to do, when there is something to do", () => {
    expect(explain({ message: "api needs a login: revoked", remedy: { remedy: "log_in" } })).toBe(
      "api needs a login: revoked. Log in again.",
    );
    expect(explain({ message: "the provider answered HTTP 503", remedy: null })).toBe(
      "the provider answered HTTP 503",
    );
  });

  it("keeps the remedy of a rejected command and drops one it does not know", () => {
    const known = toIpcError({
      code: "needs_login",
      message: "api needs a new token: expired",
      remedy: { remedy: "store_secret", field: "token" },
      fields: [],
    });
    expect(known.remedy).toEqual({ remedy: "store_secret", field: "token" });
    const unknown = toIpcError({
      code: "internal",
      message: "m",
      remedy: { remedy: "dance" },
      fields: [],
    });
    expect(unknown.remedy).toBeNull();
  });
});
