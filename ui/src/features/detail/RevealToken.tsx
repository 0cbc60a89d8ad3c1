// "Reveal token": fetched only on that click, shown masked until asked, dropped on "Hide" or
// when the view goes away.

import { useState } from "preact/hooks";

import { Button } from "../../components/Button";
import { failureText, revealToken } from "../../ipc/client";

export function RevealToken({ name }: { name: string }) {
  const [token, setToken] = useState<string | null>(null);
  const [shown, setShown] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const reveal = () => {
    setBusy(true);
    setError(null);
    revealToken(name).then(
      (t) => {
        setBusy(false);
        setToken(t);
        setShown(false);
      },
      (failure: unknown) => {
        setBusy(false);
        setError(failureText(failure));
      },
    );
  };

  if (token === null) {
    return (
      <div class="reveal">
        <Button size="small" onClick={reveal} busy={busy} testId="reveal-token">
          Reveal token
        </Button>
        {error !== null && (
          <p class="field__problem" role="alert">
            {error}
          </p>
        )}
      </div>
    );
  }
  return (
    <div class="reveal">
      <label for="revealed-token" class="field__label">
        Access token
      </label>
      <div class="secret-input">
        {shown ? (
          <input
            id="revealed-token"
            type="text"
            readOnly
            value={token}
            spellcheck={false}
            autocomplete="off"
            data-testid="revealed-token"
          />
        ) : (
          <input
            id="revealed-token"
            type="password"
            readOnly
            value={token}
            autocomplete="off"
            data-testid="revealed-token"
          />
        )}
        <Button
          size="small"
          onClick={() => {
            setShown(!shown);
          }}
          testId="reveal-toggle"
          label={shown ? "Mask the token" : "Show the token"}
        >
          {shown ? "Mask" : "Show"}
        </Button>
        <Button
          size="small"
          onClick={() => {
            setToken(null);
            setShown(false);
          }}
          testId="reveal-hide"
        >
          Hide
        </Button>
      </div>
    </div>
  );
}
