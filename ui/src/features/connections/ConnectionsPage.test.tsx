import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { listConnections } from "../../ipc/client";
import type { Connection, ConnectionsChanged } from "../../ipc/client";
import { ConnectionsPage } from "./ConnectionsPage";
import { ADD_EXAMPLE } from "./EmptyState";
import { NOW, connection } from "./fixtures";

// The one door to the backend, replaced by a scripted fake.
interface FakeBackend {
  list: Connection[] | Error;
  emit: (change: ConnectionsChanged) => void;
}
const backend = vi.hoisted((): FakeBackend => ({
  list: [],
  emit: () => {
    throw new Error("nothing subscribed");
  },
}));

vi.mock("../../ipc/client", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../ipc/client")>();
  return {
    ...real,
    listConnections: vi.fn(() =>
      backend.list instanceof Error ? Promise.reject(backend.list) : Promise.resolve(backend.list),
    ),
    onConnectionsChanged: vi.fn((handler: (change: ConnectionsChanged) => void) => {
      backend.emit = handler;
      return Promise.resolve(() => undefined);
    }),
  };
});

let host: HTMLElement;

async function show() {
  await act(async () => {
    render(<ConnectionsPage />, host);
    await Promise.resolve();
  });
  await act(() => Promise.resolve());
}

const rowOf = (name: string) =>
  [...host.querySelectorAll("tbody tr")].find((tr) => tr.textContent.includes(name));

beforeEach(() => {
  vi.clearAllMocks();
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  vi.setSystemTime(NOW);
  host = document.createElement("div");
  document.body.append(host);
});

afterEach(() => {
  render(null, host);
  host.remove();
  vi.useRealTimers();
});

describe("ConnectionsPage", () => {
  it("warns when the session's end will need a login, and not otherwise", async () => {
    backend.list = [
      connection({
        name: "cdse",
        refresh_expires_at: NOW + 20 * 60_000,
        needs_login_at: NOW + 20 * 60_000,
      }),
      connection({ name: "cc", refresh_expires_at: NOW + 20 * 60_000 }),
    ];
    await show();
    expect(rowOf("cdse")?.textContent).toContain("login needed in 20m 00s");
    expect(rowOf("cc")?.textContent).toContain("session 20m 00s");
    expect(rowOf("cc")?.textContent).not.toContain("login needed");
  });

  it("lists each connection with kind, status in words, identity and a countdown", async () => {
    backend.list = [
      connection({ name: "work", label: "Work API", kind: "oauth2" }),
      connection({ name: "legacy", kind: "basic", status: "signed_out", identity: null }),
    ];
    await show();

    const work = rowOf("Work API");
    expect(work?.textContent).toContain("work");
    expect(work?.textContent).toContain("OAuth 2.0 / OIDC");
    expect(work?.textContent).toContain("Active");
    expect(work?.textContent).toContain("ada");
    expect(work?.querySelector("time")?.textContent).toBe("4m 05s");

    const legacy = rowOf("legacy");
    expect(legacy?.textContent).toContain("Signed out");
    expect(legacy?.querySelector("time")).toBeNull();
    expect(host.textContent).toContain("2 connections · 1 active");
  });

  it("ticks the countdown every second without asking the backend again", async () => {
    backend.list = [connection({ name: "work", expires_at: NOW + 2_000 })];
    await show();
    const time = () => rowOf("work")?.querySelector("time")?.textContent;
    expect(time()).toBe("2s");
    await act(() => {
      vi.advanceTimersByTime(1_000);
    });
    expect(time()).toBe("1s");
    await act(() => {
      vi.advanceTimersByTime(1_000);
    });
    expect(time()).toBe("expired");
    expect(listConnections).toHaveBeenCalledTimes(1);
  });

  it("applies change events from the backend to the shown list", async () => {
    backend.list = [connection({ name: "work" })];
    await show();
    await act(() => {
      backend.emit({
        type: "changed",
        connection: connection({
          name: "work",
          status: "needs_login",
          last_error: "refresh token revoked",
        }),
      });
    });
    expect(rowOf("work")?.textContent).toContain("Needs login");
    expect(rowOf("work")?.textContent).toContain("refresh token revoked");
    await act(() => {
      backend.emit({ type: "removed", name: "work" });
    });
    expect(host.textContent).toContain("No connections yet");
  });

  it("explains Tokentray and shows the command to add a connection when there is none", async () => {
    backend.list = [];
    await show();
    expect(host.querySelector("h1")?.textContent).toBe("No connections yet");
    expect(host.querySelector("pre code")?.textContent).toBe(ADD_EXAMPLE);
    expect(host.querySelector("table")).toBeNull();
  });

  it("shows why the list could not be read, with a way to retry", async () => {
    backend.list = new Error("could not read connections.toml: line 3");
    await show();
    const alert = host.querySelector("[role=alert]");
    expect(alert?.textContent).toContain("line 3");

    backend.list = [connection({ name: "work" })];
    await act(async () => {
      alert?.querySelector("button")?.click();
      await Promise.resolve();
    });
    expect(rowOf("work")).toBeDefined();
  });
});
