// A real OpenID provider (panva/oidc-provider) on 127.0.0.1 for Tokentray's integration tests.
//
// Environment:
//   OP_PORT               port to bind on 127.0.0.1 (default 0 = ephemeral)
//   OP_ROTATE_REFRESH     "1" rotates the refresh token on every use; anything else never rotates
//   OP_ACCESS_TOKEN_TTL   access-token lifetime in seconds (default 300)
//   OP_REFRESH_TOKEN_TTL  refresh-token lifetime in seconds (default 14 days)
//   OP_ISSUER             the issuer the provider names itself, e.g. the https address of a TLS
//                         front that forwards to it (default: its own http://127.0.0.1:PORT)
//   OP_CLIENTS            optional JSON array of extra client metadata objects; an entry whose
//                         client_id matches a built-in client replaces it
//
// Prints exactly one line on stdout once it accepts connections:
//   oidc-provider listening on http://127.0.0.1:PORT
//
// Besides the provider's own routes it serves one test-only route:
//   POST /__test/refresh-token  {"client_id": "...", "scope"?: "...", "account"?: "alice"}
//   -> 200 {"refresh_token": "...", "grant_id": "..."}
// which mints a refresh token for a test account without a browser.

import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const LOOPBACK = '127.0.0.1';
const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';
const DEFAULT_SCOPE = 'openid offline_access profile email';

const ACCOUNTS = {
  alice: {
    password: 'wonderland',
    claims: {
      sub: 'alice',
      preferred_username: 'alice',
      name: 'Alice Liddell',
      email: 'alice@example.org',
      email_verified: true,
    },
  },
};

const REDIRECT_URIS = ['http://127.0.0.1/callback', 'tokentray://oauth/callback'];

function builtInClients() {
  return [
    {
      client_id: 'tt-basic',
      client_secret: 'tt-basic-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      application_type: 'native',
      grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
      response_types: ['code'],
      redirect_uris: REDIRECT_URIS,
    },
    {
      client_id: 'tt-post',
      client_secret: 'tt-post-secret',
      token_endpoint_auth_method: 'client_secret_post',
      application_type: 'native',
      grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
      response_types: ['code'],
      redirect_uris: REDIRECT_URIS,
    },
    {
      client_id: 'tt-public',
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token', DEVICE_CODE],
      response_types: ['code'],
      redirect_uris: REDIRECT_URIS,
    },
  ];
}

function clients() {
  const extra = process.env.OP_CLIENTS ? JSON.parse(process.env.OP_CLIENTS) : [];
  const ids = new Set(extra.map((client) => client.client_id));
  return [...builtInClients().filter((client) => !ids.has(client.client_id)), ...extra];
}

function seconds(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number.parseInt(raw, 10);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive number of seconds, got ${raw}`);
  }
  return value;
}

async function findAccount(_ctx, id) {
  const account = ACCOUNTS[id];
  if (!account) return undefined;
  return { accountId: id, claims: async () => account.claims };
}

function configuration() {
  const rotate = process.env.OP_ROTATE_REFRESH === '1';
  const accessTtl = seconds('OP_ACCESS_TOKEN_TTL', 300);
  return {
    clients: clients(),
    findAccount,
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'api'],
    features: {
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      devInteractions: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => rotate,
    // Tokens outlive the browser session: tests log in once and keep refreshing.
    expiresWithSession: async () => false,
    ttl: {
      AccessToken: accessTtl,
      ClientCredentials: accessTtl,
      RefreshToken: seconds('OP_REFRESH_TOKEN_TTL', 14 * 24 * 60 * 60),
      Grant: 14 * 24 * 60 * 60,
    },
  };
}

async function mintRefreshToken(provider, body) {
  const accountId = body.account || 'alice';
  if (!ACCOUNTS[accountId]) return { status: 400, json: { error: 'unknown_account' } };
  const client = await provider.Client.find(String(body.client_id || ''));
  if (!client) return { status: 400, json: { error: 'unknown_client' } };
  if (!client.grantTypeAllowed('refresh_token')) {
    return { status: 400, json: { error: 'refresh_token_grant_not_allowed' } };
  }
  const scope = body.scope || DEFAULT_SCOPE;
  const grant = new provider.Grant({ clientId: client.clientId, accountId });
  grant.addOIDCScope(scope);
  const grantId = await grant.save();
  const refreshToken = new provider.RefreshToken({
    accountId,
    client,
    grantId,
    gty: 'authorization_code',
    scope,
    authTime: Math.floor(Date.now() / 1000),
    expiresWithSession: false,
  });
  return { status: 200, json: { refresh_token: await refreshToken.save(), grant_id: grantId } };
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

async function testRoute(provider, req, res) {
  let reply;
  if (req.method === 'POST' && req.url === '/__test/refresh-token') {
    try {
      reply = await mintRefreshToken(provider, await readJson(req));
    } catch (error) {
      reply = { status: 400, json: { error: 'invalid_request', error_description: error.message } };
    }
  } else {
    reply = { status: 404, json: { error: 'not_found' } };
  }
  res.writeHead(reply.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(reply.json));
}

async function main() {
  let provider;
  const server = createServer((req, res) => {
    if (req.url.startsWith('/__test/')) {
      testRoute(provider, req, res);
    } else {
      provider.callback()(req, res);
    }
  });
  const port = Number.parseInt(process.env.OP_PORT || '0', 10);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`OP_PORT must be a port number, got ${process.env.OP_PORT}`);
  }
  await new Promise((resolve) => server.listen(port, LOOPBACK, resolve));
  const address = `http://${LOOPBACK}:${server.address().port}`;
  provider = new Provider(process.env.OP_ISSUER || address, configuration());
  // Behind a TLS front, the front's X-Forwarded-Proto says the request came over https.
  provider.proxy = Boolean(process.env.OP_ISSUER);
  provider.on('server_error', (_ctx, error) => console.error('server_error', error));

  process.stdout.write(`oidc-provider listening on ${address}\n`);

  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
