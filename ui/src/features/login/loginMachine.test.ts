import { describe, expect, it } from "vitest";

import { connection } from "../connections/fixtures";
import { initialLogin, isPending, loginReducer } from "./loginMachine";
import type { LoginEvent, LoginState } from "./loginMachine";

const BROWSER = {
  type: "browser",
  url: "https://login.example.com/authorize?state=s",
  redirect_uri: "http://127.0.0.1:4567/callback",
  mode: "loopback",
  browser_opened: true,
} as const;

const DEVICE = {
  type: "device",
  user_code: "WDJB-MJHT",
  verification_uri: "https://login.example.com/device",
  verification_uri_complete: null,
  expires_at: 0,
  qr_svg: "data:image/svg+xml;base64,PHN2Zy8+",
} as const;

/** A Copernicus password login, which may need a one-time code. */
const CDSE = { method: "password", totp: true } as const;
const BROWSER_LOGIN = { method: "browser" } as const;

const run = (start: LoginState, ...events: LoginEvent[]) => events.reduce(loginReducer, start);
const update = (phase: "done" | "failed" | "cancelled", message: string | null = null) =>
  ({
    type: "update",
    update: {
      name: "work",
      phase,
      message,
      code: phase === "failed" ? ("needs_login" as const) : null,
      remedy: phase === "failed" ? ({ remedy: "log_in" } as const) : null,
      connection: phase === "done" ? connection({ name: "work" }) : null,
    },
  }) as const;

describe("loginReducer", () => {
  it("asks for a one-time code first only where a password login may need one", () => {
    expect(initialLogin(CDSE)).toEqual({ phase: "totp" });
    expect(initialLogin(BROWSER_LOGIN)).toEqual({ phase: "starting" });
    expect(initialLogin({ method: "password", totp: false })).toEqual({ phase: "starting" });
    expect(initialLogin({ method: "device_code" })).toEqual({ phase: "starting" });
    expect(initialLogin({ method: "stored" })).toEqual({ phase: "starting" });
    expect(run({ phase: "totp" }, { type: "start" })).toEqual({ phase: "starting" });
  });

  it("finishes at once when the flow needs no person", () => {
    const s = run(initialLogin(BROWSER_LOGIN), {
      type: "started",
      step: { type: "done", connection: connection({ name: "work" }) },
    });
    expect(s.phase).toBe("done");
  });

  it("waits for the browser, then finishes on the done event", () => {
    let s = run(initialLogin(BROWSER_LOGIN), { type: "started", step: BROWSER });
    expect(s).toMatchObject({ phase: "browser", step: BROWSER, paste: { phase: "idle" } });
    expect(isPending(s)).toBe(true);
    s = loginReducer(s, update("done"));
    expect(s).toMatchObject({ phase: "done", connection: { name: "work" } });
    expect(isPending(s)).toBe(false);
  });

  it("keeps the pasted-code box usable after a bad paste", () => {
    let s = run(initialLogin(BROWSER_LOGIN), { type: "started", step: BROWSER }, { type: "paste" });
    expect(s).toMatchObject({ paste: { phase: "sending" } });
    s = loginReducer(s, {
      type: "paste_failed",
      error: { code: "invalid_input", message: "that is not a code", remedy: null, fields: [] },
    });
    expect(s).toMatchObject({
      phase: "browser",
      paste: { phase: "failed", message: "that is not a code" },
    });
  });

  it("shows a device code until the event says how it ended", () => {
    let s = run(initialLogin(BROWSER_LOGIN), { type: "started", step: DEVICE });
    expect(s).toMatchObject({ phase: "device", step: { user_code: "WDJB-MJHT" } });
    s = loginReducer(s, update("failed", "the code expired"));
    expect(s).toMatchObject({
      phase: "failed",
      message: "the code expired",
      advice: "Log in again.",
    });
  });

  it("turns a failed start into words with a next step, and can start again", () => {
    const s = run(initialLogin(BROWSER_LOGIN), {
      type: "start_failed",
      error: {
        code: "storage_unavailable",
        message: "the keychain is locked",
        remedy: null,
        fields: [],
      },
    });
    expect(s).toMatchObject({ phase: "failed", message: "the keychain is locked" });
    expect(s.phase === "failed" && s.advice).toMatch(/keychain/);
    expect(loginReducer(s, { type: "start" })).toEqual({ phase: "starting" });
  });

  it("cancels while pending, and ignores late events after the end", () => {
    let s = run(
      initialLogin(BROWSER_LOGIN),
      { type: "started", step: BROWSER },
      { type: "cancel" },
    );
    expect(s).toEqual({ phase: "cancelling" });
    s = loginReducer(s, update("cancelled"));
    expect(s).toEqual({ phase: "cancelled" });
    expect(loginReducer(s, update("done"))).toEqual({ phase: "cancelled" });
    expect(loginReducer(s, { type: "started", step: BROWSER })).toEqual({ phase: "cancelled" });
  });

  it("asks for a fresh one-time code when trying again, where the login may need one", () => {
    const failedCdse = run(
      { phase: "starting" },
      {
        type: "start_failed",
        error: { code: "provider_error", message: "bad code", remedy: null, fields: [] },
      },
    );
    expect(loginReducer(failedCdse, { type: "reset", login: CDSE })).toEqual({ phase: "totp" });
    expect(loginReducer(failedCdse, { type: "reset", login: BROWSER_LOGIN })).toEqual({
      phase: "starting",
    });
    const pending = run({ phase: "starting" }, { type: "started", step: BROWSER });
    expect(loginReducer(pending, { type: "reset", login: CDSE })).toBe(pending);
  });

  it("does not let a cancel undo a finished login", () => {
    const done = run(
      initialLogin(BROWSER_LOGIN),
      { type: "started", step: BROWSER },
      update("done"),
    );
    expect(loginReducer(done, { type: "cancel" })).toBe(done);
    expect(loginReducer(done, { type: "cancelled" })).toBe(done);
  });
});
