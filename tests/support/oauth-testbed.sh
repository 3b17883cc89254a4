#!/bin/bash
# OAuth2 mail test bed on 127.0.0.1 only, no systemd, one self-contained DIR:
#   - OAuth2 authorization server (npm oauth2-mock-server 9.x + oauth-server.mjs: auth code + PKCE,
#     refresh tokens, RFC 7662 introspection, userinfo, revocation, test controls)
#   - Dovecot 2.3 (private config): IMAP STARTTLS + IMAPS, passdb oauth2 (introspection against the
#     server above) for XOAUTH2/OAUTHBEARER, passwd-file for a password user (PLAIN/LOGIN),
#     SPECIAL-USE folders ("Sent Items" = \Sent, "Drafts" = \Drafts, plus a decoy "Sent" with no flag)
#   - Postfix (private instance): submission STARTTLS + SMTPS, SASL via the Dovecot auth socket,
#     delivery of every recipient to DIR/mail/<localpart>/Maildir (the IMAP INBOX of that user)
#
#   oauth-testbed.sh start DIR   -> prints KEY=VALUE lines (also written to DIR/testbed.env)
#   oauth-testbed.sh stop DIR    -> stops postfix, dovecot, the OAuth server (by pid), waits for exit
#   oauth-testbed.sh status DIR
#   python3 oauth-testbed-check.py DIR   -> end-to-end proof (auth code + PKCE, XOAUTH2/OAUTHBEARER, APPEND to \Sent)
#
# Needs root. Debian 12: postfix dovecot-core dovecot-imapd openssl nodejs npm (node >= 20).
# The project's copy (tests/support/): tests/run.sh installs the packages and the npm package;
# tests/support/oauth_bed.rs starts it on free ports. README-oauth.md beside it says what runs.
# Env overrides (defaults): OAUTH_PORT 12780, IMAP_PORT 12743, IMAPS_PORT 12793,
#   SUBMISSION_PORT 12787, SMTPS_PORT 12765 (12025/12465/12587 are taken by another bench here), OAUTH_USER oauthuser@test.invalid,
#   PW_USER pwuser@test.invalid, PW_PASS pwpass, OAUTH_SCOPE mail (scope Dovecot demands; "" = any),
#   SENT_NAME "Sent Items", DRAFTS_NAME Drafts, DECOY_SENT Sent ("" = none),
#   OAUTH_NODE_MODULES (an existing node_modules holding oauth2-mock-server; else target/oauth-node/node_modules
#   of this checkout when tests/run.sh installed it there; else npm installs into DIR/oauth),
#   OAUTH_EXTRA_USERS "" (more users the OAuth server may log in: /authorize?login_hint=USER),
#   OAUTH_REQUIRE_PKCE 1, OAUTH_TESTBED_DEBUG 0 (1 = auth_debug + oauth2 debug in dovecot.log),
#   OAUTH_AUTH_PENALTY 0 (1 = keep Dovecot's growing delay after failed logins), SMTP_ENFORCE_SENDER 0
set -euo pipefail

cmd=${1:-}; DIR=${2:-}
[ -n "$cmd" ] && [ -n "$DIR" ] || { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

OAUTH_PORT=${OAUTH_PORT:-12780}
IMAP_PORT=${IMAP_PORT:-12743}
IMAPS_PORT=${IMAPS_PORT:-12793}
SUB_PORT=${SUBMISSION_PORT:-12787}
SMTPS_PORT=${SMTPS_PORT:-12765}
OAUTH_USER=${OAUTH_USER:-oauthuser@test.invalid}
PW_USER=${PW_USER:-pwuser@test.invalid}
PW_PASS=${PW_PASS:-pwpass}
OAUTH_SCOPE=${OAUTH_SCOPE-mail}
SENT_NAME=${SENT_NAME:-Sent Items}
DRAFTS_NAME=${DRAFTS_NAME:-Drafts}
DECOY_SENT=${DECOY_SENT-Sent}
DEBUG=${OAUTH_TESTBED_DEBUG:-0}
HOSTNAME_=mail.test.invalid
MOCK_VERSION=9.3.0

PF_PIDFILE=$DIR/postfix/queue/pid/master.pid
DC_PIDFILE=$DIR/run/dovecot/master.pid
OA_PIDFILE=$DIR/run/oauth.pid
ISSUER=http://127.0.0.1:$OAUTH_PORT

pid_of() { [ -s "$1" ] && tr -d ' \n' < "$1" || true; }
# a process that exited stays a zombie until PID 1 reaps it (here: ~2 s), so kill -0 is not enough
running() { [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]; }
alive() { running "$(pid_of "$1")"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_ports() {   # wait_ports WHAT LOG PORT...
  local what=$1 log=$2; shift 2
  for _ in $(seq 200); do
    local ok=1; for p in "$@"; do port_open "$p" || { ok=0; break; }; done
    [ $ok = 1 ] && return 0; sleep 0.05
  done
  echo "$what did not come up on $*; last lines of $log:" >&2; tail -20 "$log" >&2; return 1
}
ports_free() {   # Postfix binds with SO_REUSEPORT, so a port clash with another Postfix is SILENT
  for p in "$@"; do                                  # (the kernel then splits connections between instances)
    if port_open "$p"; then echo "port 127.0.0.1:$p is already in use; set the *_PORT env vars" >&2; exit 1; fi
  done
}
stop_pid() {     # stop_pid NAME PIDFILE : SIGTERM to the master, wait for it and its workers (10 s), then SIGKILL
  local name=$1 p kids left k; p=$(pid_of "$2")
  if running "$p"; then
    kids=$(pgrep -P "$p" || true)                    # the master's own workers
    kill -TERM "$p"
    for _ in $(seq 200); do
      left=""; for k in $p $kids; do running "$k" && left="$left $k"; done
      [ -z "$left" ] && break; sleep 0.05
    done
    if [ -n "$left" ]; then echo "$name:$left still alive after 10 s, SIGKILL" >&2; kill -KILL $left 2>/dev/null || true; fi
    echo "stopped $name pid $p"
  else echo "$name not running"; fi
  rm -f "$2"
}

mail_ids() {
  uid=${OAUTH_MAIL_UID:-$(stat -c %u "$DIR")}; gid=${OAUTH_MAIL_GID:-$(stat -c %g "$DIR")}
  if [ "$uid" -lt 500 ]; then uid=65534; gid=65534; fi   # virtual(8) refuses uid<100, dovecot uid<first_valid_uid
}

gen_certs() {
  local c=$DIR/certs; mkdir -p "$c"; [ -s "$c/server.crt" ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$c/ca.key" -out "$c/ca.crt" -days 3650 \
    -subj "/CN=OAuth Mail Test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$c/server.key" -out "$c/server.csr" -subj "/CN=localhost" 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,DNS:$HOSTNAME_,IP:127.0.0.1" > "$c/server.ext"
  openssl x509 -req -in "$c/server.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial \
    -out "$c/server.crt" -days 825 -sha256 -extfile "$c/server.ext" 2>/dev/null
  chmod 600 "$c"/*.key; chmod 644 "$c"/*.crt
}

# ---------------------------------------------------------------- OAuth2 server
setup_oauth() {
  local o=$DIR/oauth; mkdir -p "$o"
  cp "$HERE/oauth-server.mjs" "$o/oauth-server.mjs"        # node resolves imports next to the file
  local cached=$HERE/../../target/oauth-node/node_modules
  if [ -z "${OAUTH_NODE_MODULES:-}" ] && [ -d "$cached/oauth2-mock-server" ]; then
    OAUTH_NODE_MODULES=$(cd "$cached" && pwd)
  fi
  if [ -n "${OAUTH_NODE_MODULES:-}" ]; then
    [ -d "$OAUTH_NODE_MODULES/oauth2-mock-server" ] || { echo "no oauth2-mock-server in $OAUTH_NODE_MODULES" >&2; exit 1; }
    rm -rf "$o/node_modules"; ln -s "$OAUTH_NODE_MODULES" "$o/node_modules"
  elif [ ! -d "$o/node_modules/oauth2-mock-server" ]; then
    printf '{ "name": "oauth-testbed", "private": true, "type": "module",\n  "dependencies": { "oauth2-mock-server": "%s" } }\n' \
      "$MOCK_VERSION" > "$o/package.json"
    (cd "$o" && npm install --no-audit --no-fund --loglevel=error >"$DIR/log/npm-install.log" 2>&1) \
      || { cat "$DIR/log/npm-install.log" >&2; exit 1; }
  fi
}
start_oauth() {
  alive "$OA_PIDFILE" && return 0
  ports_free "$OAUTH_PORT"
  local log=$DIR/log/oauth.log; : > "$log"
  OAUTH_USERS="$OAUTH_USER ${OAUTH_EXTRA_USERS:-}" OAUTH_REQUIRE_PKCE=${OAUTH_REQUIRE_PKCE:-1} \
    setsid node "$DIR/oauth/oauth-server.mjs" "$OAUTH_PORT" >>"$log" 2>&1 </dev/null &
  for _ in $(seq 200); do grep -q '^READY' "$log" && break; sleep 0.05; done
  grep -q '^READY' "$log" || { echo "OAuth server did not start:" >&2; cat "$log" >&2; exit 1; }
  sed -n 's/^READY .*pid=\([0-9]*\).*/\1/p' "$log" > "$OA_PIDFILE"
}

# ---------------------------------------------------------------- Dovecot
write_dovecot() {
  local d=$DIR/dovecot dbg=no; mkdir -p "$d" "$d/state" "$DIR/run" "$DIR/mail"
  [ "$DEBUG" = 1 ] && dbg=yes
  # Dovecot 2.3 delays every auth from an IP that failed before (2, 4, 8, 15 s: "auth penalty",
  # kept 29 s in anvil) -- also for 127.0.0.1 -- and Postfix gives up after ~10 s with
  # "454 4.7.0 Temporary authentication failure". The documented way off (Upgrading.2.3):
  # a first passdb keyed by %{rip} that only adds the extra field "nodelay".
  local nodelay=""
  if [ "${OAUTH_AUTH_PENALTY:-0}" != 1 ]; then
    printf '127.0.0.1:::::::nodelay=yes\n' > "$d/nodelay"
    nodelay="passdb {
  driver = passwd-file
  args = username_format=%{rip} $d/nodelay
  default_fields = noauthenticate=y
}"
  fi
  local decoy=""
  [ -n "$DECOY_SENT" ] && decoy="  mailbox \"$DECOY_SENT\" {
    auto = subscribe
  }"
  cat > "$d/dovecot.conf" <<EOF
# private Dovecot instance of oauth-testbed.sh (no include of /etc/dovecot)
instance_name = oauthtb-$OAUTH_PORT
base_dir = $DIR/run/dovecot
state_dir = $d/state
listen = 127.0.0.1
protocols = imap
log_path = $DIR/log/dovecot.log
auth_verbose = yes
auth_debug = $dbg
mail_debug = $dbg
auth_failure_delay = 0
default_internal_user = dovecot
default_login_user = dovenull

ssl = yes
ssl_cert = <$DIR/certs/server.crt
ssl_key = <$DIR/certs/server.key
ssl_dh = </usr/share/dovecot/dh.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login xoauth2 oauthbearer

$nodelay
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%Lu $d/users
}
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $d/oauth2.conf.ext
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$DIR/mail/%n
}

mail_location = maildir:~/Maildir
mail_uid = $uid
mail_gid = $gid
first_valid_uid = 100
namespace inbox {
  inbox = yes
  separator = /
  mailbox "$SENT_NAME" {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox "$DRAFTS_NAME" {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
$decoy
}
protocol imap {
  mail_max_userip_connections = 100
}

service imap-login {
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = $IMAPS_PORT
    ssl = yes
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
  cat > "$d/oauth2.conf.ext" <<EOF
introspection_mode = post
introspection_url = $ISSUER/introspect
force_introspection = yes
username_attribute = email
active_attribute = active
active_value = true
scope = $OAUTH_SCOPE
openid_configuration_url = $ISSUER/.well-known/openid-configuration
timeout_msecs = 5000
debug = $dbg
EOF
  printf '%s:{PLAIN}%s::::::\n' "$PW_USER" "$PW_PASS" > "$d/users"
  chown root:dovecot "$d"/users "$d"/oauth2.conf.ext; chmod 640 "$d"/users "$d"/oauth2.conf.ext
  chown "$uid:$gid" "$DIR/mail"; chmod 755 "$DIR/mail"
}
start_dovecot() {
  alive "$DC_PIDFILE" && return 0
  ports_free "$IMAP_PORT" "$IMAPS_PORT"
  # the master keeps the stderr it was started with: never let it hold the caller's pipe
  dovecot -c "$DIR/dovecot/dovecot.conf" </dev/null >"$DIR/log/dovecot-start.log" 2>&1 \
    || { cat "$DIR/log/dovecot-start.log" >&2; tail -20 "$DIR/log/dovecot.log" >&2; exit 1; }
  wait_ports dovecot "$DIR/log/dovecot.log" "$IMAP_PORT" "$IMAPS_PORT"
  for _ in $(seq 100); do [ -S "$DIR/run/dovecot/auth-postfix" ] && break; sleep 0.05; done
}

# ---------------------------------------------------------------- Postfix
write_postfix() {
  local conf=$DIR/postfix/etc
  mkdir -p "$conf" "$DIR/postfix/data" "$DIR/postfix/queue"
  cat > "$conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $DIR/postfix/queue
data_directory = $DIR/postfix/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $HOSTNAME_
mydomain = test.invalid
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file = $DIR/log/maillog
maillog_file_prefixes = $DIR
smtpd_peername_lookup = no
disable_dns_lookups = yes
smtp_dns_support_level = disabled
biff = no
append_dot_mydomain = no
local_header_rewrite_clients =
always_add_missing_headers = no
# the two users -> their IMAP INBOX; every other recipient, any domain -> DIR/mail/other/Maildir
# (virtual(8), no relaying; virtual(8) forbids \$1 substitution, hence a list + a static catch-all)
mydestination =
relay_domains =
local_recipient_maps =
default_transport = virtual
relay_transport = virtual
local_transport = virtual
virtual_transport = virtual
virtual_mailbox_base = $DIR/mail
virtual_mailbox_maps = texthash:$conf/mailboxes, static:other/Maildir/
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
virtual_minimum_uid = 100
message_size_limit = 41943040
virtual_mailbox_limit = 0
mailbox_size_limit = 0
smtpd_tls_cert_file = $DIR/certs/server.crt
smtpd_tls_key_file = $DIR/certs/server.key
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_tls_session_cache_database =
# SASL: ask Dovecot (which checks OAuth2 tokens by introspection, passwords by passwd-file)
smtpd_sasl_type = dovecot
smtpd_sasl_path = $DIR/run/dovecot/auth-postfix
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_sasl_authenticated_header = yes
broken_sasl_auth_clients = no
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions =
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 1000
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_timeout = 60s
queue_run_delay = 10s
minimal_backoff_time = 10s
EOF
  if [ "${SMTP_ENFORCE_SENDER:-0}" = 1 ]; then
    printf '%s\n' "smtpd_sender_login_maps = regexp:$conf/senders" \
      "smtpd_sender_restrictions = reject_sender_login_mismatch" >> "$conf/main.cf"
    printf '/^(.+)$/ ${1}\n' > "$conf/senders"          # a login owns exactly its own address
  fi
  printf '%s %s/Maildir/\n' "$OAUTH_USER" "${OAUTH_USER%%@*}" "$PW_USER" "${PW_USER%%@*}" > "$conf/mailboxes"
  cat > "$conf/master.cf" <<EOF
${SUB_PORT}     inet  n       -       n       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
${SMTPS_PORT}   inet  n       -       n       -       -       smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
  chown root:root "$DIR/postfix/queue"; chmod 755 "$DIR/postfix/queue"
  chown postfix:postfix "$DIR/postfix/data"
}
start_postfix() {
  alive "$PF_PIDFILE" && return 0
  ports_free "$SUB_PORT" "$SMTPS_PORT"
  # never pipe this: postfix-script leaves a background 'check-warn' holding stdout ~2 s
  postfix -c "$DIR/postfix/etc" start >"$DIR/log/postfix-start.log" 2>&1 \
    || { cat "$DIR/log/postfix-start.log" >&2; exit 1; }
  wait_ports postfix "$DIR/log/maillog" "$SUB_PORT" "$SMTPS_PORT"
}

print_env() {
  cat <<EOF
OAUTH_ISSUER=$ISSUER
OAUTH_DISCOVERY_URL=$ISSUER/.well-known/openid-configuration
OAUTH_AUTHORIZE_URL=$ISSUER/authorize
OAUTH_TOKEN_URL=$ISSUER/token
OAUTH_INTROSPECT_URL=$ISSUER/introspect
OAUTH_USERINFO_URL=$ISSUER/userinfo
OAUTH_REVOKE_URL=$ISSUER/revoke
OAUTH_DEVICE_AUTHORIZATION_URL=$ISSUER/devicecode
OAUTH_DEVICE_VERIFICATION_URL=$ISSUER/device
OAUTH_JWKS_URL=$ISSUER/jwks
OAUTH_TESTBED_URL=$ISSUER/testbed
OAUTH_CLIENT_ID=testbed-client
OAUTH_SCOPE=$OAUTH_SCOPE
OAUTH_USER=$OAUTH_USER
PW_USER=$PW_USER
PW_PASS=$PW_PASS
HOST=127.0.0.1
TLS_NAME=localhost
CA_FILE=$DIR/certs/ca.crt
IMAP_STARTTLS_PORT=$IMAP_PORT
IMAPS_PORT=$IMAPS_PORT
SMTP_SUBMISSION_PORT=$SUB_PORT
SMTPS_PORT=$SMTPS_PORT
IMAP_SENT_MAILBOX=$SENT_NAME
IMAP_DRAFTS_MAILBOX=$DRAFTS_NAME
IMAP_DECOY_MAILBOX=$DECOY_SENT
MAIL_ROOT=$DIR/mail
LOG_DOVECOT=$DIR/log/dovecot.log
LOG_POSTFIX=$DIR/log/maillog
LOG_OAUTH=$DIR/log/oauth.log
OAUTH_PID=$(pid_of "$OA_PIDFILE")
DOVECOT_PID=$(pid_of "$DC_PIDFILE")
POSTFIX_PID=$(pid_of "$PF_PIDFILE")
EOF
}

stop_all() {
  stop_pid postfix "$PF_PIDFILE"      # master forwards SIGTERM to its children
  stop_pid dovecot "$DC_PIDFILE"      # master stops its children before it exits
  stop_pid oauth "$OA_PIDFILE"
}

case $cmd in
start)
  [ "$(id -u)" = 0 ] || { echo "must run as root (postfix/dovecot masters)" >&2; exit 1; }
  trap 'rc=$?; if [ $rc != 0 ]; then echo "start failed (rc $rc): stopping what runs in $DIR" >&2; stop_all >&2; fi' EXIT
  [ ${#DIR} -le 70 ] || { echo "DIR path too long for unix sockets (<= 70 chars): $DIR" >&2; exit 1; }
  mkdir -p "$DIR/log" "$DIR/run"
  p=$DIR; while [ "$p" != / ]; do                    # postfix/dovecot workers must traverse DIR
    [ $(( 0$(stat -c %a "$p") & 1 )) = 1 ] || chmod o+x "$p"; p=$(dirname "$p"); done
  mail_ids
  gen_certs
  setup_oauth
  start_oauth
  alive "$DC_PIDFILE" || write_dovecot
  start_dovecot
  alive "$PF_PIDFILE" || write_postfix
  start_postfix
  print_env | tee "$DIR/testbed.env"
  ;;
stop) stop_all ;;
status)
  rc=0
  for n in oauth:$OA_PIDFILE dovecot:$DC_PIDFILE postfix:$PF_PIDFILE; do
    if alive "${n#*:}"; then echo "${n%%:*} running pid $(pid_of "${n#*:}")"; else echo "${n%%:*} not running"; rc=1; fi
  done; exit $rc ;;
*) echo "usage: $0 start|stop|status DIR" >&2; exit 2 ;;
esac
