// The connection list, kept current: loaded once, patched by backend events, reloaded when the
// backend asks for it (`resync`, e.g. after the CLI changed the files) and when the window
// regains focus.

import { useCallback, useLayoutEffect, useRef, useState } from "preact/hooks";

import {
  failureText,
  listConnections,
  onConnectionsChanged,
  takeFirstList,
  toIpcError,
  uiReady,
} from "../../ipc/client";
import type { Unsubscribe } from "../../ipc/client";
import { firstScreenShown, mark, startupMarks } from "../../lib/startup";
import { applyChange } from "./model";
import type { ListState } from "./model";

/** Whether the first list was shown already (once per window). */
let announced = false;

/** After the first list is painted, tells the backend once that the window is usable. */
function announceReady(): void {
  if (announced) return;
  announced = true;
  requestAnimationFrame(() => {
    mark("list painted");
    void uiReady(startupMarks());
    firstScreenShown();
  });
}

/** The list the backend handed the page at launch (read from the files), else loading. */
function firstState(): ListState {
  const first = takeFirstList();
  return first === null ? { phase: "loading" } : { phase: "ready", connections: first };
}

export function useConnections(): { state: ListState; reload: () => void } {
  const [state, setState] = useState<ListState>(firstState);
  // Painted from the launch-time list: say so once the frame is there (the engine's own
  // answer, asked for below, replaces it).
  const shownAtOnce = useRef(state.phase === "ready");
  // Only the latest load may set the state; an older one finishing late is ignored.
  const latest = useRef(0);

  const reload = useCallback(() => {
    const load = ++latest.current;
    if (!announced) mark("list asked");
    listConnections().then(
      (connections) => {
        if (!announced) mark("list received");
        if (load === latest.current) setState({ phase: "ready", connections });
        announceReady();
      },
      (failure: unknown) => {
        if (load === latest.current) setState({ phase: "failed", error: toIpcError(failure) });
        firstScreenShown();
      },
    );
  }, []);

  // A layout effect runs right after the first render, where a plain effect would wait for a
  // frame: the list is asked for at once.
  useLayoutEffect(() => {
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
        console.warn("live updates are off:", failureText(failure));
      },
    );
    if (shownAtOnce.current && !announced) {
      mark("list from the launch-time files");
      announceReady();
    }
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
