import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { onToast } from "../../app/notices";
import { acknowledgeIdentity, copyToken, listConnections, startDemo } from "../../ipc/client";
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
    startDemo: vi.fn(() => Promise.resolve([])),
    copyToken: vi.fn(() => Promise.resolve({ clears_at: NOW + 60_000 })),
    acknowledgeIdentity: vi.fn(() => Promise.reject(new Error("not scripted"))),
    onConnectionsChanged: vi.fn((handler: (change: ConnectionsChanged) => void) => {
      backend.emit = handler;
      return Promise.resolve(() => undefined);
    }),
  };
});

let host: HTMLElement;

const actions = {
  open: vi.fn(),
  add: vi.fn(),
  edit: vi.fn(),
  login: vi.fn(),
  remove: vi.fn(),
};

async function show() {
  await act(async () => {
    render(<ConnectionsPage actions={actions} />, host);
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
  it("paints the list the backend handed the page at launch at once, then asks the engine", () => {
    const launchTime = [connection({ name: "work", label: "Work API", status: "active" })];
    (window as unknown as Record<string, unknown>).__TOKENTRAY_FIRST_LIST__ = launchTime;
    backend.list = [connection({ name: "work", label: "Work API", status: "needs_login" })];
    // Rendered without waiting for anything: no command has answered yet.
    void act(() => {
      render(<ConnectionsPage actions={actions} />, host);
    });
    expect(rowOf("Work API")?.textContent).toContain("work");
    expect(host.textContent).not.toContain("Loading connections");
    expect(listConnections).toHaveBeenCalledTimes(1);
    expect(
      (window as unknown as Record<string, unknown>).__TOKENTRAY_FIRST_LIST__,
      "given once",
    ).toBeUndefined();
  });

  it("asks the engine when the page was handed no list", async () => {
    backend.list = [connection({ name: "work", label: "Work API" })];
    void act(() => {
      render(<ConnectionsPage actions={actions} />, host);
    });
    expect(host.textContent).toContain("Loading connections");
    await act(() => Promise.resolve());
    expect(rowOf("Work API")?.textContent).toContain("work");
  });

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

  it("marks a connection that allows plain http, and no other", async () => {
    backend.list = [
      connection({ name: "intranet", allow_http: true }),
      connection({ name: "cloud" }),
    ];
    await show();
    expect(rowOf("intranet")?.textContent).toContain("plain http allowed");
    expect(rowOf("cloud")?.textContent).not.toContain("plain http");
  });

  it("lists each connection with kind, status in words, identity and a countdown", async () => {
    backend.list = [
      connection({ name: "work", label: "Work API", kind: "oauth2" }),
      connection({ name: "legacy", kind: "basic", status: "signed_out", identity: null }),
    ];
    await show();

    const work = rowOf("Work API");
    expect(work?.textContent).toContain("work");
    expect(work?.textContent).toContain("OAuth 2.0 / OpenID Connect");
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

  it("offers to add a connection or to try the sandbox when there is none", async () => {
    backend.list = [];
    await show();
    await act(() => {
      host.querySelector<HTMLButtonElement>("[data-testid=empty-add]")?.click();
    });
    expect(actions.add).toHaveBeenCalledTimes(1);
    await act(async () => {
      host.querySelector<HTMLButtonElement>("[data-testid=empty-demo]")?.click();
      await Promise.resolve();
    });
    expect(startDemo).toHaveBeenCalledTimes(1);
  });

  it("offers search and sorting only once there are more than five connections", async () => {
    backend.list = ["a", "b", "c", "d", "e"].map((name) => connection({ name }));
    await show();
    expect(host.querySelector("[data-testid=search]")).toBeNull();

    backend.list = [
      ...["a", "b", "c", "d", "e"].map((name) => connection({ name })),
      connection({ name: "gis", label: "GIS portal", kind: "arcgis-token" }),
    ];
    render(null, host);
    await show();
    const search = host.querySelector<HTMLInputElement>("[data-testid=search]");
    expect(search).not.toBeNull();
    await act(() => {
      if (search === null) return;
      search.value = "arcgis";
      search.dispatchEvent(new Event("input", { bubbles: true }));
    });
    const rows = [...host.querySelectorAll("tbody tr")].map((tr) => tr.getAttribute("data-testid"));
    expect(rows).toEqual(["row-gis"]);
  });

  it("points out a login as another account until the person says OK", async () => {
    backend.list = [
      connection({
        name: "work",
        identity: { subject: "grace", name: "Grace Hopper", email: null },
        previous_identity: { subject: "ada", name: "Ada Lovelace", email: null },
      }),
      connection({ name: "home" }),
    ];
    vi.mocked(acknowledgeIdentity).mockResolvedValueOnce(connection({ name: "work" }));
    await show();
    const changed = host.querySelector("[data-testid=identity-changed-work]");
    expect(changed?.textContent).toContain("Now Grace Hopper, was Ada Lovelace");
    expect(host.querySelector("[data-testid=identity-changed-home]")).toBeNull();
    await act(async () => {
      host.querySelector<HTMLButtonElement>("[data-testid=identity-ack-work]")?.click();
      await Promise.resolve();
    });
    expect(acknowledgeIdentity).toHaveBeenCalledWith("work");
  });

  it("logs in from a signed-out row and copies from an active one, saying when it clears", async () => {
    backend.list = [
      connection({ name: "work" }),
      connection({ name: "legacy", status: "signed_out", identity: null }),
    ];
    const toasts: string[] = [];
    const stop = onToast((t) => toasts.push(t.message));
    await show();
    await act(() => {
      host.querySelector<HTMLButtonElement>("[data-testid=row-login-legacy]")?.click();
    });
    expect(actions.login).toHaveBeenCalledWith(expect.objectContaining({ name: "legacy" }));
    expect(host.querySelector("[data-testid=copy-token-legacy]")).toBeNull();

    await act(async () => {
      host.querySelector<HTMLButtonElement>("[data-testid=copy-token-work]")?.click();
      await Promise.resolve();
    });
    expect(copyToken).toHaveBeenCalledWith("work", "token");
    expect(toasts).toEqual(["Token copied — clears in 60 s"]);
    stop();
  });

  it("asks the shell to confirm a removal from the row's menu", async () => {
    backend.list = [connection({ name: "work" })];
    await show();
    const trigger = host.querySelector<HTMLButtonElement>("[data-testid=actions-work]");
    expect(trigger?.getAttribute("aria-expanded")).toBe("false");
    await act(() => {
      trigger?.click();
    });
    expect(trigger?.getAttribute("aria-expanded")).toBe("true");
    expect(document.activeElement?.getAttribute("data-testid")).toBe("actions-work-open");
    await act(() => {
      host.querySelector<HTMLButtonElement>("[data-testid=actions-work-remove]")?.click();
    });
    expect(actions.remove).toHaveBeenCalledWith(expect.objectContaining({ name: "work" }));
    expect(host.querySelector("[role=menu]")).toBeNull();
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

  it("shows a connection's warnings in its row, and none on the others", async () => {
    const warning = "careless does not verify TLS certificates (insecure_skip_verify)";
    backend.list = [
      connection({ name: "careless", warnings: [warning] }),
      connection({ name: "careful" }),
    ];
    await show();
    expect(rowOf("careless")?.querySelector('[data-testid="warning-careless"]')?.textContent).toBe(
      warning,
    );
    expect(rowOf("careful")?.querySelector(".cell-status__warning")).toBeNull();
  });
});
