import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { useFileStore } from "../../ipc/client";
import type { AppStatus } from "../../ipc/client";
import { StoreBanner } from "./StoreBanner";

const status = (overrides: Partial<AppStatus> = {}): AppStatus => ({
  store: "keychain",
  store_location: "Secret Service",
  store_health: "unavailable",
  store_message: "no Secret Service on the session bus",
  store_after_restart: null,
  endpoint_url: null,
  endpoint_default_taken: null,
  tray_available: true,
  settings: { clipboard_clear_secs: 60, notify_session_end_mins: 15, autostart: false },
  ...overrides,
});

vi.mock("../../ipc/client", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../ipc/client")>();
  return {
    ...real,
    useFileStore: vi.fn(() => Promise.resolve(status({ store_after_restart: "file" }))),
  };
});

let host: HTMLElement;
const $ = (id: string) => host.querySelector<HTMLElement>(`[data-testid="${id}"]`);

beforeEach(() => {
  vi.clearAllMocks();
  host = document.createElement("div");
  document.body.append(host);
});

afterEach(() => {
  render(null, host);
  host.remove();
});

describe("StoreBanner", () => {
  it("stays away while the keychain answers", async () => {
    await act(() => {
      render(<StoreBanner status={status({ store_health: "ok" })} onChange={vi.fn()} />, host);
    });
    expect($("store-banner")).toBeNull();
  });

  it("explains the problem and switches to the file store only after a warning", async () => {
    const onChange = vi.fn();
    await act(() => {
      render(<StoreBanner status={status()} onChange={onChange} />, host);
    });
    expect($("store-banner")?.textContent).toContain("No keychain is reachable");
    expect($("store-banner")?.textContent).toContain("no Secret Service on the session bus");

    await act(() => {
      $("use-file-store")?.click();
    });
    expect(useFileStore).not.toHaveBeenCalled();
    expect($("file-store-dialog")?.textContent).toContain("0600");
    expect($("file-store-dialog")?.textContent).toContain("any program running as you");

    await act(async () => {
      $("confirm-file-store")?.click();
      await Promise.resolve();
    });
    expect(useFileStore).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ store_after_restart: "file" }));
  });

  it("asks for a restart when the switch waits for one", async () => {
    await act(() => {
      render(
        <StoreBanner status={status({ store_after_restart: "file" })} onChange={vi.fn()} />,
        host,
      );
    });
    expect($("store-banner")?.textContent).toContain("Restart Tokentray");
    expect($("use-file-store")).toBeNull();
  });
});
