import { Mark } from "../../components/Mark";

/**
 * The example a newcomer can adapt, split where a shell allows it so it pastes as one command;
 * `tokentray add --help` lists every kind and field.
 */
export const ADD_EXAMPLE =
  "tokentray add my-api --kind oauth2 \\\n  --issuer https://login.example.com --client-id my-app";

/** What Tokentray is, and how to add the first connection. */
export function EmptyState() {
  return (
    <section class="empty" aria-labelledby="empty-title">
      <Mark size={64} />
      <h1 id="empty-title">No connections yet</h1>
      <p class="empty__lead">
        Tokentray signs in to the APIs you use, keeps their access tokens fresh in the background,
        and hands a valid token to your scripts and tools whenever they ask. Secrets stay in your
        system keychain.
      </p>
      <div class="empty__step">
        <p id="add-hint">Add your first connection from a terminal:</p>
        <pre class="command" aria-describedby="add-hint">
          <code>{ADD_EXAMPLE}</code>
        </pre>
        <p class="empty__more">
          Run <code>tokentray add --help</code> to see every kind: OAuth 2.0 and OpenID Connect,
          ArcGIS, Copernicus Data Space, HTTP Basic and static tokens. New connections appear here
          on their own.
        </p>
      </div>
    </section>
  );
}
