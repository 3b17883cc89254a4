#!/usr/bin/env python3
"""End-to-end check of the OAuth test bed (python3 stdlib only: urllib, smtplib, imaplib).

    python3 oauth-testbed-check.py DIR        (DIR as given to `oauth-testbed.sh start DIR`)

Runs the authorization-code + PKCE (S256) flow with a loopback redirect listener (the
"browser" is urllib: the server auto-approves and 302-redirects to the listener), sends mail
with SMTP AUTH XOAUTH2 and OAUTHBEARER, APPENDs a copy to the SPECIAL-USE \\Sent mailbox over
IMAP and reads it back, then checks that bad/expired/revoked/wrong-user/wrong-scope tokens are
refused and that the refresh-token grant gives a working token, then the device authorization
grant (RFC 8628: pending, slow_down, approval, expiry, denial). Prints the server replies and
ends with 'N passed, M failed'; exit status 1 if anything failed.
"""
import base64, hashlib, http.server, imaplib, json, re, secrets, smtplib, ssl, sys, threading, time
import urllib.error, urllib.parse, urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

if len(sys.argv) != 2:
    sys.exit(__doc__)
ENV = {}
for line in open(f"{sys.argv[1]}/testbed.env", encoding="utf-8"):
    k, _, v = line.rstrip("\n").partition("=")   # value = rest of the line, no quoting
    ENV[k] = v
HOST = ENV["HOST"]
USER, PW_USER, PW_PASS = ENV["OAUTH_USER"], ENV["PW_USER"], ENV["PW_PASS"]
CLIENT_ID, SCOPE = ENV["OAUTH_CLIENT_ID"], ENV["OAUTH_SCOPE"]
SUB, SMTPS = int(ENV["SMTP_SUBMISSION_PORT"]), int(ENV["SMTPS_PORT"])
IMAP, IMAPS = int(ENV["IMAP_STARTTLS_PORT"]), int(ENV["IMAPS_PORT"])
TLS = ssl.create_default_context(cafile=ENV["CA_FILE"])   # verifies the chain and the name 127.0.0.1
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # never via a proxy

results, last = [], [time.time()]
def check(name, ok, detail=""):
    results.append(bool(ok))
    t = time.time(); dt, last[0] = t - last[0], t
    print(f"{'PASS' if ok else 'FAIL'} [{dt:.2f}s] {name}" + (f" -- {detail}" if detail else ""), flush=True)

def b64(b): return base64.b64encode(b if isinstance(b, bytes) else b.encode()).decode()
def b64url(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

def post(url, **form):
    req = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with HTTP.open(req, timeout=10) as r:
            body = r.read().decode()
            return r.status, (json.loads(body) if body else {})
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        return e.code, (json.loads(body) if body.startswith("{") else body)

def control(path, **form): return post(f"{ENV['OAUTH_TESTBED_URL']}/{path}", **form)[1]

# ------------------------------------------------------------------ OAuth2: auth code + PKCE
def authorize(scope=SCOPE, pkce=True, login_hint=None):
    """Drive the 'browser' step: GET /authorize, follow the 302 to our loopback listener."""
    verifier = b64url(secrets.token_bytes(32))
    challenge = b64url(hashlib.sha256(verifier.encode()).digest())
    state = secrets.token_urlsafe(16)
    got = {}
    class Callback(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            u = urllib.parse.urlparse(self.path)
            got.update({k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}, path=u.path)
            self.send_response(200); self.send_header("Content-Type", "text/plain"); self.end_headers()
            self.wfile.write(b"Signed in. You can close this window.")
        def log_message(self, *a): pass
    srv = http.server.HTTPServer(("127.0.0.1", 0), Callback)
    t = threading.Thread(target=srv.handle_request, daemon=True); t.start()
    redirect_uri = f"http://127.0.0.1:{srv.server_address[1]}/callback"
    q = dict(response_type="code", client_id=CLIENT_ID, redirect_uri=redirect_uri, scope=scope, state=state)
    if pkce: q.update(code_challenge=challenge, code_challenge_method="S256")
    if login_hint: q["login_hint"] = login_hint
    with HTTP.open(f"{ENV['OAUTH_AUTHORIZE_URL']}?{urllib.parse.urlencode(q)}", timeout=10) as r:
        r.read()                                   # urllib followed the redirect to the listener
    t.join(5); srv.server_close()
    return dict(got=got, state=state, verifier=verifier, redirect_uri=redirect_uri)

def exchange(a, **override):
    form = dict(grant_type="authorization_code", code=a["got"].get("code", ""), redirect_uri=a["redirect_uri"],
                client_id=CLIENT_ID, code_verifier=a["verifier"])
    form.update(override)
    return post(ENV["OAUTH_TOKEN_URL"], **{k: v for k, v in form.items() if v is not None})

# ------------------------------------------------------------------ SMTP helpers
def smtp(port=SUB, implicit=False):
    if implicit:
        s = smtplib.SMTP_SSL(HOST, port, context=TLS, timeout=15)
    else:
        s = smtplib.SMTP(HOST, port, timeout=15); s.ehlo(); s.starttls(context=TLS)
    s.ehlo()
    return s

def xoauth2(user, token): return f"user={user}\x01auth=Bearer {token}\x01\x01"
def oauthbearer(user, token, port): return f"n,a={user},\x01host={HOST}\x01port={port}\x01auth=Bearer {token}\x01\x01"

def smtp_auth(s, mech, initial):
    """AUTH MECH <initial>; on a 334 error challenge send the client's ack. Returns the reply list."""
    code, msg = s.docmd("AUTH", f"{mech} {b64(initial)}")
    replies = [(code, msg.decode())]
    if code == 334:                                 # RFC 7628 error JSON; XOAUTH2 ack = empty, OAUTHBEARER = %x01
        replies[-1] = (334, f"{msg.decode()}  (= {base64.b64decode(msg).decode()})")
        code, msg = s.docmd("AQ==" if mech == "OAUTHBEARER" else "")
        replies.append((code, msg.decode()))
    return replies

def message(subject, to):
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = USER, ", ".join(to), subject
    m["Date"], m["Message-ID"] = formatdate(localtime=True), make_msgid(domain="test.invalid")
    m.set_content(f"{subject}\n")
    return m

# ------------------------------------------------------------------ IMAP helpers
def imap(implicit=False):
    if implicit:
        return imaplib.IMAP4_SSL(HOST, IMAPS, ssl_context=TLS, timeout=15)
    m = imaplib.IMAP4(HOST, IMAP, timeout=15); m.starttls(ssl_context=TLS)
    return m

def imap_auth(m, mech, initial):
    seen = []
    def cb(challenge):
        seen.append(challenge)
        return initial.encode() if len(seen) == 1 else b""   # 2nd call = error challenge: ack with empty line
    try:
        typ, dat = m.authenticate(mech, cb)
        return typ, dat[0].decode(), seen
    except imaplib.IMAP4.error as e:
        return "NO", str(e), seen

LIST_RE = re.compile(r'^\((?P<flags>[^)]*)\) (?P<sep>"[^"]*"|NIL) (?P<name>.+)$')
def list_special_use(m):
    typ, dat = m._simple_command("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE)")
    typ, dat = m._untagged_response(typ, dat, "LIST")
    out = {}
    for raw in dat:
        mo = LIST_RE.match(raw.decode())
        name = mo["name"]
        if name.startswith('"'): name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        out[name] = mo["flags"].split()
    return out

def find_msgid(m, mailbox, msgid, wait=10.0):
    deadline = time.time() + wait
    while True:
        m.select(f'"{mailbox}"', readonly=True)
        typ, dat = m.uid("SEARCH", "HEADER", "Message-ID", f'"{msgid}"')
        if dat[0].split() or time.time() > deadline:
            return dat[0].split()
        time.sleep(0.2)

# ================================================================== run
t0 = time.time()
disc = json.loads(HTTP.open(ENV["OAUTH_DISCOVERY_URL"], timeout=10).read())
check("discovery document", disc["token_endpoint"] == ENV["OAUTH_TOKEN_URL"] and "S256" in disc["code_challenge_methods_supported"],
      f"issuer={disc['issuer']} introspection={disc['introspection_endpoint']}")

a = authorize()
check("authorize auto-approves, redirects to loopback listener with code+state",
      a["got"].get("code") and a["got"].get("state") == a["state"] and a["got"]["path"] == "/callback",
      f"redirect={a['redirect_uri']}?code={a['got'].get('code', '')[:8]}...&state=<same>")
status, tok = exchange(a)
check("token endpoint: authorization_code + code_verifier", status == 200 and tok.get("access_token") and tok.get("refresh_token"),
      f"HTTP {status} token_type={tok.get('token_type')} expires_in={tok.get('expires_in')} scope={tok.get('scope')!r}")
AT, RT = tok["access_token"], tok["refresh_token"]
status, again = exchange(a)
check("same code twice is refused", status == 400, f"HTTP {status} {again}")
b = authorize()
status, bad = exchange(b, code_verifier=b64url(secrets.token_bytes(32)))
check("wrong code_verifier is refused", status == 400, f"HTTP {status} {bad}")
c = authorize()
status, miss = exchange(c, code_verifier=None)
check("missing code_verifier is refused", status == 400 and miss.get("error") == "invalid_grant", f"HTTP {status} {miss}")
d = authorize(pkce=False)
check("authorize without code_challenge -> error redirect", d["got"].get("error") == "invalid_request",
      f"error={d['got'].get('error')} error_description={d['got'].get('error_description')!r}")
status, ui = 0, None
req = urllib.request.Request(ENV["OAUTH_USERINFO_URL"], headers={"Authorization": f"Bearer {AT}"})
with HTTP.open(req, timeout=10) as r: status, ui = r.status, json.loads(r.read())
check("userinfo with the token", status == 200 and ui["email"] == USER, f"HTTP {status} {ui}")

# --- SMTP submission (STARTTLS) with XOAUTH2, SMTPS with OAUTHBEARER
s = smtp()
auth_line = s.esmtp_features.get("auth", "")
check("submission: EHLO after STARTTLS advertises XOAUTH2 OAUTHBEARER PLAIN",
      all(x in auth_line.split() for x in ("XOAUTH2", "OAUTHBEARER", "PLAIN")), f"250-AUTH {auth_line}")
r = smtp_auth(s, "XOAUTH2", xoauth2(USER, AT))
check("SMTP AUTH XOAUTH2 (submission 587-style, STARTTLS)", r[-1][0] == 235, f"{r}")
m1 = message("via XOAUTH2", [USER, "friend@example.net"])
refused = s.send_message(m1)
check("SMTP send after XOAUTH2", refused == {}, f"Message-ID {m1['Message-ID']}")
s.quit()
s = smtp(SMTPS, implicit=True)
r = smtp_auth(s, "OAUTHBEARER", oauthbearer(USER, AT, SMTPS))
check("SMTP AUTH OAUTHBEARER (SMTPS, implicit TLS)", r[-1][0] == 235, f"{r}")
m2 = message("via OAUTHBEARER", [USER])
check("SMTP send after OAUTHBEARER", s.send_message(m2) == {}, f"Message-ID {m2['Message-ID']}")
s.quit()

# --- IMAP: XOAUTH2 over STARTTLS, find \Sent by SPECIAL-USE, APPEND, read back
m = imap()
typ, res, seen = imap_auth(m, "XOAUTH2", xoauth2(USER, AT))
check("IMAP AUTHENTICATE XOAUTH2 (STARTTLS)", typ == "OK", res)
mb = list_special_use(m)
sent = [n for n, f in mb.items() if "\\Sent" in f]
drafts = [n for n, f in mb.items() if "\\Drafts" in f]
check("LIST \"\" \"*\" RETURN (SPECIAL-USE) finds \\Sent and \\Drafts", sent == [ENV["IMAP_SENT_MAILBOX"]] and drafts,
      "; ".join(f"{n!r} {' '.join(f)}" for n, f in mb.items()))
typ, dat = m._simple_command("LIST", "(SPECIAL-USE)", '""', '"*"')
typ, dat = m._untagged_response(typ, dat, "LIST")
check("LIST (SPECIAL-USE) \"\" \"*\" lists only flagged mailboxes", all(b"\\" in x for x in dat) and len(dat) == 3,
      " | ".join(x.decode() for x in dat))
copy = message("copy for Sent", ["friend@example.net"])
typ, dat = m.append(f'"{sent[0]}"', r"(\Seen)", imaplib.Time2Internaldate(time.time()), copy.as_bytes())
check("APPEND to the \\Sent mailbox", typ == "OK" and b"APPENDUID" in dat[0], dat[0].decode())
uid = dat[0].split()[2].rstrip(b"]").decode()
m.select(f'"{sent[0]}"', readonly=True)
typ, dat = m.uid("FETCH", uid, "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT)])")
hdr = dat[0][1].decode()
check("read the copy back from \\Sent", copy["Message-ID"] in hdr and b"\\Seen" in dat[0][0],
      f"{dat[0][0].decode()} {hdr.strip()!r}")
for mm in (m1, m2):
    uids = find_msgid(m, "INBOX", mm["Message-ID"])
    check(f"mail sent {mm['Subject']!r} arrived in the INBOX", uids, f"INBOX UID {uids}")
m.logout()
m = imap(implicit=True)
typ, res, _ = imap_auth(m, "OAUTHBEARER", oauthbearer(USER, AT, IMAPS))
check("IMAP AUTHENTICATE OAUTHBEARER (IMAPS)", typ == "OK", res)
m.logout()

# --- refusals
s = smtp()
r = smtp_auth(s, "XOAUTH2", xoauth2(USER, "not-a-token-" + secrets.token_hex(8)))
check("invalid token refused (SMTP XOAUTH2)", r[0][0] == 334 and r[-1][0] == 535, f"{r}")
expired = control("mint", ttl="-60")["access_token"]
r = smtp_auth(s, "OAUTHBEARER", oauthbearer(USER, expired, SUB))
check("expired token refused (SMTP OAUTHBEARER)", r[0][0] == 334 and r[-1][0] == 535, f"{r}")
r = smtp_auth(s, "XOAUTH2", xoauth2(PW_USER, AT))
check("token of another user refused (user= mismatch)", r[-1][0] == 535, f"{r}")
e = authorize(scope="openid email")
noscope = exchange(e)[1]["access_token"]
r = smtp_auth(s, "XOAUTH2", xoauth2(USER, noscope))
check(f"token without scope {SCOPE!r} refused", r[-1][0] == 535, f"{r}")
r = smtp_auth(s, "XOAUTH2", xoauth2(PW_USER, PW_PASS))
check("password passed as XOAUTH2 token refused", r[-1][0] == 535, f"{r}")
r = smtp_auth(s, "PLAIN", f"\0{PW_USER}\0wrong")
check("PLAIN wrong password refused", r[-1][0] == 535, f"{r}")
r = smtp_auth(s, "PLAIN", f"\0{PW_USER}\0{PW_PASS}")
check("PLAIN password user accepted", r[-1][0] == 235, f"{r}")
s.quit()
s = smtplib.SMTP(HOST, SUB, timeout=15); s.ehlo()
pre = s.esmtp_features.get("auth")
code, msg = s.docmd("AUTH", f"XOAUTH2 {b64(xoauth2(USER, AT))}")
check("AUTH before STARTTLS refused on submission", code == 530 and pre is None,
      f"EHLO AUTH before TLS: {pre}; reply {code} {msg.decode()}")
s.close()
m = imap(implicit=True)
typ, res, seen = imap_auth(m, "XOAUTH2", xoauth2(USER, expired))
check("expired token refused (IMAP XOAUTH2)", typ == "NO",
      f"challenge {seen[1:] and seen[1].decode()!r} then: {res}")
m.logout()
m = imaplib.IMAP4(HOST, IMAP, timeout=15)
caps = m.capabilities
print(f"INFO IMAP before STARTTLS: CAPABILITY {' '.join(caps)}")
m.shutdown()

# --- refresh grant, expiry of the old token, revocation
status, ref = post(ENV["OAUTH_TOKEN_URL"], grant_type="refresh_token", refresh_token=RT, client_id=CLIENT_ID)
check("refresh_token grant gives a new access token", status == 200 and ref["access_token"] != AT,
      f"HTTP {status} expires_in={ref.get('expires_in')} same refresh_token={ref.get('refresh_token') == RT}")
AT2 = ref["access_token"]
control("expire", token=AT)
s = smtp()
r_old = smtp_auth(s, "XOAUTH2", xoauth2(USER, AT))
r_new = smtp_auth(s, "XOAUTH2", xoauth2(USER, AT2))
check("old token (now expired) refused, refreshed token accepted", r_old[-1][0] == 535 and r_new[-1][0] == 235,
      f"old: {r_old[-1]} new: {r_new[-1]}")
s.quit()
post(ENV["OAUTH_REVOKE_URL"], token=RT)
status, rv = post(ENV["OAUTH_TOKEN_URL"], grant_type="refresh_token", refresh_token=RT, client_id=CLIENT_ID)
check("revoked refresh token refused", status == 400 and rv.get("error") == "invalid_grant", f"HTTP {status} {rv}")
m = imap()
typ, res, _ = imap_auth(m, "XOAUTH2", xoauth2(USER, AT2))
check("access token revoked with its refresh token refused (IMAP)", typ == "NO", res)
m.logout()

# --- device authorization grant (RFC 8628)
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
check("discovery advertises device_authorization_endpoint",
      disc.get("device_authorization_endpoint") == ENV["OAUTH_DEVICE_AUTHORIZATION_URL"]
      and DEVICE_GRANT in disc.get("grant_types_supported", []),
      f"device_authorization_endpoint={disc.get('device_authorization_endpoint')}")
def devicecode(scope=SCOPE): return post(ENV["OAUTH_DEVICE_AUTHORIZATION_URL"], client_id=CLIENT_ID, scope=scope)
def poll(dc, client_id=CLIENT_ID):
    return post(ENV["OAUTH_TOKEN_URL"], grant_type=DEVICE_GRANT, device_code=dc, client_id=client_id)
status, dv = devicecode()
check("POST /devicecode answers device_code, user_code, verification URIs, expires_in, interval",
      status == 200 and all(k in dv for k in ("device_code", "user_code", "verification_uri",
                                               "verification_uri_complete", "expires_in", "interval"))
      and dv["verification_uri"] == ENV["OAUTH_DEVICE_VERIFICATION_URL"]
      and urllib.parse.quote(dv["user_code"]) in dv["verification_uri_complete"],
      f"HTTP {status} user_code={dv.get('user_code')} uri={dv.get('verification_uri')} "
      f"expires_in={dv.get('expires_in')} interval={dv.get('interval')}")
status, p1 = poll(dv["device_code"])
check("device poll before approval -> authorization_pending", status == 400 and p1.get("error") == "authorization_pending",
      f"HTTP {status} {p1}")
status, p2 = poll(dv["device_code"])
check("device poll sooner than interval -> slow_down", status == 400 and p2.get("error") == "slow_down", f"HTTP {status} {p2}")
status, ap = post(f"{ENV['OAUTH_TESTBED_URL']}/device/approve", user_code=dv["user_code"].lower().replace("-", ""))
check("test control approves the user code (case and dash insensitive)", status == 200 and ap.get("user") == USER,
      f"HTTP {status} {ap}")
time.sleep(dv["interval"] + 0.1)
status, dt = poll(dv["device_code"])
check("device poll after approval -> access + refresh token with the scope",
      status == 200 and dt.get("access_token") and dt.get("refresh_token") and dt.get("scope") == SCOPE,
      f"HTTP {status} token_type={dt.get('token_type')} expires_in={dt.get('expires_in')} scope={dt.get('scope')!r}")
status, intro = post(ENV["OAUTH_INTROSPECT_URL"], token=dt.get("access_token", ""))
check("device-flow token introspects active for the user", intro.get("active") is True and intro.get("email") == USER,
      f"{ {k: intro.get(k) for k in ('active', 'email', 'scope')} }")
s = smtp()
r = smtp_auth(s, "XOAUTH2", xoauth2(USER, dt.get("access_token", "")))
check("device-flow token accepted by SMTP XOAUTH2", r[-1][0] == 235, f"{r}")
s.quit()
time.sleep(dv["interval"] + 0.1)
status, p3 = poll(dv["device_code"])
check("device code used twice -> invalid_grant", status == 400 and p3.get("error") == "invalid_grant", f"HTTP {status} {p3}")
status, rf = post(ENV["OAUTH_TOKEN_URL"], grant_type="refresh_token", refresh_token=dt.get("refresh_token", ""), client_id=CLIENT_ID)
check("device-flow refresh token works", status == 200 and rf.get("access_token"), f"HTTP {status} scope={rf.get('scope')!r}")
status, p4 = poll("no-such-device-code")
check("unknown device code -> invalid_grant", status == 400 and p4.get("error") == "invalid_grant", f"HTTP {status} {p4}")

control("config", device_expires_in="1")
status, ex = devicecode()
time.sleep(1.2)
status, p5 = poll(ex["device_code"])
check("device code past expires_in -> expired_token", status == 400 and p5.get("error") == "expired_token",
      f"expires_in={ex['expires_in']} then HTTP {status} {p5}")
status, late = post(f"{ENV['OAUTH_TESTBED_URL']}/device/approve", user_code=ex["user_code"])
check("an expired user code cannot be approved", status == 400, f"HTTP {status} {late}")
control("config", device_expires_in="600")

status, dn = devicecode()
status, den = post(f"{ENV['OAUTH_TESTBED_URL']}/device/deny", user_code=dn["user_code"])
status, p6 = poll(dn["device_code"])
check("denied device request -> access_denied", status == 400 and p6.get("error") == "access_denied",
      f"deny: {den}; poll: HTTP {status} {p6}")

status, vb = devicecode()
with HTTP.open(vb["verification_uri_complete"], timeout=10) as r:
    page_status, page = r.status, r.read().decode()
status, p7 = poll(vb["device_code"])
check("GET verification_uri_complete (the browser step) approves", page_status == 200 and status == 200
      and p7.get("access_token"), f"page HTTP {page_status} {re.sub('<[^>]+>', ' ', page).split('Enter')[0].strip()!r}; poll HTTP {status}")

st = json.loads(HTTP.open(f"{ENV['OAUTH_TESTBED_URL']}/state", timeout=10).read())
print(f"INFO server counters: {st['stats']}  (check took {time.time() - t0:.1f} s)")
passed = sum(results); failed = len(results) - passed
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
