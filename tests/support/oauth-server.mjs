// Local OAuth2 authorization server for the OAuth test bed (loopback only).
//
// Built on the npm package oauth2-mock-server (9.x: /authorize, JWT signing, JWKS, discovery).
// That package accepts ANY code / token / refresh token (its introspection always says active),
// so this wrapper keeps state and validates what a real server would:
//   - /authorize auto-approves (no browser, no login page) and 302-redirects to redirect_uri
//     with ?code=&state=; it requires PKCE (code_challenge, S256 or plain) unless
//     OAUTH_REQUIRE_PKCE=0; login_hint=<user> picks one of OAUTH_USERS.
//   - /token: codes are single-use, bound to client_id + redirect_uri + PKCE; refresh tokens
//     must be known and not revoked; tokens carry sub/email = the user, the scope asked for
//     at /authorize.
//   - /introspect (RFC 7662, POST token=...): {active:true, email, username, scope, exp, ...}
//     only for tokens this server issued that are not expired or revoked; else {active:false}.
//   - /userinfo (Bearer): {sub, email} or 401 invalid_token.
//   - /revoke (RFC 7009): revokes an access or refresh token (a refresh token takes its
//     access tokens with it).
//   - /devicecode (RFC 8628 device authorization, POST client_id, scope) -> {device_code,
//     user_code, verification_uri, verification_uri_complete, expires_in, interval}; /token with
//     grant_type=urn:ietf:params:oauth:grant-type:device_code answers 400 authorization_pending
//     until approved, slow_down when polled sooner than `interval` after the previous poll,
//     expired_token after expires_in, access_denied once denied, invalid_grant for an unknown or
//     already used device code, then the usual token response (access + refresh token, scope).
//     Approval without a browser: GET verification_uri_complete (auto-approves, as /authorize
//     does; honours deny_next_authorize), POST /device user_code=..., or the test controls below.
// Test controls (JSON or form body):
//   POST /testbed/mint    {user?, ttl?, scope?}  -> {access_token, expires_at}; ttl<0 = already expired
//   POST /testbed/expire  {token} | {all:true}   -> marks access token(s) expired now
//   POST /testbed/config  {access_ttl, rotate_refresh, deny_next_authorize, next_token_error,
//                          device_expires_in (600), device_interval (1), client_secret (none: a
//                          public client; set: /token wants it, in Basic auth or the form)}
//   POST /testbed/device/approve {user_code | device_code, user?} -> {approved, user}
//   POST /testbed/device/deny    {user_code | device_code}        -> {denied}
//   GET  /testbed/state   -> config + counters + last introspections
// Usage: node oauth-server.mjs PORT   (env: OAUTH_USERS="a@x b@y", OAUTH_REQUIRE_PKCE=1)
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { OAuth2Server, Events } from 'oauth2-mock-server';

const port = Number(process.argv[2] ?? 0);
const HOST = '127.0.0.1';
const users = (process.env.OAUTH_USERS ?? 'oauthuser@test.invalid').split(/\s+/).filter(Boolean);
const requirePkce = (process.env.OAUTH_REQUIRE_PKCE ?? '1') !== '0';

const codes = new Map();    // code -> {user, client_id, redirect_uri, scope, pkce, used}
const access = new Map();   // access token -> {user, client_id, scope, exp, revoked, refresh}
const refresh = new Map();  // refresh token -> {user, client_id, scope, revoked}
const devices = new Map();  // device_code -> {user_code, client_id, scope, expires_at, interval, last_poll, status, user}
const config = { access_ttl: null, rotate_refresh: false, deny_next_authorize: false, next_token_error: null,
  device_expires_in: 600, device_interval: 1, client_secret: null };
const stats = { authorize: 0, token: 0, introspect: 0, introspect_active: 0, userinfo: 0, revoke: 0,
  devicecode: 0, device_polls: 0 };
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const introspections = [];  // last few {at, active, user, token_tail}

const now = () => Math.floor(Date.now() / 1000);
const jwtPayload = (t) => { try { return JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()); } catch { return {}; } };
const clientIdOf = (req, body) => {
  const h = req.headers.authorization ?? '';
  if (h.startsWith('Basic ')) return Buffer.from(h.slice(6), 'base64').toString().split(':')[0];
  return body?.client_id;
};
const clientSecretOf = (req, body) => {
  const h = req.headers.authorization ?? '';
  if (h.startsWith('Basic ')) return Buffer.from(h.slice(6), 'base64').toString().split(':').slice(1).join(':');
  return body?.client_secret;
};
const tokenState = (tok) => {
  const a = access.get(tok);
  if (!a) return { ok: false, why: 'unknown token' };
  if (a.revoked) return { ok: false, why: 'revoked' };
  if (a.exp <= now()) return { ok: false, why: 'expired' };
  return { ok: true, a };
};
const send = (res, status, body, headers = {}) => {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(s);
};
const field = (body, k) => (body && typeof body === 'object' ? body[k] : undefined);

const server = new OAuth2Server(undefined, undefined, {
  // the package's own token/introspect/userinfo/revoke accept anything: moved aside, ours below
  endpoints: { token: '/_mock/token', introspect: '/_mock/introspect', userinfo: '/_mock/userinfo', revoke: '/_mock/revoke' },
});
await server.issuer.keys.generate('RS256');
const svc = server.service;

// --- /authorize: remember the code, enforce PKCE, optionally deny
svc.on(Events.BeforeAuthorizeRedirect, (redirect, req) => {
  stats.authorize++;
  const q = req.query ?? {};
  const url = redirect.url;
  const code = url.searchParams.get('code');
  const fail = (error, desc) => {
    url.searchParams.delete('code');
    url.searchParams.set('error', error);
    url.searchParams.set('error_description', desc);
  };
  if (!code) return;                                   // unsupported response_type: package already set error
  if (config.deny_next_authorize) { config.deny_next_authorize = false; return fail('access_denied', 'The user denied the request'); }
  if (requirePkce && !q.code_challenge) return fail('invalid_request', 'PKCE code_challenge required');
  if (q.code_challenge_method && !['S256', 'plain'].includes(q.code_challenge_method))
    return fail('invalid_request', 'unsupported code_challenge_method');
  const user = q.login_hint ?? users[0];
  if (!users.includes(user)) return fail('access_denied', `unknown user ${user}`);
  codes.set(code, { user, client_id: q.client_id, redirect_uri: q.redirect_uri, scope: q.scope ?? '', used: false,
    pkce: q.code_challenge ? { challenge: q.code_challenge, method: q.code_challenge_method ?? 'plain' } : null });
});

// --- /token: who the token is for (runs for access_token and id_token)
const grantRecord = (body) => {
  if (body.grant_type === 'authorization_code') return codes.get(body.code);
  if (body.grant_type === 'refresh_token') return refresh.get(body.refresh_token);
  if (body.grant_type === 'password') return { user: body.username, scope: body.scope ?? '' };
  return undefined;
};
svc.on(Events.BeforeTokenSigning, (token, req) => {
  const rec = grantRecord(req.body ?? {});
  if (rec?.user) Object.assign(token.payload, { sub: rec.user, email: rec.user, email_verified: true });
  if (rec && rec.scope !== undefined && token.payload.scope !== undefined) token.payload.scope = rec.scope;
  token.payload.jti = randomUUID();                   // else two tokens minted in one second are identical
  const cid = clientIdOf(req, req.body);
  if (cid) token.payload.client_id = cid;
  if (config.access_ttl !== null) token.payload.exp = now() + Number(config.access_ttl);
});

// --- /token (ours): validate the grant like a real server, then let the package sign the tokens.
// (The package itself accepts any code / refresh token and answers a reused code with a non-RFC
// 400 problem+json, so validation happens here, before forwarding the same form to /_mock/token.)
const pkceOk = (verifier, c) => /^[A-Za-z0-9\-._~]{43,128}$/.test(verifier ?? '') &&
  (c.method === 'plain' ? verifier === c.challenge
    : createHash('sha256').update(verifier).digest('base64url') === c.challenge);
svc.addRoute('POST', '/token', async (req, res) => {
  stats.token++;
  const body = req.body ?? {};
  const reject = (error, desc, status = 400) => send(res, status, { error, error_description: desc });
  if (config.next_token_error) {
    const e = config.next_token_error; config.next_token_error = null;
    return reject(e, 'forced by /testbed/config', e === 'temporarily_unavailable' ? 503 : 400);
  }
  const cid = clientIdOf(req, body);
  if (config.client_secret && clientSecretOf(req, body) !== config.client_secret) {
    return reject('invalid_client', 'client authentication failed', 401);
  }
  const fwd = { ...body };
  if (body.grant_type === 'authorization_code') {
    const rec = codes.get(body.code);
    if (!rec) return reject('invalid_grant', 'unknown authorization code');
    if (rec.used) return reject('invalid_grant', 'authorization code already used');
    rec.used = true;
    if (rec.redirect_uri && body.redirect_uri !== rec.redirect_uri) return reject('invalid_grant', 'redirect_uri mismatch');
    if (rec.client_id && cid !== rec.client_id) return reject('invalid_grant', 'client_id mismatch');
    if (rec.pkce && !body.code_verifier) return reject('invalid_grant', 'code_verifier required');
    if (rec.pkce && !pkceOk(body.code_verifier, rec.pkce)) return reject('invalid_grant', 'code_verifier does not match code_challenge');
    if (!rec.pkce) delete fwd.code_verifier;           // (the package would answer "code_challenge required")
  } else if (body.grant_type === 'refresh_token') {
    const rec = refresh.get(body.refresh_token);
    if (!rec) return reject('invalid_grant', 'unknown refresh token');
    if (rec.revoked) return reject('invalid_grant', 'refresh token revoked');
    if (rec.client_id && cid && cid !== rec.client_id) return reject('invalid_grant', 'client_id mismatch');
  } else if (body.grant_type === DEVICE_GRANT) {
    stats.device_polls++;
    const d = devices.get(body.device_code);
    if (!d) return reject('invalid_grant', 'unknown device code');
    if (d.client_id && cid && cid !== d.client_id) return reject('invalid_grant', 'client_id mismatch');
    if (Date.now() >= d.expires_at) return reject('expired_token', 'the device code has expired');
    if (d.status === 'denied') return reject('access_denied', 'The user denied the request');
    if (d.status === 'used') return reject('invalid_grant', 'device code already used');
    const last = d.last_poll; d.last_poll = Date.now();
    if (last !== null && d.last_poll - last < d.interval * 1000)
      return reject('slow_down', `polled ${d.last_poll - last} ms after the previous poll; interval is ${d.interval} s`);
    if (d.status === 'pending') return reject('authorization_pending', 'the user has not yet approved the request');
    // approved: the package signs as for an authorization code; a used synthetic code carries user + scope
    d.status = 'used';
    const code = `device:${body.device_code}`;
    codes.set(code, { user: d.user, client_id: d.client_id, redirect_uri: undefined, scope: d.scope, used: true, pkce: null });
    for (const k of Object.keys(fwd)) delete fwd[k];
    Object.assign(fwd, { grant_type: 'authorization_code', code }, d.client_id ? { client_id: d.client_id } : {});
  } else if (!['client_credentials', 'password'].includes(body.grant_type)) {
    return reject('unsupported_grant_type', `grant_type ${body.grant_type}`);
  }
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (req.headers.authorization) headers.Authorization = req.headers.authorization;
  const r = await fetch(`${server.issuer.url}/_mock/token`, { method: 'POST', headers,
    body: new URLSearchParams(Object.entries(fwd).filter(([, v]) => typeof v === 'string')).toString() });
  const text = await r.text();
  res.writeHead(r.status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  res.end(text);
});

// --- /_mock/token (the package) after signing: record what was issued
svc.on(Events.BeforeResponse, (resp, req) => {
  const body = req.body ?? {};
  if (resp.statusCode !== 200 || !resp.body.access_token) return;
  const rec = grantRecord(body) ?? { user: undefined, scope: body.scope ?? '' };
  const cid = clientIdOf(req, body) ?? rec.client_id;
  const at = resp.body.access_token;
  const exp = jwtPayload(at).exp ?? now() + 3600;
  resp.body.expires_in = Math.max(exp - now(), 0);
  resp.body.scope = rec.scope ?? resp.body.scope;
  let rt = resp.body.refresh_token;
  if (body.grant_type === 'refresh_token') {
    if (config.rotate_refresh) refresh.get(body.refresh_token).revoked = true;   // old one dies, new one issued
    else { rt = body.refresh_token; resp.body.refresh_token = rt; }             // Google-style: keep the same
  }
  if (rt && !refresh.has(rt)) refresh.set(rt, { user: rec.user, client_id: cid, scope: rec.scope ?? '', revoked: false });
  access.set(at, { user: rec.user, client_id: cid, scope: rec.scope ?? '', exp, revoked: false, refresh: rt });
});

// --- discovery: advertise our endpoints, not the package's moved-aside ones
svc.on(Events.BeforeWellKnownOpenIdConfiguration, (doc) => {
  const base = server.issuer.url;
  Object.assign(doc.body, { token_endpoint: `${base}/token`, introspection_endpoint: `${base}/introspect`,
    userinfo_endpoint: `${base}/userinfo`, revocation_endpoint: `${base}/revoke`,
    device_authorization_endpoint: `${base}/devicecode`,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'password', DEVICE_GRANT],
    scopes_supported: ['openid', 'email', 'mail'] });
});

// --- RFC 7662 introspection (what Dovecot's passdb oauth2 calls, introspection_mode = post)
svc.addRoute('POST', '/introspect', (req, res) => {
  stats.introspect++;
  const tok = field(req.body, 'token') ?? '';
  const st = tokenState(tok);
  introspections.push({ at: new Date().toISOString(), active: st.ok, why: st.ok ? 'ok' : st.why,
    user: st.a?.user ?? access.get(tok)?.user ?? null, token_tail: String(tok).slice(-8) });
  if (introspections.length > 20) introspections.shift();
  if (!st.ok) return send(res, 200, { active: false });
  stats.introspect_active++;
  const a = st.a;
  send(res, 200, { active: true, token_type: 'Bearer', scope: a.scope, client_id: a.client_id ?? '',
    username: a.user, email: a.user, sub: a.user, exp: a.exp, iss: server.issuer.url });
});

svc.addRoute('GET', '/userinfo', (req, res) => {
  stats.userinfo++;
  const h = req.headers.authorization ?? '';
  const st = h.startsWith('Bearer ') ? tokenState(h.slice(7)) : { ok: false, why: 'no bearer token' };
  if (!st.ok) return send(res, 401, { error: 'invalid_token', error_description: st.why },
    { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${st.why}"` });
  send(res, 200, { sub: st.a.user, email: st.a.user, email_verified: true });
});

svc.addRoute('POST', '/revoke', (req, res) => {
  stats.revoke++;
  const tok = field(req.body, 'token') ?? '';
  if (access.has(tok)) access.get(tok).revoked = true;
  if (refresh.has(tok)) {
    refresh.get(tok).revoked = true;
    for (const a of access.values()) if (a.refresh === tok) a.revoked = true;
  }
  res.writeHead(200); res.end();                       // RFC 7009: 200 even for unknown tokens
});

// --- RFC 8628 device authorization
const USER_CODE_CHARS = 'BCDFGHJKLMNPQRSTVWXZ';   // RFC 8628 6.1: no vowels, no look-alikes
const newUserCode = () => {
  for (;;) {
    const bytes = randomBytes(8);
    const c = Array.from(bytes, (b) => USER_CODE_CHARS[b % USER_CODE_CHARS.length]).join('');
    const code = `${c.slice(0, 4)}-${c.slice(4)}`;
    if (![...devices.values()].some((d) => d.user_code === code)) return code;
  }
};
const normUserCode = (c) => String(c ?? '').toUpperCase().replace(/[^A-Z]/g, '');
const findDevice = (body) => {
  const dc = field(body, 'device_code');
  if (dc) return devices.get(dc);
  const uc = normUserCode(field(body, 'user_code'));
  return uc ? [...devices.values()].find((d) => normUserCode(d.user_code) === uc) : undefined;
};
// approve or deny a pending, unexpired device request; returns an error string or null
const decideDevice = (d, decision, user) => {
  if (!d) return 'unknown user code';
  if (Date.now() >= d.expires_at) return 'the code has expired';
  if (d.status !== 'pending') return `the request is already ${d.status}`;
  if (decision === 'approved') {
    const u = user || users[0];
    if (!users.includes(u)) return `unknown user ${u}`;
    d.user = u;
  }
  d.status = decision;
  return null;
};

svc.addRoute('POST', '/devicecode', (req, res) => {
  stats.devicecode++;
  const body = req.body ?? {};
  const cid = clientIdOf(req, body);
  if (!cid) return send(res, 400, { error: 'invalid_request', error_description: 'client_id required' });
  const device_code = randomBytes(32).toString('base64url');
  const user_code = newUserCode();
  const expires_in = Number(config.device_expires_in);
  const interval = Number(config.device_interval);
  devices.set(device_code, { user_code, client_id: cid, scope: field(body, 'scope') ?? '', status: 'pending',
    expires_at: Date.now() + expires_in * 1000, interval, last_poll: null, user: undefined });
  const verification_uri = `${server.issuer.url}/device`;
  send(res, 200, { device_code, user_code, verification_uri,
    verification_uri_complete: `${verification_uri}?user_code=${encodeURIComponent(user_code)}`,
    expires_in, interval, message: `To sign in, open ${verification_uri} and enter the code ${user_code}.` });
});

// the "browser" side: a user_code in the query (verification_uri_complete) or a posted form approves
const devicePage = (res, status, text) => {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`<!doctype html><title>Device sign-in</title><p>${text}</p>` +
    '<form method="post" action="/device"><input name="user_code"><button>Continue</button></form>');
};
const deviceVisit = (res, params) => {
  if (!params.user_code) return devicePage(res, 200, 'Enter the code shown on your device.');
  const d = findDevice({ user_code: params.user_code });
  let decision = 'approved';
  if (config.deny_next_authorize) { config.deny_next_authorize = false; decision = 'denied'; }
  const err = decideDevice(d, decision, params.login_hint);
  if (err) return devicePage(res, 400, `Sign-in failed: ${err}.`);
  devicePage(res, 200, decision === 'approved'
    ? `Signed in as ${d.user}. You can return to your device.` : 'You refused the sign-in.');
};
svc.addRoute('GET', '/device', (req, res) => {
  const u = new URL(req.url, server.issuer.url);
  deviceVisit(res, Object.fromEntries(u.searchParams));
});
svc.addRoute('POST', '/device', (req, res) => deviceVisit(res, req.body ?? {}));

svc.addRoute('POST', '/testbed/device/approve', (req, res) => {
  const d = findDevice(req.body);
  const err = decideDevice(d, 'approved', field(req.body, 'user'));
  if (err) return send(res, 400, { error: err });
  send(res, 200, { approved: true, user: d.user, user_code: d.user_code });
});
svc.addRoute('POST', '/testbed/device/deny', (req, res) => {
  const d = findDevice(req.body);
  const err = decideDevice(d, 'denied');
  if (err) return send(res, 400, { error: err });
  send(res, 200, { denied: true, user_code: d.user_code });
});

// --- test controls
svc.addRoute('POST', '/testbed/mint', async (req, res) => {
  const user = field(req.body, 'user') ?? users[0];
  const ttl = Number(field(req.body, 'ttl') ?? 3600);
  const scope = field(req.body, 'scope') ?? 'mail';
  const at = await server.issuer.buildToken({ expiresIn: ttl, scopesOrTransform: (_h, p) => {
    Object.assign(p, { sub: user, email: user, scope, client_id: 'testbed-mint', jti: randomUUID() });
    if (ttl < 0) p.nbf = p.iat = now() + ttl - 10;
  } });
  const exp = now() + ttl;
  access.set(at, { user, client_id: 'testbed-mint', scope, exp, revoked: false, refresh: undefined });
  send(res, 200, { access_token: at, token_type: 'Bearer', expires_at: exp, expires_in: ttl, scope });
});

svc.addRoute('POST', '/testbed/expire', (req, res) => {
  let n = 0;
  const tok = field(req.body, 'token');
  for (const [t, a] of access) if (field(req.body, 'all') || t === tok) { a.exp = now() - 1; n++; }
  send(res, 200, { expired: n });
});

svc.addRoute('POST', '/testbed/config', (req, res) => {
  for (const k of Object.keys(config)) {
    const v = field(req.body, k);
    if (v === undefined) continue;
    if (k === 'access_ttl') config[k] = v === null || v === '' ? null : Number(v);
    else if (k === 'device_expires_in' || k === 'device_interval') config[k] = Number(v);
    else if (k === 'next_token_error' || k === 'client_secret') config[k] = v || null;
    else config[k] = v === true || v === 'true' || v === '1' || v === 1;
  }
  send(res, 200, config);
});

svc.addRoute('GET', '/testbed/state', (_req, res) => {
  send(res, 200, { config, stats, users, require_pkce: requirePkce, codes: codes.size, access_tokens: access.size,
    refresh_tokens: refresh.size, device_codes: devices.size,
    devices_pending: [...devices.values()].filter((d) => d.status === 'pending' && Date.now() < d.expires_at).length,
    introspections });
});

server.issuer.url = `http://${HOST}:${port}`;         // not "localhost" (that may resolve to ::1)
await server.start(port, HOST);
const bound = server.address().port;
if (port === 0) server.issuer.url = `http://${HOST}:${bound}`;
console.log(`READY port=${bound} issuer=${server.issuer.url} pid=${process.pid}`);

const shutdown = () => process.exit(0);             // nothing to flush; server.stop() would wait for keep-alive clients (Dovecot idles 60 s)
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
