//! A real Postfix on 127.0.0.1: STARTTLS submission (AUTH only after STARTTLS),
//! implicit TLS, a plain port without AUTH, a test CA, a SIZE limit, and a Maildir
//! where every accepted recipient's copy lands. See `postfix-testbed.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::{free_port, on_exit, support_dir};

pub const USER: &str = "testuser";
pub const PASSWORD: &str = "testpass";
/// Small, so the over-SIZE test needs only a small message.
pub const SIZE_LIMIT: usize = 2 * 1024 * 1024;

pub struct Postfix {
    pub dir: PathBuf,
    pub submission: u16,
    pub smtps: u16,
    pub plain: u16,
}

/// The test binary's Postfix, started on first use.
pub fn postfix() -> &'static Postfix {
    static SERVER: OnceLock<Postfix> = OnceLock::new();
    SERVER.get_or_init(start)
}

fn start() -> Postfix {
    let dir = tempfile::Builder::new()
        .prefix("mailroom-postfix-")
        .tempdir()
        .expect("temp dir")
        .keep();
    let (submission, smtps, plain) = (free_port(), free_port(), free_port());
    let script = support_dir().join("postfix-testbed.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg("start")
        .arg(&dir)
        .env("SMTP_SUBMISSION_PORT", submission.to_string())
        .env("SMTP_SMTPS_PORT", smtps.to_string())
        .env("SMTP_PLAIN_PORT", plain.to_string())
        .env("SMTP_SIZE_LIMIT", SIZE_LIMIT.to_string())
        .output()
        .expect("run postfix-testbed.sh");
    assert!(
        output.status.success(),
        "Postfix did not start (run the tests as root with postfix installed: see tests/run.sh)\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    on_exit(&format!(
        "bash '{}' stop '{}'; rm -rf '{}'",
        script.display(),
        dir.display(),
        dir.display()
    ));
    Postfix {
        dir,
        submission,
        smtps,
        plain,
    }
}

impl Postfix {
    /// The test CA that signed the server certificate (for `--ca-file`).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("certs/ca.crt")
    }

    pub fn server_cert(&self) -> PathBuf {
        self.dir.join("certs/server.crt")
    }

    fn maildir_new(&self) -> PathBuf {
        self.dir.join("Maildir/new")
    }

    /// The delivered copies addressed (in the envelope) to `recipient`.
    pub fn delivered_to(&self, recipient: &str) -> Vec<Vec<u8>> {
        let needle = format!("X-Original-To: {recipient}\n");
        super::files_in(&self.maildir_new())
            .iter()
            .filter_map(|path| std::fs::read(path).ok())
            .filter(|bytes| header_block(bytes).contains(&needle))
            .collect()
    }

    /// Waits (up to a minute: Postfix delivers asynchronously) for `recipient`'s copy.
    #[track_caller]
    pub fn wait_for(&self, recipient: &str) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(bytes) = self.delivered_to(recipient).pop() {
                return bytes;
            }
            assert!(
                Instant::now() < deadline,
                "no message for {recipient} arrived; see {}",
                log_tail(&self.dir.join("log/maillog"))
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn header_block(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.split("\n\n").next().unwrap_or_default().to_string()
}

fn log_tail(path: &Path) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().rev().take(15).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join("\n")
}
