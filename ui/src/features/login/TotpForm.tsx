import { useState } from "preact/hooks";

import { Button } from "../../components/Button";

/** Whether `text` is acceptable as a one-time code: six digits, or empty for "no 2FA". */
export const totpProblem = (text: string): string | null =>
  text === "" || /^\d{6}$/.test(text) ? null : "Enter the 6 digits from your authenticator app.";

/** Copernicus asks for a one-time code before the login starts; it is never stored. */
export function TotpForm({ onSubmit }: { onSubmit: (totp: string | null) => void }) {
  const [code, setCode] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (event: Event) => {
    event.preventDefault();
    const text = code.replace(/\s/g, "");
    const found = totpProblem(text);
    setProblem(found);
    if (found === null) onSubmit(text === "" ? null : text);
  };
  return (
    <form class="login-totp" onSubmit={submit} noValidate>
      <label for="login-totp">Two-factor code</label>
      <input
        id="login-totp"
        data-autofocus
        type="text"
        inputMode="numeric"
        autocomplete="one-time-code"
        pattern="[0-9]{6}"
        maxLength={7}
        value={code}
        data-testid="login-totp"
        aria-invalid={problem !== null}
        aria-describedby="login-totp-help"
        onInput={(e) => {
          setCode(e.currentTarget.value);
        }}
      />
      <p class={problem === null ? "field__help" : "field__problem"} id="login-totp-help">
        {problem ??
          "The 6 digits from your authenticator app. Leave it empty if your account has no two-factor authentication. The code is used once and never stored."}
      </p>
      <div class="login-totp__actions">
        <Button type="submit" variant="primary" testId="login-start">
          Log in
        </Button>
      </div>
    </form>
  );
}
