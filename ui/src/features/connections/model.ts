// The list's state transitions, kept pure so they are tested without a backend.

import type { Connection, ConnectionsChanged, IpcError } from "../../ipc/client";

export type ListState =
  | { phase: "loading" }
  | { phase: "ready"; connections: Connection[] }
  | { phase: "failed"; error: IpcError };

/**
 * Applies one change event to a loaded list: a changed connection replaces the one of the same
 * name in place (or is appended when new), a removed one disappears. `resync` leaves the list
 * alone; the caller reloads it.
 */
export function applyChange(list: readonly Connection[], change: ConnectionsChanged): Connection[] {
  switch (change.type) {
    case "changed": {
      const { connection } = change;
      const at = list.findIndex((c) => c.name === connection.name);
      if (at === -1) return [...list, connection];
      return list.map((c, i) => (i === at ? connection : c));
    }
    case "removed":
      return list.filter((c) => c.name !== change.name);
    case "resync":
      return [...list];
  }
}
