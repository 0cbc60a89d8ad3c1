// What the list asks the app shell to do: things that open a view or a dialog.

import type { Connection } from "../../ipc/client";

export interface ListActions {
  open: (name: string) => void;
  add: () => void;
  edit: (name: string) => void;
  login: (connection: Connection) => void;
  remove: (connection: Connection) => void;
}

/** Whether the main action of a row is to log in rather than to copy. */
export const wantsLogin = (c: Connection): boolean =>
  c.status === "signed_out" || c.status === "needs_login";
