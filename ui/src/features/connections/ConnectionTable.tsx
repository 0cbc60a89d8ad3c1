import { Badge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { KindIcon } from "../../components/KindIcon";
import { Menu } from "../../components/Menu";
import type { MenuItem } from "../../components/Menu";
import type { Connection } from "../../ipc/client";
import { wantsLogin } from "./actions";
import type { ListActions } from "./actions";
import { acknowledgeChange, copyFromConnection, logOut, refreshNow } from "./commands";
import { ExpiryCell } from "./ExpiryCell";
import { identityChange, identityLines, statusLabel, statusTone } from "./labels";
import { ALLOW_HTTP_WARNING } from "../../lib/warnings";

/** One row per connection: what it is, where it stands, whose it is, and when it runs out. */
export function ConnectionTable({
  connections,
  actions,
}: {
  connections: readonly Connection[];
  actions: ListActions;
}) {
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
            <th scope="col" class="col-actions">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {connections.map((c) => (
            <ConnectionRow key={c.name} connection={c} actions={actions} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function rowMenuItems(c: Connection, actions: ListActions): MenuItem[] {
  const signedIn = !wantsLogin(c);
  return [
    {
      id: "open",
      label: "Details",
      onSelect: () => {
        actions.open(c.name);
      },
    },
    {
      id: "login",
      label: "Log in…",
      onSelect: () => {
        actions.login(c);
      },
    },
    {
      id: "refresh",
      label: "Refresh now",
      onSelect: () => void refreshNow(c.name),
      disabled: !signedIn,
    },
    {
      id: "copy-token",
      label: "Copy token",
      onSelect: () => void copyFromConnection(c.name, "token"),
      disabled: !signedIn,
    },
    {
      id: "copy-header",
      label: "Copy header",
      onSelect: () => void copyFromConnection(c.name, "header"),
      disabled: !signedIn,
    },
    {
      id: "edit",
      label: "Edit…",
      onSelect: () => {
        actions.edit(c.name);
      },
    },
    {
      id: "logout",
      label: "Log out",
      onSelect: () => void logOut(c.name),
      disabled: c.status === "signed_out",
    },
    {
      id: "remove",
      label: "Remove…",
      onSelect: () => {
        actions.remove(c);
      },
      tone: "danger",
    },
  ];
}

function ConnectionRow({
  connection: c,
  actions,
}: {
  connection: Connection;
  actions: ListActions;
}) {
  const identity = identityLines(c.identity);
  const changed = identityChange(c);
  const showError = c.last_error !== null && (c.status === "error" || c.status === "needs_login");
  return (
    <tr data-testid={`row-${c.name}`}>
      <th scope="row" class="cell-name">
        <div class="cell-name__wrap">
          <KindIcon kind={c.kind} />
          <div class="cell-name__text">
            <button
              type="button"
              class="link-button cell-name__label"
              data-testid={`open-${c.name}`}
              aria-label={`${c.label}, show details`}
              onClick={() => {
                actions.open(c.name);
              }}
            >
              {c.label}
            </button>
            {c.label !== c.name && <code class="cell-name__slug">{c.name}</code>}
            {/* Narrow windows fold the kind column into this cell; CSS shows one or the other. */}
            <span class="cell-name__kind">{c.kind_title}</span>
          </div>
        </div>
      </th>
      <td class="col-kind">{c.kind_title}</td>
      <td class="cell-status">
        <span data-testid={`status-${c.name}`}>
          <Badge tone={statusTone(c.status)}>
            {c.login_pending ? "Logging in…" : statusLabel(c.status)}
          </Badge>
        </span>
        {c.store === "file" && <span class="cell-status__store">secrets in a file</span>}
        {c.allow_http && (
          <span
            class="cell-status__store"
            title={ALLOW_HTTP_WARNING}
            data-testid={`allow-http-${c.name}`}
          >
            plain http allowed
          </span>
        )}
        {showError && (
          <span class="cell-status__error" title={c.last_error ?? undefined}>
            {c.last_error}
          </span>
        )}
        {c.warnings.map((w) => (
          <span
            key={w}
            class="cell-status__error cell-status__warning"
            data-testid={`warning-${c.name}`}
            title={w}
          >
            {w}
          </span>
        ))}
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
        {changed !== null && (
          <span
            class="cell-identity__changed"
            role="status"
            data-testid={`identity-changed-${c.name}`}
          >
            <span>Another account than before. {changed}.</span>
            <button
              type="button"
              class="link-button"
              data-testid={`identity-ack-${c.name}`}
              aria-label={`That is right: ${c.label} is now for this account`}
              onClick={() => void acknowledgeChange(c.name)}
            >
              OK
            </button>
          </span>
        )}
      </td>
      <td class="cell-expiry">
        <ExpiryCell connection={c} />
      </td>
      <td class="cell-actions">
        <div class="cell-actions__wrap">
          {wantsLogin(c) ? (
            <Button
              size="small"
              variant="primary"
              testId={`row-login-${c.name}`}
              label={`Log in to ${c.label}`}
              onClick={() => {
                actions.login(c);
              }}
            >
              Log in
            </Button>
          ) : (
            <Button
              size="small"
              testId={`copy-token-${c.name}`}
              label={`Copy the token of ${c.label}`}
              onClick={() => void copyFromConnection(c.name, "token")}
            >
              Copy token
            </Button>
          )}
          <Menu
            label={`More actions for ${c.label}`}
            testId={`actions-${c.name}`}
            items={rowMenuItems(c, actions)}
          />
        </div>
      </td>
    </tr>
  );
}
