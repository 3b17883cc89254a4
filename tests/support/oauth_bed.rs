//! The OAuth2 + IMAP test bed on 127.0.0.1 (issues 14 and 15): a local OAuth2
//! authorization server (`oauth-server.mjs`: authorization code + PKCE, refresh,
//! revocation, RFC 7662 introspection, RFC 8628 device authorization, test controls),
//! Dovecot (IMAP STARTTLS + IMAPS, tokens checked by introspection, SPECIAL-USE folders)
//! and a private Postfix (submission + SMTPS, SASL through Dovecot: XOAUTH2, OAUTHBEARER,
//! PLAIN). Started once per test binary on free ports in a temp dir by
//! `oauth-testbed.sh`, stopped when the test binary exits. See `README-oauth.md`.
//!
//! The test controls change the server for every test of the binary: a test that calls
//! [`OAuthBed::config`] or [`OAuthBed::expire_all`], and a test that needs the defaults or
//! its tokens to stay valid while such tests run, holds [`serial`] while it runs. Prefer
//! [`OAuthBed::expire`] of one token to `expire_all`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

pub use super::oauth_bed_config::Config;

use serde_json::Value;

use super::{free_port, on_exit, support_dir};

/// The user that signs in with OAuth2 (XOAUTH2 / OAUTHBEARER only).
pub const OAUTH_USER: &str = "oauthuser@test.invalid";
/// The user that signs in with a password (PLAIN / LOGIN only).
pub const PW_USER: &str = "pwuser@test.invalid";
pub const PW_PASS: &str = "pwpass";
/// The scope Dovecot demands in a token.
pub const SCOPE: &str = "mail";
/// Any client id is accepted; this one is what the bed's own check uses.
pub const CLIENT_ID: &str = "testbed-client";
/// The SPECIAL-USE `\Sent` folder (not named "Sent" on purpose).
pub const SENT_MAILBOX: &str = "Sent Items";
/// The SPECIAL-USE `\Drafts` folder.
pub const DRAFTS_MAILBOX: &str = "Drafts";
/// A decoy folder named "Sent" with no SPECIAL-USE flag.
pub const DECOY_SENT_MAILBOX: &str = "Sent";
/// The name the server certificate is issued for (also `127.0.0.1`).
pub const TLS_NAME: &str = "localhost";
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

pub struct OAuthBed {
    /// The bed's folder: certs/, log/, mail/, testbed.env.
    pub dir: PathBuf,
    pub oauth_port: u16,
    /// IMAP with STARTTLS.
    pub imap: u16,
    /// IMAP over implicit TLS.
    pub imaps: u16,
    /// SMTP submission (STARTTLS required before AUTH).
    pub submission: u16,
    /// SMTP over implicit TLS.
    pub smtps: u16,
    /// `testbed.env` as written by the script (KEY=VALUE).
    pub env: BTreeMap<String, String>,
}

/// The test binary's bed, started on first use.
pub fn oauth_bed() -> &'static OAuthBed {
    static BED: OnceLock<OAuthBed> = OnceLock::new();
    BED.get_or_init(start)
}

/// Held by tests that change the server-wide settings ([`OAuthBed::config`],
/// [`OAuthBed::expire_all`]) or need them at their defaults; a panicking holder does not
/// block the others.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn start() -> OAuthBed {
    let dir = tempfile::Builder::new()
        .prefix("mailroom-oauth-")
        .tempdir()
        .expect("temp dir")
        .keep();
    let ports = [
        free_port(),
        free_port(),
        free_port(),
        free_port(),
        free_port(),
    ];
    let [oauth_port, imap, imaps, submission, smtps] = ports;
    let script = script();
    let mut cmd = Command::new("bash");
    cmd.arg(&script)
        .arg("start")
        .arg(&dir)
        .env("OAUTH_PORT", oauth_port.to_string())
        .env("IMAP_PORT", imap.to_string())
        .env("IMAPS_PORT", imaps.to_string())
        .env("SUBMISSION_PORT", submission.to_string())
        .env("SMTPS_PORT", smtps.to_string());
    // the defaults of the script, whatever the environment says
    for var in [
        "OAUTH_USER",
        "PW_USER",
        "PW_PASS",
        "OAUTH_SCOPE",
        "SENT_NAME",
        "DRAFTS_NAME",
        "DECOY_SENT",
        "OAUTH_EXTRA_USERS",
        "SMTP_ENFORCE_SENDER",
    ] {
        cmd.env_remove(var);
    }
    // registered first: whatever start did or left, it is stopped and DIR removed
    on_exit(&format!(
        "bash '{}' stop '{}'; rm -rf '{}'",
        script.display(),
        dir.display(),
        dir.display()
    ));
    // the output goes to a file, not a pipe: a daemon that kept an inherited pipe open
    // would make a reader wait for ever
    let out_path = dir.join("start.out");
    let out = std::fs::File::create(&out_path).expect("start.out");
    let status = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("dup"))
        .stderr(out)
        .status()
        .expect("run oauth-testbed.sh");
    assert!(
        status.success(),
        "the OAuth test bed did not start (run the tests as root with tests/run.sh, which installs \
         Dovecot, Postfix, Node and the npm package)\n{}",
        std::fs::read_to_string(&out_path).unwrap_or_default()
    );
    let env = read_env(&dir.join("testbed.env"));
    OAuthBed {
        dir,
        oauth_port,
        imap,
        imaps,
        submission,
        smtps,
        env,
    }
}

/// The message files in a Maildir folder's `new/` and `cur/` (a file name in `cur/`
/// ends in its flags: `:2,S` seen, `D` draft).
pub fn message_files(folder: &Path) -> Vec<PathBuf> {
    let mut files = super::files_in(&folder.join("new"));
    files.extend(super::files_in(&folder.join("cur")));
    files
}

/// Dovecot's Maildir stores lines ending in LF (`mail_save_crlf = no`): the bytes sent,
/// compared after that one conversion.
pub fn as_stored(bytes: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .into_bytes()
}

/// `tests/support/oauth-testbed.sh`.
pub fn script() -> PathBuf {
    support_dir().join("oauth-testbed.sh")
}

fn read_env(path: &Path) -> BTreeMap<String, String> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An access token made by `POST /testbed/mint`.
#[derive(Debug, Clone)]
pub struct Minted {
    pub access_token: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// The answer of `POST /devicecode`.
#[derive(Debug, Clone)]
pub struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: u64,
    pub interval: u64,
}

/// An HTTP answer: status and body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The `error` field of a JSON error answer.
    pub fn error(&self) -> Option<String> {
        self.json()["error"].as_str().map(str::to_string)
    }
}

impl OAuthBed {
    fn var(&self, key: &str) -> &str {
        self.env
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("{key} missing from testbed.env"))
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn issuer(&self) -> &str {
        self.var("OAUTH_ISSUER")
    }
    pub fn discovery_url(&self) -> &str {
        self.var("OAUTH_DISCOVERY_URL")
    }
    pub fn authorize_url(&self) -> &str {
        self.var("OAUTH_AUTHORIZE_URL")
    }
    pub fn token_url(&self) -> &str {
        self.var("OAUTH_TOKEN_URL")
    }
    /// RFC 8628 device authorization endpoint (`/devicecode`).
    pub fn devicecode_url(&self) -> &str {
        self.var("OAUTH_DEVICE_AUTHORIZATION_URL")
    }
    /// The page a person would open (`verification_uri`).
    pub fn device_verification_url(&self) -> &str {
        self.var("OAUTH_DEVICE_VERIFICATION_URL")
    }
    pub fn introspect_url(&self) -> &str {
        self.var("OAUTH_INTROSPECT_URL")
    }
    pub fn userinfo_url(&self) -> &str {
        self.var("OAUTH_USERINFO_URL")
    }
    pub fn revoke_url(&self) -> &str {
        self.var("OAUTH_REVOKE_URL")
    }
    /// The test controls' base (`…/testbed`).
    pub fn testbed_url(&self) -> &str {
        self.var("OAUTH_TESTBED_URL")
    }

    /// The test CA that signed the IMAP/SMTP certificate (names `localhost`, `127.0.0.1`).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("certs/ca.crt")
    }

    /// `testbed.env`, for `oauth-testbed-check.py` and other scripts.
    pub fn env_file(&self) -> PathBuf {
        self.dir.join("testbed.env")
    }

    /// A user's Maildir, which is its IMAP INBOX (mail to the user lands in `new/`).
    pub fn maildir(&self, user: &str) -> PathBuf {
        let local = user.split('@').next().unwrap_or(user);
        self.dir.join("mail").join(local).join("Maildir")
    }

    /// Where IMAP folder `mailbox` of `user` lies (Maildir++: `Maildir/.NAME`, `INBOX` is
    /// the Maildir itself). Dovecot lists the SPECIAL-USE folders from the start but makes
    /// a folder's directory only when something is stored in it (or it is selected).
    pub fn folder(&self, user: &str, mailbox: &str) -> PathBuf {
        if mailbox.eq_ignore_ascii_case("INBOX") {
            return self.maildir(user);
        }
        self.maildir(user)
            .join(format!(".{}", mailbox.replace('/', ".")))
    }

    /// The `\Sent` folder of `user` on disk.
    pub fn sent_folder(&self, user: &str) -> PathBuf {
        self.folder(user, SENT_MAILBOX)
    }

    /// The `\Drafts` folder of `user` on disk.
    pub fn drafts_folder(&self, user: &str) -> PathBuf {
        self.folder(user, DRAFTS_MAILBOX)
    }

    /// Where mail to anyone but the two users lands.
    pub fn other_maildir(&self) -> PathBuf {
        self.dir.join("mail/other/Maildir")
    }

    /// The messages (full bytes) in `folder`'s `new/` and `cur/`.
    pub fn messages(&self, folder: &Path) -> Vec<Vec<u8>> {
        message_files(folder)
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .collect()
    }

    pub fn dovecot_log(&self) -> PathBuf {
        self.dir.join("log/dovecot.log")
    }
    pub fn postfix_log(&self) -> PathBuf {
        self.dir.join("log/maillog")
    }
    pub fn oauth_log(&self) -> PathBuf {
        self.dir.join("log/oauth.log")
    }

    // ------------------------------------------------------------- test controls

    /// An access token for [`OAUTH_USER`] with scope `mail`, living `ttl` seconds
    /// (negative: already expired).
    pub fn mint(&self, ttl: i64) -> Minted {
        self.mint_for(OAUTH_USER, ttl, SCOPE)
    }

    pub fn mint_for(&self, user: &str, ttl: i64, scope: &str) -> Minted {
        let reply = self.control(
            "mint",
            &[("user", user), ("ttl", &ttl.to_string()), ("scope", scope)],
        );
        let json = reply.json();
        Minted {
            access_token: json["access_token"].as_str().expect("access_token").into(),
            expires_at: json["expires_at"].as_i64().expect("expires_at"),
        }
    }

    /// Expires one access token now; returns how many were expired (0 or 1).
    pub fn expire(&self, token: &str) -> u64 {
        self.control("expire", &[("token", token)]).json()["expired"]
            .as_u64()
            .unwrap_or(0)
    }

    /// Expires every access token issued so far (hold [`serial`]).
    pub fn expire_all(&self) -> u64 {
        self.control("expire", &[("all", "1")]).json()["expired"]
            .as_u64()
            .unwrap_or(0)
    }

    /// RFC 7009 revocation of an access or refresh token (a refresh token takes its access
    /// tokens along).
    pub fn revoke(&self, token: &str) {
        let reply = self.post(self.revoke_url(), &[("token", token)]);
        assert_eq!(reply.status, 200, "revoke: {}", reply.body);
    }

    /// Changes the server-wide settings (hold [`serial`]); returns them all as they are now.
    pub fn config(&self, config: &Config) -> Value {
        let form = config.form();
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.control("config", &form).json()
    }

    /// Every setting back to how the bed started.
    pub fn reset_config(&self) -> Value {
        self.config(&Config::defaults())
    }

    /// `GET /testbed/state`: config, counters (`stats.token`, `stats.introspect`,
    /// `stats.device_polls`…), the last introspections.
    pub fn state(&self) -> Value {
        let reply = self.get(&format!("{}/state", self.testbed_url()));
        assert_eq!(reply.status, 200, "state: {}", reply.body);
        reply.json()
    }

    /// RFC 7662: what the server says of a token (`active`, `email`, `scope`, `exp`).
    pub fn introspect(&self, token: &str) -> Value {
        self.post(self.introspect_url(), &[("token", token)]).json()
    }

    /// `POST /token` with `form` (refresh, device polling, code exchange).
    pub fn token_request(&self, form: &[(&str, &str)]) -> Reply {
        self.post(self.token_url(), form)
    }

    /// `POST /devicecode` for [`CLIENT_ID`] and `scope`.
    pub fn device_code(&self, scope: &str) -> DeviceCode {
        let reply = self.post(
            self.devicecode_url(),
            &[("client_id", CLIENT_ID), ("scope", scope)],
        );
        assert_eq!(reply.status, 200, "devicecode: {}", reply.body);
        let j = reply.json();
        let s = |k: &str| j[k].as_str().unwrap_or_default().to_string();
        DeviceCode {
            device_code: s("device_code"),
            user_code: s("user_code"),
            verification_uri: s("verification_uri"),
            verification_uri_complete: s("verification_uri_complete"),
            expires_in: j["expires_in"].as_u64().unwrap_or(0),
            interval: j["interval"].as_u64().unwrap_or(0),
        }
    }

    /// One device-code poll of `/token` for [`CLIENT_ID`].
    pub fn device_poll(&self, device_code: &str) -> Reply {
        self.token_request(&[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", CLIENT_ID),
        ])
    }

    /// The person approves `user_code` (as [`OAUTH_USER`]).
    pub fn device_approve(&self, user_code: &str) -> Reply {
        self.control("device/approve", &[("user_code", user_code)])
    }

    /// The person refuses `user_code`.
    pub fn device_deny(&self, user_code: &str) -> Reply {
        self.control("device/deny", &[("user_code", user_code)])
    }

    /// `POST /testbed/PATH` with a form.
    pub fn control(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        let reply = self.post(&format!("{}/{path}", self.testbed_url()), form);
        assert!(
            reply.status == 200 || path.starts_with("device/"),
            "testbed/{path}: HTTP {} {}",
            reply.status,
            reply.body
        );
        reply
    }

    // ------------------------------------------------------------- plain HTTP

    /// `POST url` with a form body (`application/x-www-form-urlencoded`).
    pub fn post(&self, url: &str, form: &[(&str, &str)]) -> Reply {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        http(
            "POST",
            url,
            Some(("application/x-www-form-urlencoded", body.as_bytes())),
        )
    }

    /// `GET url` (redirects are not followed).
    pub fn get(&self, url: &str) -> Reply {
        http("GET", url, None)
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A tiny HTTP/1.0 client for `http://127.0.0.1:PORT/...` (the bed is plain HTTP on
/// loopback; no proxy, no redirects). HTTP/1.0: the server closes and does not chunk.
pub fn http(method: &str, url: &str, body: Option<(&str, &[u8])>) -> Reply {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("not an http:// URL: {url}"));
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream =
        TcpStream::connect(authority).unwrap_or_else(|e| panic!("connect {authority}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(15))).ok();
    let mut request =
        format!("{method} {path} HTTP/1.0\r\nHost: {authority}\r\nConnection: close\r\n");
    if let Some((content_type, bytes)) = body {
        request.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            bytes.len()
        ));
    }
    request.push_str("\r\n");
    let mut raw = request.into_bytes();
    if let Some((_, bytes)) = body {
        raw.extend_from_slice(bytes);
    }
    stream.write_all(&raw).expect("send HTTP request");
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{method} {url}: no HTTP status in {head:?}"));
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Reply { status, body }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
        let (Some(chunk), Some(after)) = (rest.get(..n), rest.get(n..)) else {
            break;
        };
        if n == 0 {
            break;
        }
        out.push_str(chunk);
        s = after.trim_start_matches("\r\n");
    }
    out
}
