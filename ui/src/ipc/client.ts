// The one door to the backend. Only this folder imports @tauri-apps/* (ESLint enforces it);
// everything else calls these functions, so component tests mock a single module and the
// generated bindings can change shape without touching components.
//
// Commands not yet in the generated bindings are invoked by their Rust names with the
// contract's argument names; each wrapper turns a failure into an `IpcFailure`.

import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";

import type { ErrorCode } from "./bindings";
import type {
  AppStatus,
  Connection,
  ConnectionChange,
  ConnectionInput,
  ConnectionsChanged,
  CopyOutcome,
  Detail,
  EditForm,
  FieldProblem,
  IpcError,
  KindInfo,
  LoginOptions,
  LoginStep,
  LoginUpdate,
  Navigate,
  Notice,
  Preset,
  TestOutcome,
  TokenFormat,
  UiSettings,
} from "./types";

export type { ErrorCode, Identity, ProviderKind, Status, StoreKind } from "./bindings";
export type * from "./types";

/** A command failed; `error.code` says how, for branching, and `error.message` says it in words. */
export class IpcFailure extends Error {
  readonly error: IpcError;

  constructor(error: IpcError) {
    super(error.message);
    this.name = "IpcFailure";
    this.error = error;
  }
}

/** Stops a subscription. */
export type Unsubscribe = () => void;

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  "invalid_input",
  "unknown_connection",
  "already_exists",
  "needs_login",
  "provider_error",
  "invalid_config",
  "storage_unavailable",
  "forbidden",
  "cancelled",
  "internal",
]);

function fieldProblems(value: unknown): FieldProblem[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    if (typeof item !== "object" || item === null) return [];
    const { field, message } = item as Record<string, unknown>;
    return typeof field === "string" && typeof message === "string" ? [{ field, message }] : [];
  });
}

/**
 * Any rejection as an `IpcError`. Commands reject with `{ code, message, fields }`; Tauri
 * itself (an unknown command, a denied permission) rejects with a bare string.
 */
export function toIpcError(failure: unknown): IpcError {
  if (failure instanceof IpcFailure) return failure.error;
  if (
    typeof failure === "object" &&
    failure !== null &&
    "code" in failure &&
    "message" in failure
  ) {
    const { code, message } = failure;
    if (typeof code === "string" && CODES.has(code) && typeof message === "string") {
      const fields = "fields" in failure ? fieldProblems(failure.fields) : [];
      return { code: code as ErrorCode, message, fields };
    }
  }
  const message = failure instanceof Error ? failure.message : String(failure);
  return { code: "internal", message, fields: [] };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (failure) {
    throw new IpcFailure(toIpcError(failure));
  }
}

// The caller names the payload type the contract promises; the bindings will check it later.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
function subscribe<T>(event: string, handler: (payload: T) => void): Promise<Unsubscribe> {
  return listen<T>(event, (e) => {
    handler(e.payload);
  });
}

/** Every configured connection (no secrets). */
export const listConnections = (): Promise<Connection[]> => call("list_connections");

/** The provider kinds with the field definitions the CLI uses too. */
export const listKinds = (): Promise<KindInfo[]> => call("list_kinds");

/** The wizard's presets: a kind with prefilled and fixed fields. */
export const listPresets = (): Promise<Preset[]> => call("list_presets");

/** Validates a connection form without writing anything. */
export const checkConnection = (input: ConnectionInput): Promise<FieldProblem[]> =>
  call("check_connection", { input });

/** Runs the flow and whoami in a throw-away store; saves nothing. `totp`: a 2FA code, if any. */
export const testConnection = (input: ConnectionInput, totp: string | null): Promise<TestOutcome> =>
  call("test_connection", { input, totp });

/** Adds a connection; its secrets go straight to the secret store. */
export const addConnection = (input: ConnectionInput): Promise<Connection> =>
  call("add_connection", { input });

/** A connection's stored values, for the edit form (secrets only by name). */
export const connectionForm = (name: string): Promise<EditForm> =>
  call("connection_form", { name });

/** Changes a connection's values and secrets. */
export const editConnection = (name: string, change: ConnectionChange): Promise<Connection> =>
  call("edit_connection", { name, change });

/** Removes a connection and deletes its secrets. */
export const removeConnection = (name: string): Promise<void> =>
  call<null>("remove_connection", { name }).then(() => undefined);

/** Renews a connection's token now. */
export const refreshConnection = (name: string): Promise<Connection> =>
  call("refresh_connection", { name });

/** Renews every connection that can renew without a person. */
export const refreshAll = (): Promise<void> => call<null>("refresh_all").then(() => undefined);

/** Forgets a connection's tokens (and revokes them where the service allows). */
export const logout = (name: string): Promise<void> =>
  call<null>("logout", { name }).then(() => undefined);

/** Puts the token or the whole header on the clipboard; the backend writes it. */
export const copyToken = (name: string, format: TokenFormat): Promise<CopyOutcome> =>
  call("copy_token", { name, format });

/** The token itself, for an explicit "reveal" only. */
export const revealToken = (name: string): Promise<string> => call("reveal_token", { name });

/** Starts an interactive login; later progress arrives as `loginUpdate` events. */
export const startLogin = (name: string, options: LoginOptions): Promise<LoginStep> =>
  call("start_login", { name, options });

/** Completes a pending login with a pasted code or redirected URL. */
export const pasteLogin = (name: string, text: string): Promise<void> =>
  call<null>("paste_login", { name, text }).then(() => undefined);

/** Cancels a pending login. */
export const cancelLogin = (name: string): Promise<void> =>
  call<null>("cancel_login", { name }).then(() => undefined);

/** Opens an http(s) URL in the system browser. */
export const openUrl = (url: string): Promise<void> =>
  call<null>("open_url", { url }).then(() => undefined);

/** Everything the detail view shows about one connection (never a secret). */
export const connectionDetail = (name: string): Promise<Detail> =>
  call("connection_detail", { name });

/** The secret store's health, the endpoint and the settings. */
export const appStatus = (): Promise<AppStatus> => call("app_status");

/** Switches to the owner-only file store, after the person agreed. */
export const useFileStore = (): Promise<AppStatus> => call("use_file_store");

/** Saves the settings and returns them as stored. */
export const saveSettings = (settings: UiSettings): Promise<UiSettings> =>
  call("save_settings", { settings });

/** Starts the local demo providers and adds demo connections. */
export const startDemo = (): Promise<Connection[]> => call("start_demo");

/** Calls `handler` for every change the backend reports, until unsubscribed. */
export function onConnectionsChanged(
  handler: (change: ConnectionsChanged) => void,
): Promise<Unsubscribe> {
  return subscribe("connections-changed", handler);
}

/** Progress and outcome of interactive logins. */
export const onLoginUpdate = (handler: (update: LoginUpdate) => void): Promise<Unsubscribe> =>
  subscribe("login-update", handler);

/** Messages for the person: "Clipboard cleared", "Ignored a deep link…". */
export const onNotice = (handler: (notice: Notice) => void): Promise<Unsubscribe> =>
  subscribe("notice", handler);

/** The tray asked to show a connection. */
export const onNavigate = (handler: (navigate: Navigate) => void): Promise<Unsubscribe> =>
  subscribe("navigate", handler);

/** Copies text that is no secret (a snippet, a URL) from the webview itself. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Some webviews deny the async clipboard; the old way still works inside a click.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.append(area);
    area.select();
    // Deprecated, yet the only synchronous way left when the async clipboard is denied.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    const copied = document.execCommand("copy");
    area.remove();
    if (!copied) throw new IpcFailure({ code: "internal", message: "could not copy", fields: [] });
  }
}
