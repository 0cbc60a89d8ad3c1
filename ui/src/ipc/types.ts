// The IPC contract's types, written by hand from the contract (and the shapes the backend is
// generating) until the generated bindings carry them. Only client.ts imports this file; once bindings.ts declares a type, client.ts
// re-exports the generated one instead and the copy here goes.

import type {
  Connection as GeneratedConnection,
  ErrorCode,
  Identity,
  ProviderKind,
  StoreKind,
} from "./bindings";

/** A connection as the UI shows it (never a secret). */
export type Connection = GeneratedConnection & {
  /** What precedes the token in the header ("Bearer", "Basic", or "" for none). */
  header_prefix: string;
  /** The token file kept fresh for other tools, when one is configured. */
  token_file: string | null;
  /** Whether an interactive login is under way. */
  login_pending: boolean;
};

/** One problem with one field of a connection form; `field` is "name" for the name. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** A command's failure. */
export interface IpcError {
  code: ErrorCode;
  /** What went wrong and what to do about it, for people. */
  message: string;
  /** Per-field problems of a form, empty when the failure is not about one field. */
  fields: FieldProblem[];
}

export type FieldType =
  "text" | "url" | "secret" | "bool" | "integer" | "choice" | "map" | "date_time" | "path";

export interface FieldInfo {
  name: string;
  label: string;
  type: FieldType;
  /** The choices of a `choice` field. */
  options: string[];
  required: boolean;
  default: string | null;
  help: string;
  /** A field every kind has (label, keep_fresh, export, header_*, token_file…). */
  common: boolean;
}

export interface KindInfo {
  kind: ProviderKind;
  title: string;
  summary: string;
  fields: FieldInfo[];
}

export interface Preset {
  id: string;
  title: string;
  summary: string;
  kind: ProviderKind;
  /** Prefilled values. */
  values: Partial<Record<string, string>>;
  /** Fields the preset decides; the form hides them. */
  fixed: string[];
}

export interface ConnectionInput {
  name: string;
  kind: ProviderKind;
  values: Partial<Record<string, string>>;
  secrets: Partial<Record<string, string>>;
}

export interface TestOutcome {
  ok: boolean;
  /** The flow needs a person (a browser login), so the test stopped before it. */
  needs_person: boolean;
  identity: Identity | null;
  expires_at: number | null;
  message: string;
}

export interface EditForm {
  name: string;
  kind: ProviderKind;
  values: Partial<Record<string, string>>;
  /** The secret fields that have a value in the store. */
  stored_secrets: string[];
}

export interface ConnectionChange {
  /** Changed values; "" clears a value. */
  values: Partial<Record<string, string>>;
  /** Replaced secrets. */
  secrets: Partial<Record<string, string>>;
  /** Secret fields to delete from the store. */
  forget: string[];
}

export type TokenFormat = "token" | "header";

export interface CopyOutcome {
  /** When the clipboard will be cleared, or null when it is left alone. */
  clears_at: number | null;
}

export type RedirectMode = "auto" | "loopback" | "deep-link" | "oob";

export interface LoginOptions {
  redirect: RedirectMode | null;
  totp: string | null;
}

export type LoginStep =
  | { type: "done"; connection: Connection }
  | {
      type: "browser";
      url: string;
      redirect_uri: string;
      mode: RedirectMode;
      browser_opened: boolean;
    }
  | {
      type: "device";
      user_code: string;
      verification_uri: string;
      verification_uri_complete: string | null;
      expires_at: number | null;
      /** A data: URL for <img src>. */
      qr_svg: string;
    };

export interface Jwt {
  /** Pretty-printed JSON. */
  header: string;
  /** Pretty-printed JSON. */
  claims: string;
}

export interface HistoryEntry {
  at: number | null;
  outcome: "renewed" | "failed" | "logged_out";
  message: string | null;
}

export interface AuditRecord {
  at: number | null;
  route: string;
  client: string | null;
  process: string | null;
}

export interface Detail {
  connection: Connection;
  jwt: Jwt | null;
  scopes: string[];
  history: HistoryEntry[];
  audit: AuditRecord[];
  endpoint_url: string | null;
  stored_secrets: string[];
  next_renewal: number | null;
  token_type: string | null;
}

export type StoreHealth = "ok" | "unavailable" | "locked" | "timeout";

export interface UiSettings {
  /** 0 = never. */
  clipboard_clear_secs?: number;
  notify_session_end_mins?: number;
  autostart?: boolean;
}

export interface AppStatus {
  store: StoreKind;
  /** Where exactly: the keychain's name or the file's path. */
  store_location: string;
  /** Where secrets will live after a restart, when that differs from `store`. */
  store_after_restart: StoreKind | null;
  store_health: StoreHealth;
  store_message: string | null;
  endpoint_url: string | null;
  settings: UiSettings;
}

export type ConnectionsChanged =
  | { type: "changed"; connection: Connection }
  | { type: "removed"; name: string }
  | { type: "resync" };

export interface LoginUpdate {
  name: string;
  phase: "done" | "failed" | "cancelled";
  message: string | null;
  connection: Connection | null;
}

export interface Notice {
  level: "info" | "warning" | "error";
  message: string;
}

export interface Navigate {
  name: string;
  /** The tray asked to log this connection in. */
  login: boolean;
}
