// Connections as the backend sends them, for tests.

import type { Connection } from "../../ipc/client";

export const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

export function connection(overrides: Partial<Connection> & Pick<Connection, "name">): Connection {
  return {
    kind: "oauth2",
    kind_title: "OAuth 2.0 / OpenID Connect",
    label: overrides.name,
    status: "active",
    expires_at: NOW + 4 * 60_000 + 5_000,
    refresh_expires_at: null,
    needs_login_at: null,
    identity: { subject: "ada", name: null, email: null },
    previous_identity: null,
    last_refresh: NOW - 60_000,
    last_error: null,
    warnings: [],
    store: "keychain",
    exportable: true,
    keep_fresh: true,
    header_name: "Authorization",
    header_prefix: "Bearer",
    token_file: null,
    login_pending: false,
    referer: null,
    allow_http: false,
    // As the engine says for these kinds' default settings.
    login: overrides.kind === "cdse" ? { method: "password", totp: true } : { method: "browser" },
    ...overrides,
  };
}
