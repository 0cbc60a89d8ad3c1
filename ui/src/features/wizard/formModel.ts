// The connection form as data: which fields show where, the first values, client-side checks
// in plain words, and what is sent to the backend. Pure, so every rule is tested without
// rendering. The backend's `checkConnection` has the last word; these checks only catch the
// obvious early.

import type {
  ConnectionChange,
  ConnectionInput,
  EditForm,
  FieldInfo,
  KindInfo,
  Preset,
} from "../../ipc/client";

/** What the form is for: a new connection (maybe from a preset) or an existing one. */
export type FormSetup =
  | { mode: "add"; kind: KindInfo; preset: Preset | null }
  | { mode: "edit"; kind: KindInfo; edit: EditForm };

export interface FormState {
  name: string;
  /** Every non-secret field as text; booleans are "true", "false" or "" (the default). */
  values: Record<string, string>;
  /** Secrets typed in this session; empty means "keep what is stored" in edit mode. */
  secrets: Record<string, string>;
  /** Stored secrets to delete (edit mode). */
  forget: string[];
}

/** Problems by field name ("name" for the connection name). */
export type Problems = Partial<Record<string, string>>;

/** The connection name rule the CLI and the endpoint share. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;

const trimmed = (field: FieldInfo | undefined, text: string): string =>
  field?.type === "secret" || field?.type === "map" ? text : text.trim();

const fixedFields = (setup: FormSetup): ReadonlySet<string> =>
  new Set(setup.mode === "add" ? (setup.preset?.fixed ?? []) : []);

/**
 * The fields a person sees: the label first, then the kind's own fields, and the fields every
 * kind has (and a kind's rarely needed ones, like a registered redirect URI) under "Advanced". Fields a preset decides (the service's endpoints) come first under
 * "Advanced": out of the way, yet still there for another Keycloak realm or a test instance.
 */
export function formFields(setup: FormSetup): { main: FieldInfo[]; advanced: FieldInfo[] } {
  const fixed = fixedFields(setup);
  const fields = setup.kind.fields;
  const own = fields.filter((f) => !fixed.has(f.name) && f.name !== "label");
  return {
    main: [...fields.filter((f) => f.name === "label"), ...own.filter((f) => !f.advanced)],
    advanced: [...fields.filter((f) => fixed.has(f.name)), ...own.filter((f) => f.advanced)],
  };
}

/** A field's first text: the given value, else a checkbox's default, else empty. */
function startValue(field: FieldInfo, from: Partial<Record<string, string>>): string {
  return from[field.name] ?? (field.type === "bool" ? (field.default ?? "") : "");
}

/** The form's first state: a preset's values for a new connection, the stored ones for an edit. */
export function initialForm(setup: FormSetup): FormState {
  const values: Record<string, string> = {};
  const from = setup.mode === "add" ? (setup.preset?.values ?? {}) : setup.edit.values;
  for (const field of setup.kind.fields) {
    if (field.type !== "secret") values[field.name] = startValue(field, from);
  }
  return {
    name: setup.mode === "edit" ? setup.edit.name : "",
    values,
    secrets: {},
    forget: [],
  };
}

/** A name suggested from the label: "Work API (prod)" → "work-api-prod". */
export function suggestName(label: string): string {
  return label
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
}

/** A field's effective text: as typed, or its default when left empty. */
function effective(field: FieldInfo, text: string): string {
  const value = trimmed(field, text);
  return value === "" ? (field.default ?? "") : value;
}

/**
 * The fields deciding where secrets are sent (endpoint URLs, proxy, TLS, client authentication,
 * redirect) that this edit changes. Saving such a change deletes the stored secrets and tokens,
 * so the form asks for the secrets again in the same step.
 */
export function movedDestinations(setup: FormSetup, state: FormState): FieldInfo[] {
  if (setup.mode !== "edit") return [];
  const edit = setup.edit;
  return setup.kind.fields.filter(
    (field) =>
      field.destination &&
      field.type !== "secret" &&
      effective(field, state.values[field.name] ?? "") !==
        effective(field, startValue(field, edit.values)),
  );
}

/**
 * Whether a secret field has a value the form may leave empty: one stored, not forgotten, and
 * not about to be deleted because the edit changes where secrets are sent.
 */
export function secretIsStored(setup: FormSetup, state: FormState, field: string): boolean {
  return (
    setup.mode === "edit" &&
    setup.edit.stored_secrets.includes(field) &&
    !state.forget.includes(field) &&
    movedDestinations(setup, state).length === 0
  );
}

function isWebAddress(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** The problem with one field's text, in plain words, or null. */
export function checkField(field: FieldInfo, text: string, stored = false): string | null {
  const value = text.trim();
  if (value === "") {
    const needed = field.required && field.default === null && field.type !== "bool";
    return needed && !stored ? `Enter the ${field.label.toLowerCase()}.` : null;
  }
  switch (field.type) {
    case "url":
      return isWebAddress(value)
        ? null
        : "Enter a full web address starting with https://, like https://example.com.";
    case "integer":
      return /^\d+$/.test(value) ? null : "Enter a whole number, like 60.";
    case "date_time":
      return RFC3339.test(value) && !Number.isNaN(Date.parse(value))
        ? null
        : "Enter a date and time like 2026-12-31T23:59:00Z.";
    case "map":
      return value.split("\n").every((line) => line.trim() === "" || /^\s*[^=\s][^=]*=/.test(line))
        ? null
        : "Write one key=value pair per line.";
    case "choice":
      return field.options.includes(value) ? null : `Pick one of: ${field.options.join(", ")}.`;
    default:
      return null;
  }
}

/** The problem with the connection name, or null. */
export function checkName(name: string): string | null {
  if (name === "") return "Enter a name; tools and the command line use it to ask for the token.";
  if (name.length > 63) return "Use at most 63 characters.";
  return NAME_PATTERN.test(name)
    ? null
    : "Use lower-case letters, digits and dashes, starting with a letter or a digit.";
}

/** Every problem the form shows before asking the backend. */
export function validateForm(setup: FormSetup, state: FormState): Problems {
  const problems: Problems = {};
  const nameProblem = setup.mode === "add" ? checkName(state.name) : null;
  if (nameProblem !== null) problems.name = nameProblem;
  const { main, advanced } = formFields(setup);
  for (const field of [...main, ...advanced]) {
    const text =
      field.type === "secret"
        ? (state.secrets[field.name] ?? "")
        : (state.values[field.name] ?? "");
    const problem = checkField(field, text, secretIsStored(setup, state, field.name));
    if (problem !== null) problems[field.name] = problem;
  }
  return problems;
}

/** What `checkConnection`, `testConnection` and `addConnection` receive. */
export function toInput(setup: FormSetup, state: FormState): ConnectionInput {
  const fields = new Map(setup.kind.fields.map((f) => [f.name, f]));
  const preset = setup.mode === "add" ? (setup.preset?.values ?? {}) : {};
  const values: Record<string, string> = {};
  for (const [name, text] of Object.entries(state.values)) {
    const value = trimmed(fields.get(name), text);
    // Empty means "the default"; a preset's values always go, so the backend sees the preset.
    if (value !== "" || preset[name] !== undefined) values[name] = value;
  }
  const secrets: Record<string, string> = {};
  for (const [name, text] of Object.entries(state.secrets)) if (text !== "") secrets[name] = text;
  return {
    name: setup.mode === "edit" ? setup.edit.name : state.name.trim(),
    kind: setup.kind.kind,
    values,
    secrets,
  };
}

/**
 * What `editConnection` receives: changed values ("" clears), new secrets, and the stored
 * secrets to forget.
 */
export function toChange(edit: EditForm, kind: KindInfo, state: FormState): ConnectionChange {
  const fields = new Map(kind.fields.map((f) => [f.name, f]));
  const values: Record<string, string> = {};
  for (const [name, text] of Object.entries(state.values)) {
    const field = fields.get(name);
    const value = trimmed(field, text);
    const before = field === undefined ? (edit.values[name] ?? "") : startValue(field, edit.values);
    if (value !== before) values[name] = value;
  }
  const secrets: Record<string, string> = {};
  for (const [name, text] of Object.entries(state.secrets)) if (text !== "") secrets[name] = text;
  // A secret typed anew replaces the stored one, even when "forget" was ticked first.
  return { values, secrets, forget: state.forget.filter((name) => secrets[name] === undefined) };
}

/** Backend problems as a map, keeping the first message per field. */
export function problemsByField(list: readonly { field: string; message: string }[]): Problems {
  const problems: Problems = {};
  for (const { field, message } of list) problems[field] ??= message;
  return problems;
}

/**
 * The backend's problems that apply to the form. `checkConnection` judges a draft as if it were
 * new, so in edit mode it finds the connection's own name taken and its stored secrets
 * missing; neither is a problem of an edit (`editConnection` checks the real thing).
 */
export function draftProblems(setup: FormSetup, state: FormState, problems: Problems): Problems {
  if (setup.mode === "add") return problems;
  return Object.fromEntries(
    Object.entries(problems).filter(
      ([field]) => field !== "name" && !secretIsStored(setup, state, field),
    ),
  );
}
