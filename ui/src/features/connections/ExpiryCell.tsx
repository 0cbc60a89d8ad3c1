import { useNow } from "../../app/useNow";
import type { Connection } from "../../ipc/client";
import { expiryTone, formatCountdown } from "../../lib/countdown";
import { formatInstant } from "../../lib/instant";
import { holdsToken } from "./labels";

/**
 * A live countdown to the access token's expiry, with the session's end below it when known.
 * It re-renders itself every second; the rest of the row stays still.
 */
export function ExpiryCell({ connection }: { connection: Connection }) {
  const now = useNow();
  if (!holdsToken(connection)) {
    return (
      <span class="muted" aria-label="no token" data-testid={`countdown-${connection.name}`}>
        —
      </span>
    );
  }
  const {
    expires_at: expiresAt,
    refresh_expires_at: sessionEndsAt,
    needs_login_at: loginNeededAt,
  } = connection;
  const tone = expiryTone(expiresAt, now);
  return (
    <div class="expiry">
      <time
        class={`countdown countdown--${tone}`}
        data-testid={`countdown-${connection.name}`}
        dateTime={expiresAt === null ? undefined : new Date(expiresAt).toISOString()}
        title={
          expiresAt === null
            ? "This access token does not expire"
            : `The access token expires ${formatInstant(expiresAt, now)}`
        }
      >
        {formatCountdown(expiresAt, now)}
      </time>
      {sessionEndsAt !== null && (
        <span
          class="expiry__session muted"
          data-testid={`session-${connection.name}`}
          title={`The session (refresh token) ends ${formatInstant(sessionEndsAt, now)}`}
        >
          {loginNeededAt === null ? "session" : "login needed in"}{" "}
          {formatCountdown(sessionEndsAt, now)}
        </span>
      )}
    </div>
  );
}
