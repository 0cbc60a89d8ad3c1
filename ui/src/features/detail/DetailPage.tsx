// One connection in full: its state, the decoded token, where its secrets live, its history,
// who was handed its token, and snippets to use it from other tools.

import { useCallback, useEffect, useState } from "preact/hooks";

import { useNow } from "../../app/useNow";
import { Badge } from "../../components/Badge";
import { Button } from "../../components/Button";
import { KindIcon } from "../../components/KindIcon";
import { connectionDetail, failureText, onConnectionsChanged } from "../../ipc/client";
import type { Detail, Unsubscribe } from "../../ipc/client";
import { formatInstant } from "../../lib/instant";
import { wantsLogin } from "../connections/actions";
import type { ListActions } from "../connections/actions";
import { copyFromConnection, logOut, refreshNow } from "../connections/commands";
import { ExpiryCell } from "../connections/ExpiryCell";
import { identityChange, identityLines, statusLabel, statusTone } from "../connections/labels";
import { RevealToken } from "./RevealToken";
import { Snippets } from "./Snippets";

import "./detail.css";
import { ALLOW_HTTP_WARNING } from "../../lib/warnings";

type Loaded =
  { phase: "loading" } | { phase: "failed"; message: string } | { phase: "ready"; detail: Detail };

const STORE_WORDS = {
  keychain: "the system keychain",
  file: "an owner-only file (no keychain)",
  memory: "memory only (lost on quit)",
} as const;

const OUTCOME_WORDS = {
  renewed: "Renewed",
  logged_in: "Logged in",
  failed: "Failed",
  logged_out: "Logged out",
} as const;

export function DetailPage({
  name,
  actions,
  onBack,
}: {
  name: string;
  actions: ListActions;
  onBack: () => void;
}) {
  const [loaded, setLoaded] = useState<Loaded>({ phase: "loading" });

  const load = useCallback(() => {
    connectionDetail(name).then(
      (detail) => {
        setLoaded({ phase: "ready", detail });
      },
      (failure: unknown) => {
        setLoaded({ phase: "failed", message: failureText(failure) });
      },
    );
  }, [name]);

  useEffect(() => {
    let stop: Unsubscribe | undefined;
    let gone = false;
    onConnectionsChanged((change) => {
      if (change.type === "removed" && change.name === name) onBack();
      else if (
        change.type === "resync" ||
        (change.type === "changed" && change.connection.name === name)
      )
        load();
    }).then(
      (unsubscribe) => {
        if (gone) unsubscribe();
        else stop = unsubscribe;
      },
      () => undefined,
    );
    load();
    return () => {
      gone = true;
      stop?.();
    };
  }, [name, load, onBack]);

  return (
    <section class="detail" aria-labelledby="detail-title" data-testid="detail">
      <div class="detail__back">
        <Button size="small" variant="ghost" onClick={onBack} testId="detail-back">
          ← All connections
        </Button>
      </div>
      {loaded.phase === "loading" && (
        <p class="page-note" role="status" aria-busy="true">
          Loading {name}…
        </p>
      )}
      {loaded.phase === "failed" && (
        <div class="problem" role="alert">
          <h1 id="detail-title">Could not show {name}</h1>
          <p class="problem__message">{loaded.message}</p>
          <Button onClick={load}>Try again</Button>
        </div>
      )}
      {loaded.phase === "ready" && <DetailBody detail={loaded.detail} actions={actions} />}
    </section>
  );
}

function DetailBody({ detail, actions }: { detail: Detail; actions: ListActions }) {
  const c = detail.connection;
  const now = useNow();
  const who = identityLines(c.identity);
  const changed = identityChange(c);
  useEffect(() => {
    document.getElementById("detail-title")?.focus();
  }, []);
  const at = (ms: number | null) => (ms === null ? "—" : formatInstant(ms, now));
  return (
    <>
      <header class="detail__head">
        <KindIcon kind={c.kind} />
        <div class="detail__title">
          <h1 id="detail-title" tabIndex={-1}>
            {c.label}
          </h1>
          <p class="muted">
            <code>{c.name}</code> · {c.kind_title}
            {who !== null && ` · ${who.primary}`}
          </p>
        </div>
        <div class="detail__state">
          <Badge tone={statusTone(c.status)}>{statusLabel(c.status)}</Badge>
          <ExpiryCell connection={c} />
        </div>
      </header>
      {changed !== null && (
        <p class="detail__changed" role="status" data-testid="detail-identity-changed">
          The last login signed in as another account than before. {changed}.
        </p>
      )}
      {c.allow_http && (
        <p class="detail__changed" role="note" data-testid="detail-allow-http">
          {ALLOW_HTTP_WARNING}
        </p>
      )}
      {c.last_error !== null && (c.status === "error" || c.status === "needs_login") && (
        <p class="form-error" role="alert">
          {c.last_error}
        </p>
      )}
      {c.warnings.map((w) => (
        <p key={w} class="form-warning" data-testid="detail-warning">
          {w}
        </p>
      ))}
      <div class="detail__actions" role="group" aria-label="Actions">
        <Button
          variant={wantsLogin(c) ? "primary" : "secondary"}
          size="small"
          onClick={() => {
            actions.login(c);
          }}
          testId="detail-login"
        >
          Log in
        </Button>
        <Button
          size="small"
          onClick={() => void refreshNow(c.name)}
          disabled={wantsLogin(c)}
          testId="detail-refresh"
        >
          Refresh now
        </Button>
        <Button
          size="small"
          onClick={() => void copyFromConnection(c.name, "token")}
          disabled={wantsLogin(c)}
          testId="detail-copy-token"
        >
          Copy token
        </Button>
        <Button
          size="small"
          onClick={() => void copyFromConnection(c.name, "header")}
          disabled={wantsLogin(c)}
          testId="detail-copy-header"
        >
          Copy header
        </Button>
        <Button
          size="small"
          onClick={() => {
            actions.edit(c.name);
          }}
          testId="detail-edit"
        >
          Edit
        </Button>
        <Button
          size="small"
          onClick={() => void logOut(c.name)}
          disabled={c.status === "signed_out"}
          testId="detail-logout"
        >
          Log out
        </Button>
        <Button
          size="small"
          variant="ghost"
          onClick={() => {
            actions.remove(c);
          }}
          testId="detail-remove"
        >
          Remove…
        </Button>
      </div>

      <div class="detail__grid">
        <section class="card" aria-labelledby="facts-title">
          <h2 id="facts-title">Overview</h2>
          <dl class="facts">
            <dt>Signed in as</dt>
            <dd>
              {who === null
                ? "—"
                : who.secondary === null
                  ? who.primary
                  : `${who.primary} (${who.secondary})`}
            </dd>
            <dt>Token expires</dt>
            <dd>{at(c.expires_at)}</dd>
            {c.refresh_expires_at !== null && (
              <>
                <dt>Session ends</dt>
                <dd>{at(c.refresh_expires_at)}</dd>
              </>
            )}
            {c.needs_login_at !== null && (
              <>
                <dt>Login needed</dt>
                <dd>{at(c.needs_login_at)}</dd>
              </>
            )}
            <dt>Next renewal</dt>
            <dd>{c.keep_fresh ? at(detail.next_renewal) : "off (renewed only when asked)"}</dd>
            <dt>Last renewed</dt>
            <dd>{at(c.last_refresh)}</dd>
            {detail.token_type !== null && (
              <>
                <dt>Token type</dt>
                <dd>{detail.token_type}</dd>
              </>
            )}
            <dt>Header</dt>
            <dd>
              <code>
                {c.header_name}: {c.header_prefix === "" ? "" : `${c.header_prefix} `}…
              </code>
            </dd>
            {c.referer !== null && (
              <>
                <dt>Referer</dt>
                <dd data-testid="detail-referer">
                  <code>{c.referer}</code>
                  <span class="muted"> — send it with every API call</span>
                </dd>
              </>
            )}
            <dt>Other tools</dt>
            <dd>
              {c.exportable ? "may be handed the token" : "not handed the token (export is off)"}
            </dd>
            {c.token_file !== null && (
              <>
                <dt>Token file</dt>
                <dd>
                  <code>{c.token_file}</code>
                </dd>
              </>
            )}
            <dt>Secrets live in</dt>
            <dd data-testid="detail-store">
              {c.store === null ? "nothing stored yet" : STORE_WORDS[c.store]}
              {detail.stored_secrets.length > 0 && (
                <span class="muted"> — {detail.stored_secrets.join(", ")}</span>
              )}
            </dd>
            <dt>Local endpoint</dt>
            <dd>
              {detail.endpoint_url === null ? (
                "not running"
              ) : (
                <>
                  <code data-testid="detail-endpoint">{`${detail.endpoint_url.replace(/\/$/, "")}/v1/connections/${c.name}/token`}</code>
                  {detail.endpoint_default_taken !== null && (
                    <span class="muted" data-testid="detail-endpoint-note">
                      {" "}
                      (the default port {detail.endpoint_default_taken} is taken by another program)
                    </span>
                  )}
                </>
              )}
            </dd>
            {detail.scopes.length > 0 && (
              <>
                <dt>Scopes</dt>
                <dd class="scopes">
                  {detail.scopes.map((s) => (
                    <code key={s} class="scope">
                      {s}
                    </code>
                  ))}
                </dd>
              </>
            )}
          </dl>
          {!wantsLogin(c) && <RevealToken name={c.name} />}
        </section>

        <Snippets connection={c} />
      </div>

      {detail.jwt !== null && (
        <section class="card" aria-labelledby="jwt-title">
          <h2 id="jwt-title">Decoded token</h2>
          <p class="muted">The token is a JWT. Its header and claims, without the signature:</p>
          <div class="jwt">
            <div>
              <h3>Header</h3>
              <pre class="code" data-testid="jwt-header" tabIndex={0}>
                {detail.jwt.header}
              </pre>
            </div>
            <div>
              <h3>Claims</h3>
              <pre class="code" data-testid="jwt-claims" tabIndex={0}>
                {detail.jwt.claims}
              </pre>
            </div>
          </div>
        </section>
      )}

      <section class="card" aria-labelledby="history-title">
        <h2 id="history-title">Refresh history</h2>
        {detail.history.length === 0 ? (
          <p class="muted">Nothing yet.</p>
        ) : (
          <table class="plain-table" data-testid="history">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {detail.history.map((h, i) => (
                <tr key={`${h.at}-${i}`}>
                  <td>{at(h.at)}</td>
                  <td class={h.outcome === "failed" ? "danger-text" : undefined}>
                    {OUTCOME_WORDS[h.outcome]}
                  </td>
                  <td>{h.message ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section class="card" aria-labelledby="audit-title">
        <h2 id="audit-title">Handed out to</h2>
        {detail.audit.length === 0 ? (
          <p class="muted">No tool has asked for this token yet.</p>
        ) : (
          <table class="plain-table" data-testid="audit">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">How</th>
                <th scope="col">Client</th>
                <th scope="col">Process</th>
              </tr>
            </thead>
            <tbody>
              {detail.audit.map((a, i) => (
                <tr key={`${a.at}-${i}`}>
                  <td>{at(a.at)}</td>
                  <td>
                    <code>{a.via}</code>
                  </td>
                  <td>{a.client ?? "—"}</td>
                  <td>{a.process ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
