// The one door to the backend. Only this folder imports @tauri-apps/* (ESLint enforces it);
// everything else calls these functions, so component tests mock a single module and the
// generated bindings can change shape without touching components.

import { commands, events } from "./bindings";
import type { Connection, ConnectionsChanged, ErrorCode, IpcError } from "./bindings";

export type {
  Connection,
  ConnectionsChanged,
  ErrorCode,
  Identity,
  IpcError,
  ProviderKind,
  Status,
  StoreKind,
} from "./bindings";

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
  "internal",
]);

/**
 * Any rejection as an `IpcError`. Commands reject with `{ code, message }`; Tauri itself
 * (an unknown command, a denied permission) rejects with a bare string.
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
      return { code: code as ErrorCode, message };
    }
  }
  const message = failure instanceof Error ? failure.message : String(failure);
  return { code: "internal", message };
}

/** Every configured connection (no secrets). */
export async function listConnections(): Promise<Connection[]> {
  const result = await commands.listConnections();
  if (result.status === "error") throw new IpcFailure(toIpcError(result.error));
  return result.data;
}

/** Calls `handler` for every change the backend reports, until unsubscribed. */
export function onConnectionsChanged(
  handler: (change: ConnectionsChanged) => void,
): Promise<Unsubscribe> {
  return events.connectionsChanged.listen((event) => {
    handler(event.payload);
  });
}
