//! `faulty-smtp.py`: an SMTP server that misbehaves on purpose (temporary and permanent
//! refusals at a chosen step, no STARTTLS, a self-signed certificate), and records
//! every session so a test can check what reached it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::support_dir;

pub struct Faulty {
    child: Child,
    pub port: u16,
    pub spool: tempfile::TempDir,
}

impl Faulty {
    /// Starts the server with these arguments (see the script's help for modes).
    pub fn start(args: &[&str]) -> Self {
        let spool = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new("python3")
            .arg(support_dir().join("faulty-smtp.py"))
            .args(["--port", "0", "--dir"])
            .arg(spool.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start faulty-smtp.py");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("READY line");
        let port = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("port="))
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("faulty-smtp.py did not start: {line:?}"));
        Self { child, port, spool }
    }

    /// The messages it received completely, as files.
    pub fn messages(&self) -> Vec<PathBuf> {
        super::files_in(self.spool.path())
            .into_iter()
            .filter(|p| {
                p.extension().is_some_and(|e| e == "eml")
                    && !p.to_string_lossy().ends_with("-partial.eml")
            })
            .collect()
    }

    /// Everything said in every session, for checking what was (not) sent.
    pub fn transcripts(&self) -> String {
        super::files_in(self.spool.path())
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Faulty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
