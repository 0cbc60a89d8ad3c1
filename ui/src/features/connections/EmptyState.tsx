import { useState } from "preact/hooks";

import { notify } from "../../app/notices";
import { Button } from "../../components/Button";
import { Mark } from "../../components/Mark";
import { failureText, startDemo } from "../../ipc/client";

/**
 * The example a newcomer can adapt, split where a shell allows it so it pastes as one command;
 * `tokentray add --help` lists every kind and field.
 */
export const ADD_EXAMPLE =
  "tokentray add my-api --kind oauth2 \\\n  --issuer https://login.example.com --client-id my-app";

/** What Tokentray is, and how to add the first connection or try it without an account. */
export function EmptyState({ onAdd }: { onAdd: () => void }) {
  const [starting, setStarting] = useState(false);

  const tryDemo = () => {
    setStarting(true);
    startDemo().then(
      (added) => {
        setStarting(false);
        notify("info", `Added ${added.length} demo connections against local sandbox services`);
      },
      (failure: unknown) => {
        setStarting(false);
        notify("error", `Could not start the sandbox: ${failureText(failure)}`);
      },
    );
  };

  return (
    <section class="empty" aria-labelledby="empty-title" data-testid="empty-state">
      <Mark size={64} />
      <h1 id="empty-title">No connections yet</h1>
      <p class="empty__lead">
        Tokentray signs in to the APIs you use, keeps their access tokens fresh in the background,
        and hands a valid token to your scripts and tools whenever they ask. Secrets stay in your
        system keychain.
      </p>
      <div class="empty__actions">
        <Button variant="primary" onClick={onAdd} testId="empty-add">
          Add connection
        </Button>
        <Button onClick={tryDemo} busy={starting} testId="empty-demo">
          {starting ? "Starting the sandbox…" : "Try the sandbox"}
        </Button>
      </div>
      <p class="empty__more">
        The sandbox adds demo connections against small services running inside Tokentray, so you
        can watch a login, the countdown, a refresh and a copy without any account.
      </p>
      <details class="empty__step">
        <summary id="add-hint">Prefer the terminal?</summary>
        <pre class="command" aria-describedby="add-hint">
          <code>{ADD_EXAMPLE}</code>
        </pre>
        <p class="empty__more">
          Run <code>tokentray add --help</code> to see every kind. New connections appear here on
          their own.
        </p>
      </details>
    </section>
  );
}
