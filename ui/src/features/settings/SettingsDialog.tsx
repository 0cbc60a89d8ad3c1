import { useState } from "preact/hooks";

import { notify } from "../../app/notices";
import { Button } from "../../components/Button";
import { Dialog, DialogActions } from "../../components/Dialog";
import { failureText, saveSettings } from "../../ipc/client";
import type { AppStatus, UiSettings } from "../../ipc/client";
import { settingsProblems } from "./settingsForm";
import type { SettingsDraft } from "./settingsForm";

import "./settings.css";

const STORE_WORDS = {
  keychain: "the system keychain",
  file: "an owner-only file",
  memory: "memory only",
} as const;

export function SettingsDialog({
  status,
  onClose,
}: {
  status: AppStatus;
  onClose: (next: AppStatus | null) => void;
}) {
  const clearSecs = status.settings.clipboard_clear_secs;
  const [draft, setDraft] = useState<SettingsDraft>({
    clearClipboard: clearSecs > 0,
    clearSecs: String(clearSecs > 0 ? clearSecs : 60),
    notifyMins: String(status.settings.notify_session_end_mins),
    autostart: status.settings.autostart,
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const problems = settingsProblems(draft);

  const save = (event: Event) => {
    event.preventDefault();
    const settings = problems.settings;
    if (settings === null) return;
    setBusy(true);
    setError(null);
    saveSettings(settings).then(
      (saved: UiSettings) => {
        notify("info", "Settings saved");
        onClose({ ...status, settings: saved });
      },
      (failure: unknown) => {
        setBusy(false);
        setError(failureText(failure));
      },
    );
  };

  return (
    <Dialog
      title="Settings"
      testId="settings-dialog"
      onClose={() => {
        onClose(null);
      }}
    >
      <form class="settings" onSubmit={save} noValidate>
        <fieldset>
          <legend>Clipboard</legend>
          <label class="settings__check">
            <input
              type="checkbox"
              checked={draft.clearClipboard}
              data-testid="setting-clear-clipboard"
              onChange={(e) => {
                setDraft({ ...draft, clearClipboard: e.currentTarget.checked });
              }}
            />
            Clear a copied token from the clipboard
          </label>
          <label class="settings__number" for="setting-clear-secs">
            after
            <input
              id="setting-clear-secs"
              type="text"
              inputMode="numeric"
              value={draft.clearSecs}
              disabled={!draft.clearClipboard}
              aria-invalid={problems.clearSecs !== null}
              aria-describedby="setting-clear-secs-problem"
              data-testid="setting-clear-secs"
              onInput={(e) => {
                setDraft({ ...draft, clearSecs: e.currentTarget.value });
              }}
            />
            seconds
          </label>
          <p class="field__problem" id="setting-clear-secs-problem">
            {problems.clearSecs}
          </p>
        </fieldset>
        <fieldset>
          <legend>Notifications</legend>
          <label class="settings__number" for="setting-notify-mins">
            Warn
            <input
              id="setting-notify-mins"
              type="text"
              inputMode="numeric"
              value={draft.notifyMins}
              aria-invalid={problems.notifyMins !== null}
              aria-describedby="setting-notify-mins-problem"
              data-testid="setting-notify-mins"
              onInput={(e) => {
                setDraft({ ...draft, notifyMins: e.currentTarget.value });
              }}
            />
            minutes before a session ends and a login will be needed
          </label>
          <p class="field__problem" id="setting-notify-mins-problem">
            {problems.notifyMins}
          </p>
        </fieldset>
        <fieldset>
          <legend>Start</legend>
          <label class="settings__check">
            <input
              type="checkbox"
              checked={draft.autostart}
              data-testid="setting-autostart"
              onChange={(e) => {
                setDraft({ ...draft, autostart: e.currentTarget.checked });
              }}
            />
            Start Tokentray when I log in, in the tray
          </label>
        </fieldset>
        <p class="muted settings__store">
          Secrets are kept in {STORE_WORDS[status.store]}
          {status.store_location !== "" && <> ({status.store_location})</>}.
          {status.endpoint_url !== null && (
            <>
              {" "}
              The local endpoint listens at{" "}
              <code data-testid="settings-endpoint">{status.endpoint_url}</code>
              {status.endpoint_default_taken !== null && (
                <> (the default port {status.endpoint_default_taken} is taken by another program)</>
              )}
              .
            </>
          )}
        </p>
        {!status.tray_available && (
          <p class="muted" data-testid="settings-no-tray">
            No tray is available on this desktop, so Tokentray shows no tray icon or menu. Open
            Tokentray again from your applications to bring its window back.
          </p>
        )}
        {error !== null && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <DialogActions>
          <Button
            onClick={() => {
              onClose(null);
            }}
            testId="settings-cancel"
          >
            Cancel
          </Button>
          <Button
            type="submit"
            variant="primary"
            busy={busy}
            disabled={problems.settings === null}
            testId="settings-save"
          >
            Save
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
