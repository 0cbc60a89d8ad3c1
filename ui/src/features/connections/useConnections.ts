// The connection list, kept current: loaded once, patched by backend events, reloaded when the
// backend asks for it (`resync`, e.g. after the CLI changed the files) and when the window
// regains focus.

import { useCallback, useEffect, useRef, useState } from "preact/hooks";

import { listConnections, onConnectionsChanged, toIpcError, uiReady } from "../../ipc/client";
import type { Unsubscribe } from "../../ipc/client";
import { applyChange } from "./model";
import type { ListState } from "./model";

/** Whether the first list was shown already (once per window). */
let announced = false;

/** After the first list is painted, tells the backend once that the window is usable. */
function announceReady(): void {
  if (announced) return;
  announced = true;
  requestAnimationFrame(() => {
    void uiReady();
  });
}

export function useConnections(): { state: ListState; reload: () => void } {
  const [state, setState] = useState<ListState>({ phase: "loading" });
  // Only the latest load may set the state; an older one finishing late is ignored.
  const latest = useRef(0);

  const reload = useCallback(() => {
    const load = ++latest.current;
    listConnections().then(
      (connections) => {
        if (load === latest.current) setState({ phase: "ready", connections });
        announceReady();
      },
      (failure: unknown) => {
        if (load === latest.current) setState({ phase: "failed", error: toIpcError(failure) });
      },
    );
  }, []);

  useEffect(() => {
    let unsubscribe: Unsubscribe | undefined;
    let unmounted = false;
    // Subscribe before the first load so that no change falls between the two.
    onConnectionsChanged((change) => {
      if (change.type === "resync") {
        reload();
        return;
      }
      setState((s) =>
        s.phase === "ready"
          ? { phase: "ready", connections: applyChange(s.connections, change) }
          : s,
      );
    }).then(
      (stop) => {
        if (unmounted) stop();
        else unsubscribe = stop;
      },
      (failure: unknown) => {
        console.warn("live updates are off:", toIpcError(failure).message);
      },
    );
    reload();
    window.addEventListener("focus", reload);
    return () => {
      unmounted = true;
      unsubscribe?.();
      window.removeEventListener("focus", reload);
    };
  }, [reload]);

  return { state, reload };
}
