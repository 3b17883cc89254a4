//! Shared by the integration tests: the real `mailroom` binary in a throwaway home,
//! and the real servers it talks to — Postfix with TLS + AUTH ([`postfix`]), a
//! misbehaving SMTP server ([`faulty`]), gnome-keyring on a private D-Bus
//! ([`keyring`]), and the OAuth2 + IMAP bed: an authorization server, Dovecot and Postfix
//! ([`oauth_bed`]). Each server starts once per test binary and is stopped by a watcher
//! process when the test binary exits.
#![allow(dead_code)]

pub mod detect_bed;
pub mod detect_cli;
pub mod faulty;
#[cfg(feature = "gui")]
pub mod gui;
pub mod keyring;
pub mod oauth_bed;
pub mod oauth_bed_config;
pub mod oauth_world;
pub mod postfix;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The folder holding these scripts.
pub fn support_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support")
}

/// Runs `cleanup` (a shell snippet) once this test process has exited.
pub fn on_exit(cleanup: &str) {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; {cleanup}",
        pid = std::process::id()
    );
    let spawned = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        panic!("could not start the clean-up watcher: {e}");
    }
}

/// What a run of `mailroom` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with everything the command printed unless it exited with `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn ok(self) -> Self {
        self.expect_code(0)
    }
}

/// A `MAILROOM_HOME` of its own, and the environment the binary runs in.
pub struct Home {
    pub dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Home {
    /// A home with no keyring reachable (the session bus address leads nowhere).
    pub fn new() -> Self {
        Self::with_env(vec![(
            "DBUS_SESSION_BUS_ADDRESS".into(),
            "unix:path=/nonexistent/mailroom-test-bus".into(),
        )])
    }

    /// A home whose `mailroom` talks to the test keyring.
    pub fn with_keyring() -> Self {
        Self::with_env(keyring::session().env())
    }

    pub fn with_env(env: Vec<(String, String)>) -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            env,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailroom"));
        cmd.args(args)
            .env("MAILROOM_HOME", self.dir.path())
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Runs `mailroom ARGS` with nothing on standard input.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mailroom");
        if let Some(mut pipe) = child.stdin.take() {
            let _ = pipe.write_all(stdin.as_bytes());
        }
        Run::from(child.wait_with_output().expect("wait for mailroom"))
    }

    /// Writes a file into the home (a body, an attachment, a payload) and returns its path.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join("files").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Adds a folder profile named `id` (delivers into `HOME/out-ID`) and returns the folder.
    pub fn folder_profile(&self, id: &str) -> PathBuf {
        let folder = self.dir.path().join(format!("out-{id}"));
        self.run(&[
            "profile",
            "add",
            id,
            "--from",
            "Me <me@example.org>",
            "--folder",
            folder.to_str().unwrap(),
        ])
        .ok();
        folder
    }
}

impl Home {
    /// `mailroom profile add ID --host HOST --port PORT --from "Me <me@example.org>"`
    /// and `extra`, run to success: the one spelling of adding a server profile.
    #[track_caller]
    pub fn smtp_profile(&self, id: &str, host: &str, port: u16, extra: &[&str]) {
        self.smtp_profile_with_stdin(id, host, port, extra, "");
    }

    /// As [`Self::smtp_profile`], with `stdin` for `--password-stdin`.
    #[track_caller]
    pub fn smtp_profile_with_stdin(
        &self,
        id: &str,
        host: &str,
        port: u16,
        extra: &[&str],
        stdin: &str,
    ) {
        let args = smtp_profile_args(id, host, port, extra);
        self.run_with_stdin(&as_strs(&args), stdin).ok();
    }

    /// `mailroom profile add ID` with [`example_profile_args`], run to success.
    #[track_caller]
    pub fn example_profile(&self, id: &str, extra: &[&str]) {
        self.run(&as_strs(&example_profile_args(id, extra))).ok();
    }

    /// Adds profile `id` on the test Postfix (STARTTLS + AUTH, test CA), the password
    /// coming from a `password_command`; `extra` flags are appended.
    pub fn postfix_profile(&self, id: &str, extra: &[&str]) {
        let server = postfix::postfix();
        let ca = server.ca_file();
        let mut args = vec![
            "--user",
            postfix::USER,
            "--ca-file",
            ca.to_str().unwrap(),
            "--password-command",
            "printf testpass",
        ];
        args.extend_from_slice(extra);
        self.smtp_profile(id, "localhost", server.submission, &args);
    }

    /// The outbox as `outbox list --json` shows it.
    pub fn outbox(&self) -> Vec<serde_json::Value> {
        let run = self.run(&["outbox", "list", "--json"]).ok();
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("outbox list --json: {e}\n{}", run.stdout))
    }

    /// The drafts as `drafts list --json` shows them.
    pub fn drafts(&self) -> Vec<serde_json::Value> {
        let run = self.run(&["drafts", "list", "--json"]).ok();
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("drafts list --json: {e}\n{}", run.stdout))
    }

    pub fn sent_dir(&self) -> PathBuf {
        self.path().join("data/sent")
    }
}

/// The arguments of `mailroom profile add` for a server profile (see
/// [`Home::smtp_profile`]); a later `--from` in `extra` wins.
pub fn smtp_profile_args(id: &str, host: &str, port: u16, extra: &[&str]) -> Vec<String> {
    profile_add_args(id, host, Some(port), extra)
}

/// `mailroom profile add ID --host smtp.example.org --from "Me <me@example.org>" --user
/// me@example.org` and `extra`: a server profile nothing connects to, its port the usual
/// one for its security (no `--port`).
pub fn example_profile_args(id: &str, extra: &[&str]) -> Vec<String> {
    let mut flags = vec!["--user", "me@example.org"];
    flags.extend_from_slice(extra);
    profile_add_args(id, "smtp.example.org", None, &flags)
}

/// `profile add ID --host HOST [--port PORT]`, then `--from "Me <me@example.org>"`
/// unless `extra` has a `--from`, then `extra`.
fn profile_add_args(id: &str, host: &str, port: Option<u16>, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["profile", "add", id, "--host", host]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if let Some(port) = port {
        args.extend(["--port".to_string(), port.to_string()]);
    }
    if !extra.contains(&"--from") {
        args.extend(["--from".to_string(), "Me <me@example.org>".to_string()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Borrows built arguments (as [`smtp_profile_args`] returns them) for [`Home::run`].
pub fn as_strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Polls `done` (every 100 ms) until it holds; panics naming `what` once `timeout` has
/// passed. For the window's harness steps see `gui::wait_until`.
#[track_caller]
pub fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Opens `maildir` with Python's `mailbox.Maildir` (the parser mutt-compatible tools
/// agree with) and returns each message's subject and flags.
pub fn python_maildir(maildir: &Path) -> Vec<(String, String)> {
    if !maildir.exists() {
        return Vec::new();
    }
    let script = r#"
import mailbox, sys
md = mailbox.Maildir(sys.argv[1], factory=None, create=False)
for key in sorted(md.keys()):
    m = md[key]
    print(str(m['Subject']) + '\t' + m.get_flags())
"#;
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(maildir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "python mailbox: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| {
            let (subject, flags) = l.split_once('\t').unwrap_or((l, ""));
            (subject.to_string(), flags.to_string())
        })
        .collect()
}

/// The files in a folder (none when it does not exist).
pub fn files_in(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// Parses a delivered or written message.
pub fn parse(bytes: &[u8]) -> mail_parser::Message<'static> {
    mail_parser::MessageParser::default()
        .parse(bytes)
        .expect("a parseable message")
        .into_owned()
}

/// A free TCP port on 127.0.0.1 (the OS picks; it is released at once).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A folder nobody can write into, not even root (`chattr +i`), until dropped.
pub struct Immutable(PathBuf);

impl Immutable {
    pub fn folder(path: &Path) -> Self {
        let status = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .expect("run chattr (package e2fsprogs)");
        assert!(
            status.success(),
            "chattr +i {} failed: this test needs root on a file system with the \
             immutable attribute (ext4, xfs, btrfs)",
            path.display()
        );
        Self(path.to_path_buf())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}
