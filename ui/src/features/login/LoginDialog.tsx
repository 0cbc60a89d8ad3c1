// The login dialog: asks Copernicus for a one-time code, starts the login, shows the browser
// or device step while the backend waits, accepts a pasted code or address, and ends with the
// result or an error in words. State lives in `loginMachine`; this file renders and calls.

import { useEffect, useReducer, useRef, useState } from "preact/hooks";

import { notify } from "../../app/notices";
import { useNow } from "../../app/useNow";
import { Button } from "../../components/Button";
import { Dialog, DialogActions } from "../../components/Dialog";
import {
  cancelLogin,
  copyText,
  failureText,
  onLoginUpdate,
  openUrl,
  pasteLogin,
  startLogin,
  toIpcError,
} from "../../ipc/client";
import type { Connection, Unsubscribe } from "../../ipc/client";
import { formatCountdown } from "../../lib/countdown";
import { identityLines } from "../connections/labels";
import { TotpForm } from "./TotpForm";
import { initialLogin, isPending, loginAsksTotp, loginReducer } from "./loginMachine";
import type { BrowserStep, DeviceStep, LoginState, PasteState } from "./loginMachine";

import "./login.css";

export function LoginDialog({
  connection,
  onClose,
}: {
  connection: Connection;
  onClose: () => void;
}) {
  const { name, login, label } = connection;
  const [state, dispatch] = useReducer(loginReducer, login, initialLogin);
  const started = useRef(false);

  const begin = (totp: string | null) => {
    dispatch({ type: "start" });
    startLogin(name, { redirect: null, totp }).then(
      (step) => {
        dispatch({ type: "started", step });
      },
      (failure: unknown) => {
        dispatch({ type: "start_failed", error: toIpcError(failure) });
      },
    );
  };

  useEffect(() => {
    let stop: Unsubscribe | undefined;
    let gone = false;
    onLoginUpdate((update) => {
      if (update.name === name) dispatch({ type: "update", update });
    }).then(
      (unsubscribe) => {
        if (gone) unsubscribe();
        else stop = unsubscribe;
      },
      (failure: unknown) => {
        console.warn("login progress is off:", failureText(failure));
      },
    );
    // Logins without a one-time code start at once.
    if (state.phase === "starting" && !started.current) {
      started.current = true;
      begin(null);
    }
    return () => {
      gone = true;
      stop?.();
    };
    // Runs once: the subscription lives as long as the dialog.
  }, []);

  /**
   * Cancels a pending login. Escape (`close`) also closes the dialog; the Cancel button stays
   * to show that the login was cancelled. With nothing pending, both close.
   */
  const cancel = (close: boolean) => {
    if (!isPending(state)) {
      onClose();
      return;
    }
    dispatch({ type: "cancel" });
    cancelLogin(name).then(
      () => {
        dispatch({ type: "cancelled" });
        if (close) onClose();
      },
      (failure: unknown) => {
        notify("error", `Could not cancel the login: ${failureText(failure)}`);
        onClose();
      },
    );
  };

  const retry = () => {
    dispatch({ type: "reset", login });
    if (!loginAsksTotp(login)) begin(null);
  };

  return (
    <Dialog
      title={`Log in to ${label}`}
      testId="login-dialog"
      onClose={() => {
        cancel(true);
      }}
      size="wide"
    >
      <LoginBody state={state} connection={connection} onTotp={begin} />
      <DialogActions>
        {(state.phase === "failed" || state.phase === "cancelled") && (
          <Button onClick={retry} testId="login-retry">
            Try again
          </Button>
        )}
        {state.phase === "done" || state.phase === "failed" || state.phase === "cancelled" ? (
          <Button variant="primary" onClick={onClose} testId="login-close">
            Close
          </Button>
        ) : (
          <Button
            onClick={() => {
              cancel(false);
            }}
            busy={state.phase === "cancelling"}
            testId="login-cancel"
          >
            Cancel
          </Button>
        )}
      </DialogActions>
    </Dialog>
  );
}

function LoginBody({
  state,
  connection,
  onTotp,
}: {
  state: LoginState;
  connection: Connection;
  onTotp: (totp: string | null) => void;
}) {
  switch (state.phase) {
    case "totp":
      return <TotpForm onSubmit={onTotp} />;
    case "starting":
      return (
        <p class="login-progress" role="status" data-testid="login-status">
          <span class="spinner" aria-hidden="true" /> Starting the login…
        </p>
      );
    case "browser":
      return <BrowserStepView name={connection.name} step={state.step} paste={state.paste} />;
    case "device":
      return <DeviceStepView step={state.step} />;
    case "done": {
      const done = state.connection ?? connection;
      const who = identityLines(done.identity);
      const was = identityLines(done.previous_identity);
      return (
        <p class="login-result login-result--ok" role="status" data-testid="login-status">
          Logged in{who === null ? "" : ` as ${who.primary}`}. Tokentray keeps the token fresh from
          now on.
          {was !== null && (
            <strong data-testid="login-identity-changed">
              {" "}
              This is another account than before (was {was.primary}).
            </strong>
          )}
        </p>
      );
    }
    case "failed":
      return (
        <div class="login-result login-result--failed" role="alert" data-testid="login-status">
          <p>
            <strong>The login failed:</strong> {state.message}
          </p>
          <p>{state.advice}</p>
        </div>
      );
    case "cancelling":
      return (
        <p class="login-progress" role="status" data-testid="login-status">
          Cancelling…
        </p>
      );
    case "cancelled":
      return (
        <p class="login-result" role="status" data-testid="login-status">
          The login was cancelled.
        </p>
      );
  }
}

function AddressActions({ url, openLabel }: { url: string; openLabel: string }) {
  const open = () => {
    openUrl(url).catch((failure: unknown) => {
      notify("error", `Could not open the browser: ${failureText(failure)}`);
    });
  };
  const copy = () => {
    copyText(url).then(
      () => {
        notify("info", "Address copied");
      },
      () => {
        notify("error", "Could not copy the address; select it and copy it yourself");
      },
    );
  };
  return (
    <div class="login-address">
      <code class="login-address__url" data-testid="login-url">
        {url}
      </code>
      <div class="login-address__buttons">
        <Button size="small" onClick={open} testId="login-open-again">
          {openLabel}
        </Button>
        <Button size="small" onClick={copy} testId="login-copy-url">
          Copy address
        </Button>
      </div>
    </div>
  );
}

function BrowserStepView({
  name,
  step,
  paste,
}: {
  name: string;
  step: BrowserStep;
  paste: PasteState;
}) {
  const oob = step.mode === "oob";
  return (
    <div class="login-step">
      <p class="login-progress" role="status" data-testid="login-status">
        <span class="spinner" aria-hidden="true" />{" "}
        {oob
          ? "Sign in in your browser. The service then shows a code: paste it below."
          : "Waiting for you to sign in in your browser…"}
      </p>
      {!step.browser_opened && (
        <p class="login-hint">Tokentray could not open your browser. Open this address yourself:</p>
      )}
      <AddressActions
        url={step.url}
        openLabel={step.browser_opened ? "Open again" : "Open in browser"}
      />
      {oob ? (
        <PasteForm name={name} paste={paste} />
      ) : (
        <details class="login-fallback">
          <summary>The browser did not come back to Tokentray?</summary>
          <p class="login-hint">
            Paste the address your browser ended on (it starts with <code>{step.redirect_uri}</code>
            ), or the code the service showed.
          </p>
          <PasteForm name={name} paste={paste} />
        </details>
      )}
    </div>
  );
}

function PasteForm({ name, paste }: { name: string; paste: PasteState }) {
  const [text, setText] = useState("");
  const [local, setLocal] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const inputId = `paste-${name}`;
  const submit = (event: Event) => {
    event.preventDefault();
    const value = text.trim();
    if (value === "") {
      setLocal("Paste the code or the whole address first.");
      return;
    }
    setLocal(null);
    setSending(true);
    pasteLogin(name, value).then(
      () => {
        setSending(false);
      },
      (failure: unknown) => {
        setSending(false);
        setLocal(failureText(failure));
      },
    );
  };
  const problem = local ?? (paste.phase === "failed" ? paste.message : null);
  return (
    <form class="login-paste" onSubmit={submit} noValidate>
      <label for={inputId}>Code or redirected address</label>
      <div class="login-paste__row">
        <input
          id={inputId}
          type="text"
          autocomplete="off"
          spellcheck={false}
          value={text}
          data-testid="login-paste"
          aria-invalid={problem !== null}
          aria-describedby={problem !== null ? `${inputId}-problem` : undefined}
          onInput={(e) => {
            setText(e.currentTarget.value);
          }}
        />
        <Button type="submit" busy={sending} testId="login-paste-submit">
          Continue
        </Button>
      </div>
      {problem !== null && (
        <p class="field__problem" id={`${inputId}-problem`} role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}

function DeviceStepView({ step }: { step: DeviceStep }) {
  const now = useNow();
  const copy = () => {
    copyText(step.user_code).then(
      () => {
        notify("info", "Code copied");
      },
      () => {
        notify("error", "Could not copy the code");
      },
    );
  };
  return (
    <div class="login-step login-device">
      <p class="login-progress" role="status" data-testid="login-status">
        <span class="spinner" aria-hidden="true" /> Waiting for you to enter the code…
      </p>
      <div class="login-device__grid">
        <div>
          <p>Open this page on any device and enter the code:</p>
          <AddressActions url={step.verification_uri} openLabel="Open the page" />
          <p class="login-device__code" aria-label={`Code: ${step.user_code.split("").join(" ")}`}>
            <span data-testid="login-user-code">{step.user_code}</span>
          </p>
          <Button size="small" onClick={copy} testId="login-copy-code">
            Copy code
          </Button>
          {step.expires_at !== null && (
            <p class="login-hint" data-testid="login-code-expiry">
              The code expires in {formatCountdown(step.expires_at, now)}.
            </p>
          )}
        </div>
        <img
          class="login-device__qr"
          src={step.qr_svg}
          alt="QR code that opens the verification page with the code filled in"
          width={160}
          height={160}
          data-testid="login-qr"
        />
      </div>
    </div>
  );
}
