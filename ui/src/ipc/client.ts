// The one door to the backend. Only this folder imports @tauri-apps/* (ESLint enforces it);
// everything else calls these functions, so component tests mock a single module.
//
// Every command and event comes from the bindings generated from the Rust types
// (`bindings.ts`, checked for drift by the Rust tests); this file only turns the generated
// `{ status, data | error }` results into values or thrown `IpcFailure`s.

import type { StartupMark } from "../lib/startup";
import { explain } from "../lib/remedy";
import { commands, events } from "./bindings";
import type {
  AppStatus,
  Connection,
  ConnectionChange,
  ConnectionInput,
  ConnectionsChanged,
  CopyFormat,
  CopyOutcome,
  Detail,
  EditForm,
  ErrorCode,
  FieldError,
  IpcError,
  KindInfo,
  LoginOptions,
  LoginStep,
  LoginUpdate,
  Navigate,
  Notice,
  Preset,
  QuitAsked,
  Remedy,
  TestOutcome,
  UiSettings,
} from "./bindings";

export type * from "./bindings";
/** How a token goes to the clipboard: bare, or as the whole header. */
export type TokenFormat = CopyFormat;
/** How a browser login's redirect comes back. */
export type { JwtParts as Jwt } from "./bindings";

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

function fieldProblems(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    if (typeof item !== "object" || item === null) return [];
    const { field, message } = item as Record<string, unknown>;
    return typeof field === "string" && typeof message === "string" ? [{ field, message }] : [];
  });
}

const REMEDIES: ReadonlySet<string> = new Set<Remedy["remedy"]>([
  "log_in",
  "store_secret",
  "set_secret",
  "check_credentials",
  "list_connections",
  "choose_another_name",
  "allow_export",
  "set_ca_file",
  "use_file_store",
]);

function remedyOf(value: unknown): Remedy | null {
  if (typeof value !== "object" || value === null || !("remedy" in value)) return null;
  const { remedy } = value;
  if (typeof remedy !== "string" || !REMEDIES.has(remedy)) return null;
  const field = "field" in value ? value.field : undefined;
  return (typeof field === "string" ? { remedy, field } : { remedy }) as Remedy;
}

/**
 * Any rejection as an `IpcError`. Commands reject with `{ code, message, remedy, fields }`; Tauri
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
      const remedy = "remedy" in failure ? remedyOf(failure.remedy) : null;
      return { code: code as ErrorCode, message, remedy, fields };
    }
  }
  const message = failure instanceof Error ? failure.message : String(failure);
  return { code: "internal", message, remedy: null, fields: [] };
}

/** Any rejection in words for the person: what happened, then what to do (see `explain`). */
export const failureText = (failure: unknown): string => explain(toIpcError(failure));

type Outcome<T> = { status: "ok"; data: T } | { status: "error"; error: IpcError };

/** The value of a generated command, or an `IpcFailure` for its error or any rejection. */
async function call<T>(result: Promise<Outcome<T>>): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = await result;
  } catch (failure) {
    throw new IpcFailure(toIpcError(failure));
  }
  if (outcome.status === "error") throw new IpcFailure(toIpcError(outcome.error));
  return outcome.data;
}

/** A command that cannot fail by contract; a Tauri-level rejection still becomes an `IpcFailure`. */
async function plain<T>(result: Promise<T>): Promise<T> {
  try {
    return await result;
  } catch (failure) {
    throw new IpcFailure(toIpcError(failure));
  }
}

const done = (): void => undefined;

/** Every configured connection (no secrets). */
export const listConnections = (): Promise<Connection[]> => call(commands.listConnections());

/** The provider kinds with the field definitions the CLI uses too. */
export const listKinds = (): Promise<KindInfo[]> => plain(commands.listKinds());

/** The wizard's presets: a kind with prefilled and fixed fields. */
export const listPresets = (): Promise<Preset[]> => plain(commands.listPresets());

/** Validates a connection form without writing anything. */
export const checkConnection = (input: ConnectionInput): Promise<FieldError[]> =>
  plain(commands.checkConnection(input));

/** Runs the flow and whoami in a throw-away store; saves nothing. `totp`: a 2FA code, if any. */
export const testConnection = (input: ConnectionInput, totp: string | null): Promise<TestOutcome> =>
  call(commands.testConnection(input, totp));

/** Adds a connection; its secrets go straight to the secret store. */
export const addConnection = (input: ConnectionInput): Promise<Connection> =>
  call(commands.addConnection(input));

/** A connection's stored values, for the edit form (secrets only by name). */
export const connectionForm = (name: string): Promise<EditForm> =>
  call(commands.connectionForm(name));

/** Changes a connection's values and secrets. */
export const editConnection = (name: string, change: ConnectionChange): Promise<Connection> =>
  call(commands.editConnection(name, change));

/** Removes a connection and deletes its secrets. */
export const removeConnection = (name: string): Promise<void> =>
  call(commands.removeConnection(name)).then(done);

/** Renews a connection's token now. */
export const refreshConnection = (name: string): Promise<Connection> =>
  call(commands.refreshConnection(name));

/** Renews every connection that can renew without a person. */
export const refreshAll = (): Promise<void> => call(commands.refreshAll()).then(done);

/** Forgets a connection's tokens (and revokes them where the service allows). */
export const logout = (name: string): Promise<void> => call(commands.logout(name)).then(done);

/** Puts the token or the whole header on the clipboard; the backend writes it. */
export const copyToken = (name: string, format: TokenFormat): Promise<CopyOutcome> =>
  call(commands.copyToken(name, format));

/** The token itself, for an explicit "reveal" only. */
export const revealToken = (name: string): Promise<string> => call(commands.revealToken(name));

/** Starts an interactive login; later progress arrives as `loginUpdate` events. */
export const startLogin = (name: string, options: LoginOptions): Promise<LoginStep> =>
  call(commands.startLogin(name, options));

/** Completes a pending login with a pasted code or redirected URL. */
export const pasteLogin = (name: string, text: string): Promise<void> =>
  call(commands.pasteLogin(name, text)).then(done);

/** Cancels a pending login. */
export const cancelLogin = (name: string): Promise<void> => plain(commands.cancelLogin(name));

/** Marks a change of account after a login as seen; returns the connection as it is now. */
export const acknowledgeIdentity = (name: string): Promise<Connection> =>
  call(commands.acknowledgeIdentity(name));

/** Opens an http(s) URL in the system browser. */
export const openUrl = (url: string): Promise<void> => call(commands.openUrl(url)).then(done);

/** Everything the detail view shows about one connection (never a secret). */
export const connectionDetail = (name: string): Promise<Detail> =>
  call(commands.connectionDetail(name));

/** The secret store's health, the endpoint and the settings. */
export const appStatus = (): Promise<AppStatus> => call(commands.appStatus());

/** Switches to the owner-only file store, after the person agreed. */
export const useFileStore = (): Promise<AppStatus> => call(commands.useFileStore());

/** Saves the settings and returns them as stored. */
export const saveSettings = (settings: UiSettings): Promise<UiSettings> =>
  call(commands.saveSettings(settings));

/** Starts the local demo providers and adds demo connections. */
export const startDemo = (): Promise<Connection[]> => call(commands.startDemo());

/** Tells the backend the first screen is painted (it logs the launch time, and the UI's
 * startup stages for the launch profile). Never fails. */
export const uiReady = (marks: StartupMark[]): Promise<void> =>
  plain(commands.uiReady(marks)).catch(done);

/**
 * The connection list as the files held it when the app started, which the backend hands the
 * page before its scripts run (src-tauri/src/startup.rs), so the first screen needs no command.
 * Given once: later callers (and windows without it) get null and ask `listConnections`.
 */
export function takeFirstList(): Connection[] | null {
  const holder = window as unknown as { __TOKENTRAY_FIRST_LIST__?: unknown };
  const list = holder.__TOKENTRAY_FIRST_LIST__;
  holder.__TOKENTRAY_FIRST_LIST__ = undefined;
  return Array.isArray(list) ? (list as Connection[]) : null;
}

/** Calls `handler` for every change the backend reports, until unsubscribed. */
export function onConnectionsChanged(
  handler: (change: ConnectionsChanged) => void,
): Promise<Unsubscribe> {
  return events.connectionsChanged.listen((e) => {
    handler(e.payload);
  });
}

/** Progress and outcome of interactive logins. */
export const onLoginUpdate = (handler: (update: LoginUpdate) => void): Promise<Unsubscribe> =>
  events.loginUpdate.listen((e) => {
    handler(e.payload);
  });

/** Messages for the person: "Clipboard cleared", "Ignored a deep link…". */
export const onNotice = (handler: (notice: Notice) => void): Promise<Unsubscribe> =>
  events.notice.listen((e) => {
    handler(e.payload);
  });

/** The tray asked to show a connection. */
export const onNavigate = (handler: (navigate: Navigate) => void): Promise<Unsubscribe> =>
  events.navigate.listen((e) => {
    handler(e.payload);
  });

/** The window was closed on a desktop without a tray: ask whether to quit. */
export const onQuitAsked = (handler: (asked: QuitAsked) => void): Promise<Unsubscribe> =>
  events.quitAsked.listen((e) => {
    handler(e.payload);
  });

/** Quits Tokentray (background renewal and the endpoint stop with it). */
export const quitApp = (): Promise<void> => plain(commands.quitApp());

/** Hides the window; Tokentray keeps running and a second launch shows it again. */
export const hideWindow = (): Promise<void> => plain(commands.hideWindow());

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
    if (!copied)
      throw new IpcFailure({
        code: "internal",
        message: "could not copy",
        remedy: null,
        fields: [],
      });
  }
}
