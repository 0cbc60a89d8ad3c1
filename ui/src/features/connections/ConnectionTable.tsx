import { Badge } from "../../components/Badge";
import type { Connection } from "../../ipc/client";
import { ExpiryCell } from "./ExpiryCell";
import { identityLines, kindLabel, statusLabel, statusTone } from "./labels";

/** One row per connection: what it is, where it stands, whose it is, and when it runs out. */
export function ConnectionTable({ connections }: { connections: readonly Connection[] }) {
  return (
    // Focusable so that keyboard users can scroll it sideways when the window is narrow.
    <div class="table-card" tabIndex={0} role="region" aria-labelledby="connections-title">
      <table class="connections">
        <thead>
          <tr>
            <th scope="col">Connection</th>
            <th scope="col" class="col-kind">
              Kind
            </th>
            <th scope="col">Status</th>
            <th scope="col">Signed in as</th>
            <th scope="col">Expires in</th>
          </tr>
        </thead>
        <tbody>
          {connections.map((c) => (
            <ConnectionRow key={c.name} connection={c} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ConnectionRow({ connection: c }: { connection: Connection }) {
  const identity = identityLines(c.identity);
  const showError = c.last_error !== null && (c.status === "error" || c.status === "needs_login");
  return (
    <tr>
      <th scope="row" class="cell-name">
        <span class="cell-name__label">{c.label}</span>
        {c.label !== c.name && <code class="cell-name__slug">{c.name}</code>}
        {/* Narrow windows fold the kind column into this cell; CSS shows one or the other. */}
        <span class="cell-name__kind">{kindLabel(c.kind)}</span>
      </th>
      <td class="col-kind">{kindLabel(c.kind)}</td>
      <td class="cell-status">
        <Badge tone={statusTone(c.status)}>{statusLabel(c.status)}</Badge>
        {showError && (
          <span class="cell-status__error" title={c.last_error ?? undefined}>
            {c.last_error}
          </span>
        )}
      </td>
      <td class="cell-identity">
        {identity === null ? (
          <span class="muted" aria-label="unknown">
            —
          </span>
        ) : (
          <>
            <span>{identity.primary}</span>
            {identity.secondary !== null && <span class="muted">{identity.secondary}</span>}
          </>
        )}
      </td>
      <td class="cell-expiry">
        <ExpiryCell connection={c} />
      </td>
    </tr>
  );
}
