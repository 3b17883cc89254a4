//! The world every OAuth2 sign-in test lives in (`tests/oauth_send.rs`,
//! `tests/oauth_failures.rs`): the OAuth2 bed ([`super::oauth_bed`]), a keyring of its
//! own, a home, and `BROWSER` scripts that play the person's browser — following the
//! provider's redirect, tampering with its `state`, or doing nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::MutexGuard;
use std::time::{Duration, Instant};

use super::faulty::Faulty;
use super::keyring::{self, Provider, Session};
use super::oauth_bed::{CLIENT_ID, OAUTH_USER, OAuthBed, oauth_bed, serial};
use super::{Home, Run, as_strs, parse, smtp_profile_args};

/// The profile every test signs in with.
pub const ID: &str = "work";
/// The keyring user its tokens are kept under.
pub const KEYRING_USER: &str = "work#oauth2";

/// What the person's browser does with the authorization URL it is given.
#[derive(Clone, Copy)]
pub enum Browser {
    /// Opens it and follows the provider's redirect back to Mailroom (the bed approves at once).
    Follow,
    /// Stops at the provider's redirect, changes its `state`, then goes to Mailroom.
    TamperState,
    /// Nothing: the person never comes back.
    Nothing,
}

impl Browser {
    pub fn name(self) -> &'static str {
        match self {
            Browser::Follow => "follow",
            Browser::TamperState => "tamper",
            Browser::Nothing => "nothing",
        }
    }
}

/// The browser scripts: each records its arguments (one JSON array a line) and the page it
/// was shown at the end, then does what its name says.
pub const BROWSER_PY: &str = r#"#!/usr/bin/env python3
import json, sys, urllib.error, urllib.parse, urllib.request
MODE, ARGV_LOG, PAGE_LOG = '@MODE@', '@ARGV@', '@PAGE@'
with open(ARGV_LOG, 'a') as f:
    f.write(json.dumps(sys.argv[1:]) + '\n')
if MODE == 'nothing':
    sys.exit(0)
no_proxy = urllib.request.ProxyHandler({})
url = sys.argv[1]
if MODE == 'tamper':
    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None
    try:
        urllib.request.build_opener(no_proxy, Stop).open(url, timeout=30)
        sys.exit('the provider did not redirect')
    except urllib.error.HTTPError as e:
        location = e.headers['Location']
    parts = urllib.parse.urlsplit(location)
    query = [(k, v + 'forged' if k == 'state' else v) for k, v in urllib.parse.parse_qsl(parts.query)]
    url = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
try:
    page = urllib.request.build_opener(no_proxy).open(url, timeout=30).read().decode()
except urllib.error.HTTPError as e:
    page = f'HTTP {e.code} ' + e.read().decode()
with open(PAGE_LOG, 'a') as f:
    f.write(page + '\n')
"#;

/// A token endpoint that answers HTML: an issuer whose discovery document names the bed's
/// real `/authorize` but its own `/token`, which answers `200 text/html` the first time and
/// `502 text/html` after that (a proxy's error page). Prints its port; records each POST.
pub const HTML_ISSUER_PY: &str = r#"
import http.server, json, sys
AUTHORIZE, LOG = sys.argv[1], sys.argv[2]
posts = [0]
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, status, ctype, body):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == '/.well-known/openid-configuration':
            base = 'http://127.0.0.1:%d' % self.server.server_port
            doc = {'issuer': base, 'authorization_endpoint': AUTHORIZE, 'token_endpoint': base + '/token'}
            self.reply(200, 'application/json', json.dumps(doc).encode())
        else:
            self.reply(404, 'text/plain', b'not here')
    def do_POST(self):
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        posts[0] += 1
        with open(LOG, 'a') as f:
            f.write(self.path + '\n')
        status = 200 if posts[0] == 1 else 502
        self.reply(status, 'text/html; charset=utf-8',
                   b'<!doctype html><html><body><h1>Down for maintenance</h1></body></html>')
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(('127.0.0.1', 0), H)
print(server.server_port, flush=True)
server.serve_forever()
"#;

/// The tokens as the keyring holds them.
#[derive(Debug, Clone, PartialEq)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub expires_at: Option<String>,
}

/// One test's world: the bed (held alone), a keyring and a home of its own, the browser
/// scripts, and everything `mailroom` printed (for the leak check).
pub struct World {
    pub bed: &'static OAuthBed,
    pub keyring: Session,
    pub home: Home,
    pub scripts: tempfile::TempDir,
    pub printed: RefCell<Vec<String>>,
    pub _serial: MutexGuard<'static, ()>,
}

impl World {
    pub fn new() -> Self {
        let serial = serial();
        let bed = oauth_bed();
        bed.reset_config();
        let keyring = keyring::start(Provider::UnlockedKeyring);
        let scripts = tempfile::tempdir().unwrap();
        for browser in [Browser::Follow, Browser::TamperState, Browser::Nothing] {
            let text = BROWSER_PY
                .replace("@MODE@", browser.name())
                .replace("@ARGV@", scripts.path().join("argv.log").to_str().unwrap())
                .replace("@PAGE@", scripts.path().join("page.log").to_str().unwrap());
            let path = scripts.path().join(format!("browser-{}", browser.name()));
            std::fs::write(&path, text).unwrap();
            make_executable(&path);
        }
        let mut env = keyring.env();
        env.push(("MAILROOM_OAUTH2_DEADLINE_SECS".into(), "60".into()));
        let home = Home::with_env(env);
        Self {
            bed,
            keyring,
            home,
            scripts,
            printed: RefCell::new(Vec::new()),
            _serial: serial,
        }
    }

    pub fn browser(&self, browser: Browser) -> PathBuf {
        self.scripts
            .path()
            .join(format!("browser-{}", browser.name()))
    }

    /// `mailroom ARGS` with `browser` as `BROWSER` and `env` on top.
    pub fn run_with(&self, args: &[&str], browser: Browser, env: &[(&str, &str)]) -> Run {
        let output = self
            .home
            .command(args)
            .env("BROWSER", self.browser(browser))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run mailroom");
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        self.printed
            .borrow_mut()
            .extend([run.stdout.clone(), run.stderr.clone()]);
        run
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, Browser::Follow, &[])
    }

    /// `profile add work …` on `port` of localhost (STARTTLS, the bed's CA), signing in at
    /// `issuer`.
    pub fn add_profile(&self, port: u16, issuer: &str) {
        self.add_profile_with(port, issuer, &[]);
    }

    /// [`Self::add_profile`] with `extra` flags.
    pub fn add_profile_with(&self, port: u16, issuer: &str, extra: &[&str]) {
        let ca = self.bed.ca_file();
        let mut flags = vec![
            "--from",
            OAUTH_USER,
            "--security",
            "starttls",
            "--user",
            OAUTH_USER,
            "--ca-file",
            ca.to_str().unwrap(),
            "--oauth2-issuer",
            issuer,
            "--oauth2-client-id",
            CLIENT_ID,
            "--oauth2-scope",
            "mail",
        ];
        flags.extend_from_slice(extra);
        let args = smtp_profile_args(ID, "localhost", port, &flags);
        self.run(&as_strs(&args)).ok();
    }

    pub fn login(&self, browser: Browser) -> Run {
        self.run_with(&["profile", "login", ID], browser, &[])
    }

    /// Signs in through the browser, to success.
    pub fn sign_in(&self) -> Tokens {
        let run = self.login(Browser::Follow).ok();
        assert!(
            run.stdout.contains(&format!("Signed in as {OAUTH_USER}")),
            "{run:?}"
        );
        self.tokens()
            .expect("tokens in the keyring after signing in")
    }

    /// What the keyring holds for the profile, parsed.
    pub fn tokens(&self) -> Option<Tokens> {
        let text = self.keyring.lookup(KEYRING_USER)?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("keyring entry {KEYRING_USER} is not JSON ({e})"));
        Some(Tokens {
            access: json["access_token"].as_str().expect("access_token").into(),
            refresh: json["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .into(),
            expires_at: json["expires_at"].as_str().map(str::to_string),
        })
    }

    /// `send --profile work` to a recipient of the `other` maildir, subject `subject`.
    pub fn send(&self, subject: &str) -> Run {
        self.run(&[
            "send",
            "--profile",
            ID,
            "--to",
            "Ana Lima <ana-oauth@example.org>",
            "--subject",
            subject,
            "--body",
            "Sent with a token, not a password.\n",
        ])
    }

    pub fn status(&self) -> String {
        self.run(&["profile", "status", ID]).ok().stdout
    }

    pub fn profiles_toml(&self) -> String {
        std::fs::read_to_string(self.home.path().join("config/profiles.toml")).unwrap()
    }

    /// What the browser scripts were started with: one argument list per start.
    pub fn browser_starts(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(self.scripts.path().join("argv.log"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// The pages the browser was shown at the end, in order, once there are `count` (the
    /// browser runs on its own: it may write the page after `mailroom` has exited).
    pub fn browser_pages(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let pages: Vec<String> = std::fs::read_to_string(self.scripts.path().join("page.log"))
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect();
            if pages.len() >= count || Instant::now() >= deadline {
                return pages;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// No token anywhere a person or another program could read it: not in any file under
    /// `MAILROOM_HOME`, not in anything `mailroom` printed, not in the browser's arguments
    /// (which are the authorization URL alone).
    pub fn assert_no_token_leaked(&self, seen: &[&Tokens]) {
        let secrets: Vec<&str> = seen
            .iter()
            .flat_map(|t| [t.access.as_str(), t.refresh.as_str()])
            .collect();
        let mut files = Vec::new();
        walk(self.home.path(), &mut files);
        assert!(!files.is_empty());
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            for secret in &secrets {
                assert!(
                    !contains(&bytes, secret.as_bytes()),
                    "a token is in {}",
                    file.display()
                );
            }
        }
        for text in self.printed.borrow().iter() {
            for secret in &secrets {
                assert!(!text.contains(secret), "a token was printed: {text}");
            }
        }
        let starts = self.browser_starts();
        assert!(!starts.is_empty(), "the browser was never started");
        for argv in starts {
            assert_eq!(argv.len(), 1, "the browser gets the URL alone: {argv:?}");
            let url = &argv[0];
            assert!(url.starts_with(self.bed.authorize_url()), "{url}");
            for secret in &secrets {
                assert!(!url.contains(secret), "a token in the browser's URL: {url}");
            }
            for absent in [
                "access_token",
                "refresh_token",
                "code_verifier",
                "client_secret",
            ] {
                assert!(
                    !url.contains(absent),
                    "{absent} in the browser's URL: {url}"
                );
            }
        }
    }

    /// The message with `subject` that Postfix delivered to the `other` maildir.
    pub fn delivered(&self, subject: &str) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = self
                .bed
                .messages(&self.bed.other_maildir())
                .into_iter()
                .find(|m| parse(m).subject() == Some(subject));
            if let Some(message) = found {
                return message;
            }
            assert!(
                Instant::now() < deadline,
                "no message \"{subject}\" delivered; maillog:\n{}",
                tail(&self.bed.postfix_log(), 30)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// How Postfix says the client that submitted `message` authenticated: its
    /// `QUEUEID: client=…, sasl_method=…, sasl_username=…` line.
    pub fn sasl_line_of(&self, message: &[u8]) -> String {
        let text = String::from_utf8_lossy(message);
        let id = text
            .split("with ESMTPSA id ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_alphanumeric()).next())
            .unwrap_or_else(|| panic!("no Received: … with ESMTPSA id QUEUEID in\n{text}"))
            .to_string();
        let log = std::fs::read_to_string(self.bed.postfix_log()).unwrap();
        log.lines()
            .find(|l| l.contains(&format!("{id}: client=")))
            .unwrap_or_else(|| panic!("no client= line for {id} in the maillog:\n{log}"))
            .to_string()
    }
}

pub fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

pub fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files);
        } else if path.is_file() {
            files.push(path);
        }
    }
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A child process killed when the test ends, however it ends.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `auth` records of every session of a `faulty-smtp.py --bearer` server, in order.
pub fn bearer_attempts(server: &Faulty) -> Vec<serde_json::Value> {
    let mut sessions: Vec<(u64, serde_json::Value)> = super::files_in(server.spool.path())
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .map(|v| (v["session"].as_u64().unwrap_or(0), v))
        .collect();
    sessions.sort_by_key(|(n, _)| *n);
    sessions
        .into_iter()
        .flat_map(|(_, v)| v["auth"].as_array().cloned().unwrap_or_default())
        .collect()
}
