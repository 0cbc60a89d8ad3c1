// Shown when the secret store is not healthy: what is wrong, and the explicit way out (the
// owner-only file store), which is confirmed with a clear warning first.

import { useState } from "preact/hooks";

import { notify } from "../../app/notices";
import { Button } from "../../components/Button";
import { Dialog, DialogActions } from "../../components/Dialog";
import { failureText, useFileStore } from "../../ipc/client";
import type { AppStatus, StoreHealth } from "../../ipc/client";

import "./settings.css";

const EXPLAIN: Record<Exclude<StoreHealth, "ok">, { title: string; text: string }> = {
  unavailable: {
    title: "No keychain is reachable",
    text: "Tokentray keeps secrets in your system keychain, and none answers on this computer. Until one does, connections cannot store passwords or tokens.",
  },
  locked: {
    title: "Your keychain is locked",
    text: "Unlock it (your desktop usually asks for your login password) and Tokentray carries on by itself.",
  },
  timeout: {
    title: "The keychain does not answer",
    text: "Tokentray asked the system keychain and got no answer in time. An unlock prompt may be waiting in another window.",
  },
};

export function StoreBanner({
  status,
  onChange,
}: {
  status: AppStatus;
  onChange: (status: AppStatus) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const after = status.store_after_restart ?? null;
  if (after !== null && after !== status.store) {
    return (
      <div
        class="store-banner"
        role="region"
        aria-labelledby="store-banner-title"
        data-testid="store-banner"
      >
        <div class="store-banner__text">
          <h2 id="store-banner-title">
            Restart Tokentray to use the {after === "file" ? "file store" : after}
          </h2>
          <p>
            Secrets will be kept in {after === "file" ? "an owner-only file" : `the ${after}`} from
            the next start. Quit Tokentray from the tray menu and start it again.
          </p>
        </div>
      </div>
    );
  }
  if (status.store_health === "ok") return null;
  const { title, text } = EXPLAIN[status.store_health];

  const switchStore = () => {
    setBusy(true);
    useFileStore().then(
      (next) => {
        setBusy(false);
        setConfirming(false);
        onChange(next);
        notify(
          "warning",
          next.store === "file"
            ? "Secrets are now kept in an owner-only file instead of the keychain"
            : "Secrets will be kept in an owner-only file from the next start",
        );
      },
      (failure: unknown) => {
        setBusy(false);
        notify("error", `Could not switch to the file store: ${failureText(failure)}`);
      },
    );
  };

  return (
    <div
      class="store-banner"
      role="region"
      aria-labelledby="store-banner-title"
      data-testid="store-banner"
    >
      <div class="store-banner__text">
        <h2 id="store-banner-title">{title}</h2>
        <p>{text}</p>
        {status.store_message !== null && (
          <p class="store-banner__detail">{status.store_message}</p>
        )}
      </div>
      <Button
        onClick={() => {
          setConfirming(true);
        }}
        testId="use-file-store"
      >
        Use the file store instead
      </Button>
      {confirming && (
        <Dialog
          title="Keep secrets in a file?"
          testId="file-store-dialog"
          role="alertdialog"
          onClose={() => {
            if (!busy) setConfirming(false);
          }}
        >
          <p>
            Tokentray will keep passwords and tokens in a file that only your user account can read
            (permissions 0600), instead of the system keychain.
          </p>
          <ul class="warning-list">
            <li>
              The file is not protected by your login password: any program running as you, and
              anyone who can read your files or backups, can read the secrets.
            </li>
            <li>Every connection that uses it is marked “secrets in a file”.</li>
            <li>
              Nothing moves silently: when a keychain is reachable again you can move back by
              editing each connection's secrets.
            </li>
          </ul>
          <DialogActions>
            <Button
              onClick={() => {
                setConfirming(false);
              }}
              disabled={busy}
              testId="cancel-file-store"
            >
              Keep waiting for the keychain
            </Button>
            <Button variant="danger" onClick={switchStore} busy={busy} testId="confirm-file-store">
              Use the file store
            </Button>
          </DialogActions>
        </Dialog>
      )}
    </div>
  );
}
