import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { addConnection, checkConnection, editConnection, testConnection } from "../../ipc/client";
import type { FieldError } from "../../ipc/client";
import { connection } from "../connections/fixtures";
import { KINDS, PRESETS } from "./fixtures";
import { Wizard } from "./Wizard";

const backend = vi.hoisted(() => ({ problems: [] as FieldError[] }));

vi.mock("../../ipc/client", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../ipc/client")>();
  return {
    ...real,
    listKinds: vi.fn(() => Promise.resolve(KINDS)),
    listPresets: vi.fn(() => Promise.resolve(PRESETS)),
    checkConnection: vi.fn(() => Promise.resolve(backend.problems)),
    testConnection: vi.fn(() =>
      Promise.resolve({
        ok: true,
        needs_person: false,
        identity: { subject: "ada", name: "Ada Lovelace", email: null },
        expires_at: null,
        message: "",
      }),
    ),
    addConnection: vi.fn((input: { name: string }) =>
      Promise.resolve(connection({ name: input.name })),
    ),
    connectionForm: vi.fn(() =>
      Promise.resolve({
        name: "key",
        kind: "static",
        values: { label: "API key" },
        stored_secrets: ["token"],
      }),
    ),
    editConnection: vi.fn((name: string) => Promise.resolve(connection({ name }))),
  };
});

let host: HTMLElement;
const onDone = vi.fn();
const $ = (id: string) => host.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const inputOf = (id: string) => host.querySelector<HTMLInputElement>(`[data-testid="${id}"]`);

async function settle() {
  for (let i = 0; i < 4; i++) await act(() => Promise.resolve());
}

async function type(id: string, text: string) {
  const input = inputOf(id);
  if (input === null) throw new Error(`no ${id}`);
  await act(() => {
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
  await act(async () => {
    input.dispatchEvent(new Event("blur"));
    await Promise.resolve();
  });
}

async function click(id: string) {
  await act(async () => {
    $(id)?.click();
    await Promise.resolve();
  });
  await settle();
}

async function save() {
  await act(async () => {
    $("connection-form")?.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    await Promise.resolve();
  });
  await settle();
}

beforeEach(async () => {
  vi.clearAllMocks();
  backend.problems = [];
  host = document.createElement("div");
  document.body.append(host);
  await act(() => undefined);
});

afterEach(() => {
  render(null, host);
  host.remove();
});

describe("Wizard, adding", () => {
  beforeEach(async () => {
    await act(() => {
      render(<Wizard mode="add" onDone={onDone} />, host);
    });
    await settle();
  });

  it("lists the presets in the product's order", () => {
    const ids = [...host.querySelectorAll("[data-testid^=preset-]")].map((b) =>
      b.getAttribute("data-testid"),
    );
    expect(ids).toEqual(["preset-cdse", "preset-oauth2", "preset-static"]);
  });

  it("keeps the preset's fixed fields under Advanced and suggests a name from the label", async () => {
    await click("preset-cdse");
    expect($("field-username")).not.toBeNull();
    const advanced = $("advanced");
    expect(advanced?.querySelector("[data-testid=field-token_url]")).not.toBeNull();
    expect(advanced?.querySelector("[data-testid=field-client_id]")).not.toBeNull();
    expect(advanced?.querySelector("[data-testid=field-username]")).toBeNull();
    await type("field-label", "My Copernicus");
    expect(inputOf("field-name")?.value).toBe("my-copernicus");
    await type("field-name", "cop");
    await type("field-label", "Something else");
    expect(inputOf("field-name")?.value).toBe("cop");
  });

  it("shows the redirect URI under Advanced and warns while plain http is allowed", async () => {
    await click("preset-oauth2");
    const advanced = $("advanced");
    expect(advanced?.querySelector("[data-testid=field-redirect_uri]")).not.toBeNull();
    expect($("allow-http-warning")).toBeNull();
    await click("field-allow_http");
    expect($("allow-http-warning")?.textContent).toContain("Plain http is allowed");
    await click("field-allow_http");
    expect($("allow-http-warning")).toBeNull();
  });

  it("keeps a form with missing fields from saving and says why next to each field", async () => {
    await click("preset-cdse");
    await save();
    expect(addConnection).not.toHaveBeenCalled();
    expect($("problem-name")?.textContent).toMatch(/^Enter a name/);
    expect($("problem-username")?.textContent).toBe("Enter the username.");
    expect($("problem-password")?.textContent).toBe("Enter the password.");
    expect($("field-password")?.getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement?.getAttribute("data-testid")).toBe("field-name");
  });

  it("shows the backend's problems next to the field and saves once they are gone", async () => {
    await click("preset-cdse");
    await type("field-name", "cop");
    await type("field-username", "ada");
    await type("field-password", "secret");
    expect(inputOf("field-password")?.type).toBe("password");

    backend.problems = [{ field: "username", message: "CDSE usernames are e-mail addresses" }];
    await save();
    expect($("problem-username")?.textContent).toBe("CDSE usernames are e-mail addresses");
    expect(addConnection).not.toHaveBeenCalled();

    backend.problems = [];
    await type("field-username", "ada@example.com");
    expect($("problem-username")).toBeNull();
    await save();
    expect(checkConnection).toHaveBeenCalled();
    expect(addConnection).toHaveBeenCalledWith({
      name: "cop",
      kind: "cdse",
      values: {
        token_url: "https://identity.example.eu/token",
        client_id: "cdse-public",
        username: "ada@example.com",
        keep_fresh: "true",
      },
      secrets: { password: "secret" },
    });
    expect(onDone).toHaveBeenCalledWith(expect.objectContaining({ name: "cop" }));
  });

  it("tests a connection with the 2FA code and shows who it signed in as", async () => {
    await click("preset-cdse");
    await type("field-name", "cop");
    await type("field-username", "ada@example.com");
    await type("field-password", "secret");
    await type("test-totp", "123456");
    await click("test-connection");
    expect(testConnection).toHaveBeenCalledWith(
      expect.objectContaining({ name: "cop", kind: "cdse" }),
      "123456",
    );
    expect($("test-result")?.textContent).toContain("Signed in as Ada Lovelace");
    expect(addConnection).not.toHaveBeenCalled();
  });

  it("leaves the buttons where they are while one is pressed, and checks on the release", async () => {
    await click("preset-oauth2");
    await type("field-name", "svc");
    await type("field-client_id", "app");
    vi.mocked(checkConnection).mockClear();
    const issuer = inputOf("field-issuer");
    const saveButton = $("save-connection");
    if (issuer === null || saveButton === null) throw new Error("no form");
    await act(() => {
      issuer.value = "login.example.com";
      issuer.dispatchEvent(new Event("input", { bubbles: true }));
    });
    // The press moves focus from the field to the button: nothing may appear above the button
    // before the release, or it moves away from under the pointer and the click is lost.
    await act(async () => {
      issuer.dispatchEvent(new FocusEvent("blur", { relatedTarget: saveButton }));
      await Promise.resolve();
    });
    await settle();
    expect($("problem-issuer")).toBeNull();
    expect(checkConnection).not.toHaveBeenCalled();
    await save();
    expect($("problem-issuer")?.textContent).toMatch(/starting with https:\/\//);
    expect(document.activeElement).toBe(issuer);
    expect(addConnection).not.toHaveBeenCalled();
  });

  it("checks URLs and integers on the client in plain words", async () => {
    await click("preset-oauth2");
    await type("field-issuer", "login.example.com");
    expect($("problem-issuer")?.textContent).toMatch(/starting with https:\/\//);
    await type("field-refresh_before", "soon");
    expect($("problem-refresh_before")?.textContent).toBe("Enter a whole number, like 60.");
  });
});

describe("Wizard, editing", () => {
  it("keeps a stored secret unless it is replaced or forgotten", async () => {
    await act(() => {
      render(<Wizard mode="edit" name="key" onDone={onDone} />, host);
    });
    await settle();
    expect($("field-name")?.textContent).toBe("key");
    expect(inputOf("field-token")?.placeholder).toBe("stored — leave empty to keep");

    await type("field-label", "Renamed key");
    // checkConnection judges the draft as new: its own name is "taken", its stored token "missing".
    backend.problems = [
      { field: "name", message: "is taken by another connection" },
      { field: "token", message: "is required" },
    ];
    await save();
    expect($("problem-token")).toBeNull();
    backend.problems = [];
    expect(editConnection).toHaveBeenLastCalledWith("key", {
      values: { label: "Renamed key" },
      secrets: {},
      forget: [],
    });

    await act(() => {
      const forget = inputOf("forget-token");
      if (forget === null) throw new Error("no forget box");
      forget.checked = true;
      forget.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await save();
    // The token is required: forgetting it without a new one cannot be saved.
    expect($("problem-token")?.textContent).toBe("Enter the token.");
    expect(editConnection).toHaveBeenCalledTimes(1);
    await type("field-token", "new-token");
    await save();
    expect(editConnection).toHaveBeenLastCalledWith("key", {
      values: { label: "Renamed key" },
      secrets: { token: "new-token" },
      forget: [],
    });
  });

  it("asks for the secret again, in the same step, when the edit changes where it is sent", async () => {
    vi.mocked(editConnection).mockClear();
    await act(() => {
      render(<Wizard mode="edit" name="key" onDone={onDone} />, host);
    });
    await settle();
    expect($("destination-notice")).toBeNull();
    await type("field-identity_url", "https://elsewhere.example/whoami");
    const notice = $("destination-notice")?.textContent ?? "";
    expect(notice).toContain("You changed Identity URL");
    expect(notice).toContain("deletes the stored token");
    expect(notice).toContain("Enter the token again");
    expect(inputOf("field-token")?.placeholder).not.toBe("stored — leave empty to keep");
    expect(inputOf("forget-token")).toBeNull();

    await save();
    expect($("problem-token")?.textContent).toBe("Enter the token.");
    expect(editConnection).not.toHaveBeenCalled();
    await type("field-token", "token-for-the-new-place");
    await save();
    expect(editConnection).toHaveBeenLastCalledWith("key", {
      values: { identity_url: "https://elsewhere.example/whoami" },
      secrets: { token: "token-for-the-new-place" },
      forget: [],
    });
  });
});
