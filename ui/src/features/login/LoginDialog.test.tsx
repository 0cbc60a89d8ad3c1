import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { cancelLogin, openUrl, pasteLogin, startLogin } from "../../ipc/client";
import type { LoginStep, LoginUpdate } from "../../ipc/client";
import { NOW, connection } from "../connections/fixtures";
import { LoginDialog } from "./LoginDialog";

const backend = vi.hoisted(() => ({
  step: null as LoginStep | Error | null,
  emit: (update: LoginUpdate): void => {
    throw new Error(`nothing subscribed for ${update.name}`);
  },
}));

vi.mock("../../ipc/client", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../ipc/client")>();
  return {
    ...real,
    startLogin: vi.fn(() =>
      backend.step instanceof Error
        ? Promise.reject(backend.step)
        : backend.step === null
          ? new Promise(() => undefined)
          : Promise.resolve(backend.step),
    ),
    pasteLogin: vi.fn(() => Promise.resolve()),
    cancelLogin: vi.fn(() => Promise.resolve()),
    openUrl: vi.fn(() => Promise.resolve()),
    copyText: vi.fn(() => Promise.resolve()),
    onLoginUpdate: vi.fn((handler: (u: LoginUpdate) => void) => {
      backend.emit = handler;
      return Promise.resolve(() => undefined);
    }),
  };
});

let host: HTMLElement;
const onClose = vi.fn();
const $ = (id: string) => host.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const inputOf = (id: string) => host.querySelector<HTMLInputElement>(`[data-testid="${id}"]`);

async function open(kind: "oauth2" | "cdse" = "oauth2") {
  await act(async () => {
    render(<LoginDialog connection={connection({ name: "work", kind })} onClose={onClose} />, host);
    await Promise.resolve();
  });
  await act(() => Promise.resolve());
}

async function type(input: HTMLInputElement | null, text: string) {
  await act(() => {
    if (input === null) throw new Error("no input");
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

async function submit(form: Element | null | undefined) {
  await act(async () => {
    form?.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    await Promise.resolve();
  });
  await act(() => Promise.resolve());
}

const browserStep = (mode: "loopback" | "oob"): LoginStep => ({
  type: "browser",
  url: "https://login.example.com/authorize?state=s",
  redirect_uri: "http://127.0.0.1:4567/callback",
  mode,
  browser_opened: true,
});

beforeEach(() => {
  vi.clearAllMocks();
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  vi.setSystemTime(NOW);
  backend.step = null;
  host = document.createElement("div");
  document.body.append(host);
});

afterEach(() => {
  render(null, host);
  host.remove();
  vi.useRealTimers();
});

describe("LoginDialog", () => {
  it("asks Copernicus for a six-digit code before starting, and sends it once", async () => {
    await open("cdse");
    expect(startLogin).not.toHaveBeenCalled();
    const code = inputOf("login-totp");
    expect(code?.getAttribute("autocomplete")).toBe("one-time-code");
    expect(document.activeElement).toBe(code);

    await type(code, "12345");
    await submit(code?.form);
    expect(host.textContent).toContain("Enter the 6 digits");
    expect(startLogin).not.toHaveBeenCalled();

    await type(code, "123 456");
    await submit(code?.form);
    expect(startLogin).toHaveBeenCalledWith("work", { redirect: null, totp: "123456" });
  });

  it("waits for the browser, offers to open it again, and ends on the done event", async () => {
    backend.step = browserStep("loopback");
    await open();
    expect(startLogin).toHaveBeenCalledWith("work", { redirect: null, totp: null });
    expect($("login-status")?.textContent).toContain("Waiting for you to sign in in your browser");
    expect($("login-url")?.textContent).toBe("https://login.example.com/authorize?state=s");
    // Other modes keep the paste box behind a disclosure.
    expect($("login-paste")?.closest("details")).not.toBeNull();

    await act(() => {
      $("login-open-again")?.click();
    });
    expect(openUrl).toHaveBeenCalledWith("https://login.example.com/authorize?state=s");

    await act(() => {
      backend.emit({
        name: "other",
        phase: "failed",
        message: "not ours",
        code: "needs_login",
        remedy: { remedy: "log_in" },
        connection: null,
      });
    });
    expect(host.textContent).not.toContain("not ours");
    await act(() => {
      backend.emit({
        name: "work",
        phase: "done",
        message: null,
        code: null,
        remedy: null,
        connection: connection({
          name: "work",
          identity: { subject: "ada", name: "Ada", email: null },
        }),
      });
    });
    expect($("login-status")?.textContent).toContain("Logged in as Ada");
    expect($("login-cancel")).toBeNull();
    $("login-close")?.click();
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it("shows the paste box at once for out-of-band logins and hands it the text", async () => {
    backend.step = browserStep("oob");
    await open();
    const paste = inputOf("login-paste");
    expect(paste?.closest("details")).toBeNull();
    await type(paste, "  4/0AbCdEf  ");
    await submit(paste?.form);
    expect(pasteLogin).toHaveBeenCalledWith("work", "4/0AbCdEf");
  });

  it("shows a device code, its QR image and a live expiry countdown", async () => {
    backend.step = {
      type: "device",
      user_code: "WDJB-MJHT",
      verification_uri: "https://login.example.com/device",
      verification_uri_complete: "https://login.example.com/device?code=WDJB-MJHT",
      expires_at: NOW + 600_000,
      qr_svg: "data:image/svg+xml;base64,PHN2Zy8+",
    };
    await open();
    expect($("login-user-code")?.textContent).toBe("WDJB-MJHT");
    expect($("login-qr")?.getAttribute("src")).toBe("data:image/svg+xml;base64,PHN2Zy8+");
    expect($("login-code-expiry")?.textContent).toContain("10m 00s");
    await act(() => {
      vi.advanceTimersByTime(61_000);
    });
    expect($("login-code-expiry")?.textContent).toContain("8m 59s");
  });

  it("cancels a pending login with the Cancel button and says so", async () => {
    backend.step = browserStep("loopback");
    await open();
    await act(async () => {
      $("login-cancel")?.click();
      await Promise.resolve();
    });
    await act(() => Promise.resolve());
    expect(cancelLogin).toHaveBeenCalledWith("work");
    expect($("login-status")?.textContent).toContain("cancelled");
    expect(onClose).not.toHaveBeenCalled();
    expect($("login-retry")).not.toBeNull();
  });

  it("cancels a pending login on Escape and closes", async () => {
    backend.step = browserStep("loopback");
    await open();
    await act(async () => {
      $("login-dialog")?.dispatchEvent(
        new KeyboardEvent("keydown", { key: "Escape", bubbles: true }),
      );
      await Promise.resolve();
    });
    await act(() => Promise.resolve());
    expect(cancelLogin).toHaveBeenCalledWith("work");
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it("says what failed and what to do next, and can try again", async () => {
    const { IpcFailure } =
      await vi.importActual<typeof import("../../ipc/client")>("../../ipc/client");
    backend.step = new IpcFailure({
      code: "provider_error",
      message: "the token endpoint answered 503",
      remedy: null,
      fields: [],
    });
    await open();
    const status = $("login-status");
    expect(status?.getAttribute("role")).toBe("alert");
    expect(status?.textContent).toContain("the token endpoint answered 503");
    expect(status?.textContent).toContain("Check your network");

    backend.step = browserStep("loopback");
    await act(async () => {
      $("login-retry")?.click();
      await Promise.resolve();
    });
    expect(startLogin).toHaveBeenCalledTimes(2);
  });
});
