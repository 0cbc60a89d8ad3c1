// Kinds and presets as the backend describes them, for tests.

import type { FieldInfo, KindInfo, Preset } from "../../ipc/client";

export function field(overrides: Partial<FieldInfo> & Pick<FieldInfo, "name">): FieldInfo {
  return {
    label: overrides.name.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase()),
    type: "text",
    options: [],
    required: false,
    default: null,
    help: "",
    common: false,
    destination: false,
    ...overrides,
    advanced: overrides.advanced ?? overrides.common ?? false,
  };
}

const COMMON: FieldInfo[] = [
  field({ name: "label", common: true, help: "A name for people" }),
  field({ name: "keep_fresh", label: "Keep fresh", type: "bool", common: true, default: "true" }),
  field({ name: "header_name", label: "Header name", common: true, default: "Authorization" }),
  field({ name: "refresh_before", label: "Refresh before", type: "integer", common: true }),
];

export const OAUTH2: KindInfo = {
  kind: "oauth2",
  title: "OAuth 2.0 / OIDC",
  summary: "Any OAuth 2.0 or OpenID Connect service",
  asks_totp: false,
  fields: [
    field({
      name: "issuer",
      label: "Issuer",
      type: "url",
      help: "Discovery fills the endpoints",
      destination: true,
    }),
    field({ name: "token_url", label: "Token URL", type: "url", destination: true }),
    field({
      name: "grant",
      label: "Grant",
      type: "choice",
      options: ["authorization_code", "client_credentials", "device_code"],
      default: "authorization_code",
    }),
    field({ name: "client_id", label: "Client ID", required: true }),
    field({ name: "client_secret", label: "Client secret", type: "secret" }),
    field({ name: "params", label: "Extra parameters", type: "map" }),
    field({ name: "redirect_uri", label: "Redirect URI", advanced: true, destination: true }),
    field({ name: "allow_http", label: "Allow plain http", type: "bool", common: true }),
    ...COMMON,
  ],
};

export const STATIC: KindInfo = {
  kind: "static",
  title: "Static token",
  summary: "A token obtained elsewhere",
  asks_totp: false,
  fields: [
    field({ name: "token", label: "Token", type: "secret", required: true }),
    field({ name: "expires_at", label: "Expires at", type: "date_time" }),
    field({ name: "identity_url", label: "Identity URL", type: "url", destination: true }),
    ...COMMON,
  ],
};

export const CDSE: KindInfo = {
  kind: "cdse",
  title: "Copernicus Data Space",
  summary: "Keycloak with optional 2FA",
  asks_totp: true,
  fields: [
    field({ name: "token_url", label: "Token URL", type: "url", required: true }),
    field({ name: "client_id", label: "Client ID", required: true }),
    field({ name: "username", label: "Username", required: true }),
    field({ name: "password", label: "Password", type: "secret", required: true }),
    ...COMMON,
  ],
};

export const CDSE_PRESET: Preset = {
  id: "cdse",
  title: "Copernicus Data Space",
  summary: "Sentinel data downloads",
  kind: "cdse",
  values: { token_url: "https://identity.example.eu/token", client_id: "cdse-public" },
  fixed: ["token_url", "client_id"],
};

export const PRESETS: Preset[] = [
  {
    id: "oauth2",
    title: "OAuth 2.0 / OIDC",
    summary: "Any service",
    kind: "oauth2",
    values: {},
    fixed: [],
  },
  {
    id: "static",
    title: "Static token",
    summary: "An API key",
    kind: "static",
    values: {},
    fixed: [],
  },
  CDSE_PRESET,
];

export const KINDS: KindInfo[] = [OAUTH2, STATIC, CDSE];
