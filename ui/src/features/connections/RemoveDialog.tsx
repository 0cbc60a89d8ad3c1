import { useState } from "preact/hooks";

import { notify } from "../../app/notices";
import { Button } from "../../components/Button";
import { Dialog, DialogActions } from "../../components/Dialog";
import { failureText, removeConnection } from "../../ipc/client";
import type { Connection } from "../../ipc/client";

const WHERE = { keychain: "your keychain", file: "the secrets file", memory: "memory" } as const;

/** Asks before removing a connection, saying what goes with it. */
export function RemoveDialog({
  connection: c,
  onClose,
}: {
  connection: Connection;
  onClose: (removed: boolean) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const remove = () => {
    setBusy(true);
    setError(null);
    removeConnection(c.name).then(
      () => {
        notify("info", `Removed ${c.label}`);
        onClose(true);
      },
      (failure: unknown) => {
        setBusy(false);
        setError(failureText(failure));
      },
    );
  };

  return (
    <Dialog
      title={`Remove ${c.label}?`}
      testId="remove-dialog"
      role="alertdialog"
      onClose={() => {
        if (!busy) onClose(false);
      }}
    >
      <p>
        Tokentray forgets the connection <code>{c.name}</code> and deletes its secrets and tokens
        from {c.store === null ? "the secret store" : WHERE[c.store]}. Scripts and tools that ask
        for <code>{c.name}</code> will get an error. This cannot be undone.
      </p>
      {error !== null && (
        <p class="form-error" role="alert">
          Could not remove it: {error}
        </p>
      )}
      <DialogActions>
        <Button
          onClick={() => {
            onClose(false);
          }}
          disabled={busy}
          testId="cancel-remove"
        >
          Keep it
        </Button>
        <Button variant="danger" onClick={remove} busy={busy} testId="confirm-remove">
          Remove
        </Button>
      </DialogActions>
    </Dialog>
  );
}
