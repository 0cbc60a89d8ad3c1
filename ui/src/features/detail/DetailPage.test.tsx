import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { connectionDetail, revealToken } from "../../ipc/client";
import type { Detail } from "../../ipc/client";
import { NOW, connection } from "../connections/fixtures";
import { DetailPage } from "./DetailPage";

const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl";

const detail = (): Detail => ({
  connection: connection({
    name: "gis",
    label: "GIS portal",
    kind: "arcgis-token",
    header_name: "X-Esri-Authorization",
    header_prefix: "Bearer",
    referer: "https://maps.example.org/app",
    allow_http: true,
  }),
  token_type: "Bearer",
  jwt: { header: '{\n  "alg": "RS256"\n}', claims: '{\n  "sub": "ada"\n}' },
  scopes: ["read", "write"],
  history: [{ at: NOW - 60_000, outcome: "renewed", message: null }],
  audit: [
    {
      at: NOW - 5_000,
      connection: "gis",
      via: "GET /v1/connections/gis/token",
      client: "curl",
      process: null,
    },
  ],
  endpoint_url: "http://127.0.0.1:7781",
  endpoint_default_taken: null,
  stored_secrets: ["password"],
  next_renewal: NOW + 120_000,
});

vi.mock("../../ipc/client", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../ipc/client")>();
  return {
    ...real,
    connectionDetail: vi.fn(() => Promise.resolve(detail())),
    revealToken: vi.fn(() => Promise.resolve(TOKEN)),
    onConnectionsChanged: vi.fn(() => Promise.resolve(() => undefined)),
  };
});

let host: HTMLElement;
const $ = (id: string) => host.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const actions = { open: vi.fn(), add: vi.fn(), edit: vi.fn(), login: vi.fn(), remove: vi.fn() };

beforeEach(async () => {
  vi.clearAllMocks();
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  vi.setSystemTime(NOW);
  host = document.createElement("div");
  document.body.append(host);
  await act(async () => {
    render(<DetailPage name="gis" actions={actions} onBack={vi.fn()} />, host);
    await Promise.resolve();
  });
  await act(() => Promise.resolve());
});

afterEach(() => {
  render(null, host);
  host.remove();
  vi.useRealTimers();
});

describe("DetailPage", () => {
  it("shows the decoded token, scopes, history, hand-outs and where the secrets live", () => {
    expect(connectionDetail).toHaveBeenCalledWith("gis");
    expect(host.querySelector("h1")?.textContent).toBe("GIS portal");
    expect($("jwt-claims")?.textContent).toContain('"sub": "ada"');
    expect(host.textContent).toContain("read");
    expect($("history")?.textContent).toContain("Renewed");
    expect($("audit")?.textContent).toContain("curl");
    expect($("detail-store")?.textContent).toContain("keychain");
    expect($("detail-store")?.textContent).toContain("password");
    expect($("detail-endpoint")?.textContent).toBe(
      "http://127.0.0.1:7781/v1/connections/gis/token",
    );
  });

  it("says when the default port was taken and the endpoint listens elsewhere", async () => {
    expect($("detail-endpoint-note")).toBeNull();
    vi.mocked(connectionDetail).mockResolvedValueOnce({
      ...detail(),
      endpoint_default_taken: 47210,
    });
    render(null, host);
    await act(async () => {
      render(<DetailPage name="gis" actions={actions} onBack={vi.fn()} />, host);
      await Promise.resolve();
    });
    await act(() => Promise.resolve());
    expect($("detail-endpoint")?.textContent).toContain("http://127.0.0.1:7781/");
    expect($("detail-endpoint-note")?.textContent).toContain(
      "the default port 47210 is taken by another program",
    );
  });

  it("builds snippets from the connection's header, without the token", () => {
    expect($("snippet-curl")?.textContent).toContain(
      "X-Esri-Authorization: Bearer $(tokentray token gis)",
    );
    expect($("snippets")?.textContent).not.toContain(TOKEN);
  });

  it("shows the referer to send and warns that plain http is allowed", () => {
    expect($("detail-referer")?.textContent).toContain("https://maps.example.org/app");
    expect($("snippet-curl")?.textContent).toContain('-H "Referer: https://maps.example.org/app"');
    expect($("detail-allow-http")?.textContent).toContain("Plain http is allowed");
  });

  it("reveals the token only when asked, masked until shown", async () => {
    expect(revealToken).not.toHaveBeenCalled();
    expect(host.textContent).not.toContain(TOKEN);
    await act(async () => {
      $("reveal-token")?.click();
      await Promise.resolve();
    });
    const field = () => host.querySelector<HTMLInputElement>("[data-testid=revealed-token]");
    expect(revealToken).toHaveBeenCalledWith("gis");
    expect(field()?.type).toBe("password");
    await act(() => {
      $("reveal-toggle")?.click();
    });
    expect(field()?.type).toBe("text");
    expect(field()?.value).toBe(TOKEN);
    await act(() => {
      $("reveal-hide")?.click();
    });
    expect(field()).toBeNull();
  });

  it("hands login, edit and remove to the shell", async () => {
    await act(() => {
      $("detail-edit")?.click();
      $("detail-remove")?.click();
      $("detail-login")?.click();
    });
    expect(actions.edit).toHaveBeenCalledWith("gis");
    expect(actions.remove).toHaveBeenCalledWith(expect.objectContaining({ name: "gis" }));
    expect(actions.login).toHaveBeenCalledWith(expect.objectContaining({ name: "gis" }));
  });
});
