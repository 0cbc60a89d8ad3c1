// What a person can do about a failure, in the app's words. The engine decides the remedy
// (the CLI words the same remedy as a command to type); the app says it as an action here.

import type { IpcError, Remedy } from "../ipc/bindings";

const words = (field: string): string => field.replaceAll("_", " ");

/** The remedy as one sentence of advice. */
export function remedyAdvice(remedy: Remedy): string {
  switch (remedy.remedy) {
    case "log_in":
      return "Log in again.";
    case "store_secret":
      return `Edit the connection and enter a new ${words(remedy.field)}.`;
    case "set_secret":
      return `Edit the connection and enter its ${words(remedy.field)}.`;
    case "check_credentials":
      return "Edit the connection and check its username and password.";
    case "list_connections":
      return "It is no longer in the list of connections.";
    case "choose_another_name":
      return "Choose another name, or edit the connection that has this one.";
    case "allow_export":
      return "Edit the connection and let other tools have its token (Advanced).";
    case "set_ca_file":
      return "Edit the connection and give it the CA certificate of its service (Advanced).";
    case "use_file_store":
      return "Start or unlock your keychain, or choose the file store from the banner.";
  }
}

/** A failure's message followed by what to do about it, when the engine says. */
export function explain(error: Pick<IpcError, "message" | "remedy">): string {
  if (error.remedy === null) return error.message;
  return `${error.message}. ${remedyAdvice(error.remedy)}`;
}
