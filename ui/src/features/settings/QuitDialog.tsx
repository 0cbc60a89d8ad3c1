import { useState } from "preact/hooks";

import { Button } from "../../components/Button";
import { Dialog, DialogActions } from "../../components/Dialog";
import { hideWindow, quitApp, toIpcError } from "../../ipc/client";

/**
 * Asked when the window is closed on a desktop without a tray: quit, or keep running with the
 * window hidden (a second launch of Tokentray shows it again). Escape keeps the window open.
 */
export function QuitDialog({ reason, onClose }: { reason: string; onClose: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const run = (action: () => Promise<void>) => {
    setError(null);
    action().then(onClose, (failure: unknown) => {
      setError(toIpcError(failure).message);
    });
  };

  return (
    <Dialog title="Quit Tokentray?" testId="quit-dialog" role="alertdialog" onClose={onClose}>
      <p data-testid="quit-reason">{reason}</p>
      <p>
        Quitting stops background renewal and the local endpoint. Kept running, Tokentray renews
        tokens with the window hidden: launch Tokentray again to bring the window back.
      </p>
      {error !== null && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <DialogActions>
        <Button onClick={onClose} testId="quit-cancel">
          Cancel
        </Button>
        <Button
          onClick={() => {
            run(hideWindow);
          }}
          testId="quit-keep-running"
        >
          Keep running
        </Button>
        <Button
          variant="danger"
          onClick={() => {
            run(quitApp);
          }}
          testId="quit-confirm"
        >
          Quit
        </Button>
      </DialogActions>
    </Dialog>
  );
}
