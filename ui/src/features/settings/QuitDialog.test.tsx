import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { IpcFailure, hideWindow, quitApp } from "../../ipc/client";
import { QuitDialog } from "./QuitDialog";

vi.mock("../../ipc/client", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../ipc/client")>();
  return {
    ...real,
    quitApp: vi.fn(() => Promise.resolve()),
    hideWindow: vi.fn(() => Promise.resolve()),
  };
});

let host: HTMLElement;
const $ = (id: string) => host.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const REASON =
  "This desktop shows no tray icons, so there is no icon to bring a hidden window back.";

beforeEach(() => {
  vi.clearAllMocks();
  host = document.createElement("div");
  document.body.append(host);
});

afterEach(() => {
  render(null, host);
  host.remove();
});

async function open(onClose = vi.fn()) {
  await act(() => {
    render(<QuitDialog reason={REASON} onClose={onClose} />, host);
  });
  return onClose;
}

describe("QuitDialog", () => {
  it("says why it asks and what quitting stops", async () => {
    await open();
    expect($("quit-reason")?.textContent).toBe(REASON);
    expect($("quit-dialog")?.textContent).toContain("stops background renewal");
  });

  it("quits only on Quit", async () => {
    const onClose = await open();
    await act(() => {
      $("quit-confirm")?.click();
    });
    expect(quitApp).toHaveBeenCalledTimes(1);
    expect(hideWindow).not.toHaveBeenCalled();
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it("keeps running hidden on request, and Cancel or Escape do neither", async () => {
    const onClose = await open();
    await act(() => {
      $("quit-cancel")?.click();
    });
    await act(() => {
      $("quit-dialog")?.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape" }));
    });
    expect(onClose).toHaveBeenCalledTimes(2);
    expect(quitApp).not.toHaveBeenCalled();
    expect(hideWindow).not.toHaveBeenCalled();

    await act(() => {
      $("quit-keep-running")?.click();
    });
    expect(hideWindow).toHaveBeenCalledTimes(1);
    expect(quitApp).not.toHaveBeenCalled();
  });

  it("shows why the window could not be hidden, and stays open", async () => {
    vi.mocked(hideWindow).mockRejectedValueOnce(
      new IpcFailure({ code: "internal", message: "the window is gone", fields: [], remedy: null }),
    );
    const onClose = await open();
    await act(async () => {
      $("quit-keep-running")?.click();
      await Promise.resolve();
    });
    expect(host.querySelector('[role="alert"]')?.textContent).toContain("the window is gone");
    expect(onClose).not.toHaveBeenCalled();
  });
});
