import { describe, expect, it } from "vitest";

import {
  checkField,
  checkName,
  draftProblems,
  formFields,
  initialForm,
  movedDestinations,
  problemsByField,
  secretIsStored,
  suggestName,
  toChange,
  toInput,
  validateForm,
} from "./formModel";
import type { FormSetup } from "./formModel";
import { CDSE, CDSE_PRESET, OAUTH2, STATIC, field } from "./fixtures";

const names = (fields: { name: string }[]) => fields.map((f) => f.name);

describe("formFields", () => {
  it("puts the label first, the kind's fields next, and common fields under Advanced", () => {
    const { main, advanced } = formFields({ mode: "add", kind: OAUTH2, preset: null });
    expect(names(main)).toEqual([
      "label",
      "issuer",
      "token_url",
      "grant",
      "client_id",
      "client_secret",
      "params",
    ]);
    expect(names(advanced)).toEqual([
      "redirect_uri",
      "allow_http",
      "keep_fresh",
      "header_name",
      "refresh_before",
    ]);
  });

  it("puts a kind's advanced fields (a registered redirect URI) under Advanced too", () => {
    const { main, advanced } = formFields({ mode: "add", kind: OAUTH2, preset: null });
    expect(names(main)).not.toContain("redirect_uri");
    expect(names(advanced)).toContain("redirect_uri");
    expect(OAUTH2.fields.find((f) => f.name === "redirect_uri")?.common).toBe(false);
  });

  it("hides the fields a preset decides", () => {
    const { main } = formFields({ mode: "add", kind: CDSE, preset: CDSE_PRESET });
    expect(names(main)).toEqual(["label", "username", "password"]);
  });
});

describe("initialForm and toInput", () => {
  it("starts from the preset and sends its fixed values with what was typed", () => {
    const setup: FormSetup = { mode: "add", kind: CDSE, preset: CDSE_PRESET };
    const state = initialForm(setup);
    expect(state.values.client_id).toBe("cdse-public");
    expect(state.values.keep_fresh).toBe("true");
    expect(state.secrets).toEqual({});

    state.name = "copernicus";
    state.values.username = "  ada@example.com ";
    state.secrets.password = " pass with spaces ";
    expect(toInput(setup, state)).toEqual({
      name: "copernicus",
      kind: "cdse",
      values: {
        token_url: "https://identity.example.eu/token",
        client_id: "cdse-public",
        username: "ada@example.com",
        keep_fresh: "true",
      },
      secrets: { password: " pass with spaces " },
    });
  });

  it("leaves out empty values, so the backend applies its defaults", () => {
    const setup: FormSetup = { mode: "add", kind: OAUTH2, preset: null };
    const state = initialForm(setup);
    state.name = "work";
    state.values.client_id = "app";
    expect(toInput(setup, state).values).toEqual({ client_id: "app", keep_fresh: "true" });
  });
});

describe("toChange", () => {
  const edit = {
    name: "work",
    kind: "oauth2" as const,
    values: { issuer: "https://login.example.com", client_id: "app", keep_fresh: "true" },
    stored_secrets: ["client_secret"],
  };

  it("sends only what changed, clears emptied values, keeps untouched secrets", () => {
    const setup: FormSetup = { mode: "edit", kind: OAUTH2, edit };
    const state = initialForm(setup);
    expect(state.name).toBe("work");
    state.values.client_id = "app2";
    state.values.issuer = "";
    expect(toChange(edit, OAUTH2, state)).toEqual({
      values: { client_id: "app2", issuer: "" },
      secrets: {},
      forget: [],
    });
  });

  it("replaces or forgets a stored secret", () => {
    const setup: FormSetup = { mode: "edit", kind: OAUTH2, edit };
    const replaced = initialForm(setup);
    replaced.secrets.client_secret = "new";
    expect(toChange(edit, OAUTH2, replaced).secrets).toEqual({ client_secret: "new" });

    const forgotten = initialForm(setup);
    forgotten.forget = ["client_secret"];
    expect(toChange(edit, OAUTH2, forgotten)).toEqual({
      values: {},
      secrets: {},
      forget: ["client_secret"],
    });

    // Ticking "forget" and then typing a new value means "replace".
    forgotten.secrets.client_secret = "typed after forgetting";
    expect(toChange(edit, OAUTH2, forgotten)).toEqual({
      values: {},
      secrets: { client_secret: "typed after forgetting" },
      forget: [],
    });
  });
});

describe("movedDestinations", () => {
  const edit = {
    name: "work",
    kind: "oauth2" as const,
    values: { token_url: "https://login.example.com/token", client_id: "app" },
    stored_secrets: ["client_secret"],
  };
  const setup: FormSetup = { mode: "edit", kind: OAUTH2, edit };

  it("notices an edit of where secrets are sent, and then asks for them again", () => {
    const state = initialForm(setup);
    expect(movedDestinations(setup, state)).toEqual([]);
    state.values.client_id = "app2";
    state.values.label = "Work";
    state.values.token_url = "  https://login.example.com/token ";
    expect(movedDestinations(setup, state)).toEqual([]);
    expect(secretIsStored(setup, state, "client_secret")).toBe(true);

    state.values.token_url = "https://elsewhere.example/token";
    expect(names(movedDestinations(setup, state))).toEqual(["token_url"]);
    expect(secretIsStored(setup, state, "client_secret")).toBe(false);
    // The backend's "missing" is no longer waved away as a draft-only problem.
    const found = { client_secret: "is required with these settings" };
    expect(draftProblems(setup, state, found)).toEqual(found);

    state.values.token_url = "";
    expect(names(movedDestinations(setup, state))).toEqual(["token_url"]);
  });

  it("is empty for a new connection", () => {
    const add: FormSetup = { mode: "add", kind: OAUTH2, preset: null };
    const state = initialForm(add);
    state.values.token_url = "https://elsewhere.example/token";
    expect(movedDestinations(add, state)).toEqual([]);
  });
});

describe("validation", () => {
  it("asks for required fields in words, unless a default or a stored secret covers them", () => {
    const id = field({ name: "client_id", label: "Client ID", required: true });
    expect(checkField(id, " ")).toBe("Enter the client id.");
    expect(checkField({ ...id, default: "cdse-public" }, "")).toBeNull();
    const secret = field({ name: "password", label: "Password", type: "secret", required: true });
    expect(checkField(secret, "", true)).toBeNull();
    expect(checkField(secret, "")).toBe("Enter the password.");
  });

  it("checks the shape of URLs, integers, dates, maps and choices", () => {
    const url = field({ name: "u", type: "url" });
    expect(checkField(url, "https://login.example.com/realms/x")).toBeNull();
    expect(checkField(url, "http://127.0.0.1:8080")).toBeNull();
    expect(checkField(url, "login.example.com")).toMatch(/starting with https:\/\//);
    expect(checkField(url, "ftp://example.com")).toMatch(/starting with https:\/\//);

    const int = field({ name: "i", type: "integer" });
    expect(checkField(int, "60")).toBeNull();
    expect(checkField(int, "1.5")).toBe("Enter a whole number, like 60.");
    expect(checkField(int, "sixty")).toBe("Enter a whole number, like 60.");

    const when = field({ name: "d", type: "date_time" });
    expect(checkField(when, "2026-12-31T23:59:00Z")).toBeNull();
    expect(checkField(when, "2026-12-31T23:59:00+01:00")).toBeNull();
    expect(checkField(when, "31/12/2026")).toMatch(/like 2026-12-31T23:59:00Z/);

    const map = field({ name: "m", type: "map" });
    expect(checkField(map, "resource=https://x\n\naudience=api")).toBeNull();
    expect(checkField(map, "resource")).toBe("Write one key=value pair per line.");
    expect(checkField(map, "=value")).toBe("Write one key=value pair per line.");

    const choice = field({ name: "c", type: "choice", options: ["basic", "post"] });
    expect(checkField(choice, "post")).toBeNull();
    expect(checkField(choice, "other")).toBe("Pick one of: basic, post.");
  });

  it("checks the name like the command line does", () => {
    expect(checkName("work-api")).toBeNull();
    expect(checkName("0day")).toBeNull();
    expect(checkName("")).toMatch(/^Enter a name/);
    expect(checkName("Work API")).toMatch(/lower-case letters, digits and dashes/);
    expect(checkName("-work")).toMatch(/starting with a letter or a digit/);
    expect(checkName("a".repeat(64))).toBe("Use at most 63 characters.");
  });

  it("collects every problem of a form, skipping hidden and stored fields", () => {
    const add: FormSetup = { mode: "add", kind: STATIC, preset: null };
    const state = initialForm(add);
    state.values.expires_at = "tomorrow";
    expect(Object.keys(validateForm(add, state)).sort()).toEqual(["expires_at", "name", "token"]);

    const edit: FormSetup = {
      mode: "edit",
      kind: STATIC,
      edit: { name: "key", kind: "static", values: {}, stored_secrets: ["token"] },
    };
    const editing = initialForm(edit);
    expect(validateForm(edit, editing)).toEqual({});
    editing.forget = ["token"];
    expect(validateForm(edit, editing)).toEqual({ token: "Enter the token." });
  });

  it("ignores what the backend finds wrong with an edit only because it looks like a new draft", () => {
    const edit: FormSetup = {
      mode: "edit",
      kind: STATIC,
      edit: { name: "key", kind: "static", values: {}, stored_secrets: ["token"] },
    };
    const state = initialForm(edit);
    const found = {
      name: "is taken by another connection",
      token: "is required",
      expires_at: "is in the past",
    };
    expect(draftProblems(edit, state, found)).toEqual({ expires_at: "is in the past" });
    state.forget = ["token"];
    expect(draftProblems(edit, state, found)).toEqual({
      token: "is required",
      expires_at: "is in the past",
    });
    const add: FormSetup = { mode: "add", kind: STATIC, preset: null };
    expect(draftProblems(add, initialForm(add), found)).toBe(found);
  });

  it("keeps the first backend problem per field", () => {
    expect(
      problemsByField([
        { field: "name", message: "already taken" },
        { field: "name", message: "second" },
        { field: "issuer", message: "no discovery document" },
      ]),
    ).toEqual({ name: "already taken", issuer: "no discovery document" });
  });
});

describe("suggestName", () => {
  it.each([
    ["Work API (prod)", "work-api-prod"],
    ["  Copernicus — Sentinel-2 ", "copernicus-sentinel-2"],
    ["Ünïcödé Portal", "unicode-portal"],
    ["***", ""],
    ["x".repeat(80), "x".repeat(63)],
  ])("suggests a name for %j", (label, name) => {
    expect(suggestName(label)).toBe(name);
  });
});
