// The login dialog's states and transitions, as a pure reducer. The dialog dispatches what
// happened (the person asked to start, the backend answered, an event arrived) and renders
// the state; tests drive the reducer directly.

import type {
  Connection,
  ErrorCode,
  IpcError,
  LoginMethod,
  LoginStep,
  LoginUpdate,
  Remedy,
} from "../../ipc/client";
import { remedyAdvice } from "../../lib/remedy";

export type BrowserStep = Extract<LoginStep, { type: "browser" }>;
export type DeviceStep = Extract<LoginStep, { type: "device" }>;

export type PasteState =
  { phase: "idle" } | { phase: "sending" } | { phase: "failed"; message: string };

export type LoginState =
  /** A login that asks for a one-time code (the engine's `login` says so): asked before the flow starts. */
  | { phase: "totp" }
  | { phase: "starting" }
  | { phase: "browser"; step: BrowserStep; paste: PasteState }
  | { phase: "device"; step: DeviceStep }
  | { phase: "done"; connection: Connection | null }
  | { phase: "failed"; message: string; advice: string }
  | { phase: "cancelling" }
  | { phase: "cancelled" };

export type LoginEvent =
  | { type: "start" }
  | { type: "started"; step: LoginStep }
  | { type: "start_failed"; error: IpcError }
  | { type: "update"; update: LoginUpdate }
  | { type: "paste" }
  | { type: "paste_failed"; error: IpcError }
  | { type: "cancel" }
  | { type: "cancelled" }
  /** Back to the beginning after a failure, asking for a new one-time code where needed. */
  | { type: "reset"; login: LoginMethod };

/** Whether logging in asks for a one-time code first: the engine's word for a password login
 * that may need one (a Copernicus account with 2FA). */
export const loginAsksTotp = (login: LoginMethod): boolean =>
  login.method === "password" && login.totp;

/** The first state of a login; `login` is the connection's (how the engine says it logs in). */
export function initialLogin(login: LoginMethod): LoginState {
  return loginAsksTotp(login) ? { phase: "totp" } : { phase: "starting" };
}

/** What to do next after a failure without a remedy, by code; the message says what happened. */
export function adviceFor(code: ErrorCode | null): string {
  switch (code) {
    case "needs_login":
    case "forbidden":
      return "Check the account details and try again. If they changed, edit the connection first.";
    case "provider_error":
      return "The service did not accept the login or could not be reached. Check your network and the connection's addresses, then try again.";
    case "invalid_config":
    case "invalid_input":
      return "Edit the connection to fix its settings, then log in again.";
    case "storage_unavailable":
      return "Tokentray could not reach your keychain. Unlock it, or switch to the file store from the banner, then try again.";
    case "unknown_connection":
      return "This connection no longer exists. Close this dialog.";
    case "cancelled":
      return "The login was cancelled. Start again when you are ready.";
    default:
      return "Try again. If it keeps failing, the app log has the details.";
  }
}

/** Whether the dialog still waits for something, so closing it must cancel the login. */
export const isPending = (state: LoginState): boolean =>
  state.phase === "starting" || state.phase === "browser" || state.phase === "device";

const failed = (message: string, code: ErrorCode | null, remedy: Remedy | null): LoginState => ({
  phase: "failed",
  message,
  advice: remedy === null ? adviceFor(code) : remedyAdvice(remedy),
});

export function loginReducer(state: LoginState, event: LoginEvent): LoginState {
  switch (event.type) {
    case "start":
      return state.phase === "totp" || state.phase === "failed" || state.phase === "cancelled"
        ? { phase: "starting" }
        : state;
    case "started":
      if (state.phase !== "starting") return state;
      switch (event.step.type) {
        case "done":
          return { phase: "done", connection: event.step.connection };
        case "browser":
          return { phase: "browser", step: event.step, paste: { phase: "idle" } };
        case "device":
          return { phase: "device", step: event.step };
      }
      break;
    case "start_failed":
      if (state.phase !== "starting") return state;
      return event.error.code === "cancelled"
        ? { phase: "cancelled" }
        : failed(event.error.message, event.error.code, event.error.remedy);
    case "update":
      return applyUpdate(state, event.update);
    case "paste":
      return state.phase === "browser" ? { ...state, paste: { phase: "sending" } } : state;
    case "paste_failed":
      return state.phase === "browser"
        ? { ...state, paste: { phase: "failed", message: event.error.message } }
        : state;
    case "cancel":
      return isPending(state) ? { phase: "cancelling" } : state;
    case "cancelled":
      return state.phase === "done" || state.phase === "failed" ? state : { phase: "cancelled" };
    case "reset":
      return isPending(state) ? state : initialLogin(event.login);
  }
  return state;
}

function applyUpdate(state: LoginState, update: LoginUpdate): LoginState {
  // Updates only matter while a login runs; a late one after the end changes nothing.
  if (!isPending(state) && state.phase !== "cancelling") return state;
  switch (update.phase) {
    case "done":
      return { phase: "done", connection: update.connection };
    case "failed":
      return failed(update.message ?? "The login failed.", update.code, update.remedy);
    case "cancelled":
      return { phase: "cancelled" };
  }
}
