import { useCallback, useEffect, useState } from "preact/hooks";

import { Button } from "../components/Button";
import { Mark } from "../components/Mark";
import { Toasts } from "../components/Toasts";
import { ConnectionsPage } from "../features/connections/ConnectionsPage";
import type { ListActions } from "../features/connections/actions";
import { StoreBanner } from "../features/settings/StoreBanner";
import {
  appStatus,
  connectionDetail,
  failureText,
  onNavigate,
  onNotice,
  onQuitAsked,
  refreshAll,
} from "../ipc/client";
import type { AppStatus, Connection, Unsubscribe } from "../ipc/client";
import { afterFirstScreen } from "../lib/startup";
import { lazy } from "./lazy";
import { notify } from "./notices";

import "./App.css";

// Not needed for the first screen: loaded on first use, or in the background once the list
// is painted (see lazy.tsx).
const DetailPage = lazy(() => import("../features/detail/DetailPage").then((m) => m.DetailPage));
const Wizard = lazy(() => import("../features/wizard/Wizard").then((m) => m.Wizard));
const LoginDialog = lazy(() => import("../features/login/LoginDialog").then((m) => m.LoginDialog));
const RemoveDialog = lazy(() =>
  import("../features/connections/RemoveDialog").then((m) => m.RemoveDialog),
);
const SettingsDialog = lazy(() =>
  import("../features/settings/SettingsDialog").then((m) => m.SettingsDialog),
);
const QuitDialog = lazy(() => import("../features/settings/QuitDialog").then((m) => m.QuitDialog));
const LATER = [DetailPage, Wizard, LoginDialog, RemoveDialog, SettingsDialog, QuitDialog];

export type Route =
  | { page: "list" }
  | { page: "detail"; name: string }
  | { page: "add" }
  | { page: "edit"; name: string };

type Modal =
  | { type: "login"; connection: Connection }
  | { type: "remove"; connection: Connection }
  | { type: "settings" }
  | { type: "quit"; reason: string }
  | null;

/** Subscribes with an async subscription function and unsubscribes on unmount. */
function useSubscription(subscribe: () => Promise<Unsubscribe>): void {
  useEffect(() => {
    let stop: Unsubscribe | undefined;
    let gone = false;
    subscribe().then(
      (unsubscribe) => {
        if (gone) unsubscribe();
        else stop = unsubscribe;
      },
      (failure: unknown) => {
        console.warn("could not subscribe:", failureText(failure));
      },
    );
    return () => {
      gone = true;
      stop?.();
    };
  }, [subscribe]);
}

/** The window's shell: a top bar, the store banner, one page at a time, dialogs and toasts. */
export function App() {
  const [route, setRoute] = useState<Route>({ page: "list" });
  const [modal, setModal] = useState<Modal>(null);
  const [status, setStatus] = useState<AppStatus | null>(null);

  // The store's health asks the keychain: after the first screen, so that it does not
  // compete with the list. Then the rest of the window's code loads in the background.
  useEffect(() => {
    void afterFirstScreen().then(() => {
      appStatus().then(setStatus, (failure: unknown) => {
        console.warn("could not read the app status:", failureText(failure));
      });
      for (const part of LATER) void part.preload();
    });
  }, []);

  /** Opens the login dialog for a connection known only by name (from the tray). */
  const openLogin = (name: string) => {
    connectionDetail(name).then(
      ({ connection }) => {
        setModal({ type: "login", connection });
      },
      (failure: unknown) => {
        notify("error", `Could not start the login of ${name}: ${failureText(failure)}`);
      },
    );
  };

  useSubscription(
    useCallback(
      () =>
        onNotice((n) => {
          notify(n.level, n.message);
        }),
      [],
    ),
  );
  useSubscription(
    useCallback(
      () =>
        onNavigate(({ name, login }) => {
          setModal(null);
          setRoute({ page: "detail", name });
          if (login) openLogin(name);
        }),
      [],
    ),
  );

  useSubscription(
    useCallback(
      () =>
        onQuitAsked(({ reason }) => {
          setModal({ type: "quit", reason });
        }),
      [],
    ),
  );

  const actions: ListActions = {
    open: (name) => {
      setRoute({ page: "detail", name });
    },
    add: () => {
      setRoute({ page: "add" });
    },
    edit: (name) => {
      setRoute({ page: "edit", name });
    },
    login: (connection) => {
      setModal({ type: "login", connection });
    },
    remove: (connection) => {
      setModal({ type: "remove", connection });
    },
  };
  const toList = () => {
    setRoute({ page: "list" });
  };

  const renewAll = () => {
    refreshAll().then(
      () => {
        notify("info", "Renewing every connection that can renew on its own");
      },
      (failure: unknown) => {
        notify("error", `Could not refresh: ${failureText(failure)}`);
      },
    );
  };

  return (
    <div class="shell">
      <header class="topbar">
        <button
          type="button"
          class="topbar__home"
          onClick={toList}
          aria-label="Tokentray, show all connections"
          data-testid="home"
        >
          <Mark size={26} />
          <span class="topbar__name">Tokentray</span>
        </button>
        <nav class="topbar__actions" aria-label="App">
          <Button size="small" onClick={renewAll} testId="refresh-all">
            Refresh all
          </Button>
          <Button
            size="small"
            onClick={() => {
              if (status !== null) {
                setModal({ type: "settings" });
                return;
              }
              // Asked before the status came (it is read after the first screen): read it now.
              appStatus().then(
                (read) => {
                  setStatus(read);
                  setModal({ type: "settings" });
                },
                (failure: unknown) => {
                  notify("error", `The settings could not be read: ${failureText(failure)}`);
                },
              );
            }}
            testId="open-settings"
          >
            Settings
          </Button>
          <Button size="small" variant="primary" onClick={actions.add} testId="add-connection">
            Add connection
          </Button>
        </nav>
      </header>
      {status !== null && <StoreBanner status={status} onChange={setStatus} />}
      <main class="shell__main">
        {route.page === "list" && <ConnectionsPage actions={actions} />}
        {route.page === "detail" && (
          <DetailPage key={route.name} name={route.name} actions={actions} onBack={toList} />
        )}
        {route.page === "add" && <Wizard mode="add" onDone={toList} />}
        {route.page === "edit" && (
          <Wizard key={route.name} mode="edit" name={route.name} onDone={toList} />
        )}
      </main>
      {modal?.type === "login" && (
        <LoginDialog
          connection={modal.connection}
          onClose={() => {
            setModal(null);
          }}
        />
      )}
      {modal?.type === "remove" && (
        <RemoveDialog
          connection={modal.connection}
          onClose={(removed) => {
            setModal(null);
            if (removed) toList();
          }}
        />
      )}
      {modal?.type === "settings" && status !== null && (
        <SettingsDialog
          status={status}
          onClose={(next) => {
            setModal(null);
            if (next !== null) setStatus(next);
          }}
        />
      )}
      {modal?.type === "quit" && (
        <QuitDialog
          reason={modal.reason}
          onClose={() => {
            setModal(null);
          }}
        />
      )}
      <Toasts />
    </div>
  );
}
