//! Running the desktop's own programs (`systemctl`, `crontab`, `xdg-mime`, …): no
//! standard input, and a failure told in words with what the program said on stderr.
//! Each caller wraps the words in its own error.

use std::process::{Command, Stdio};

/// Runs `program args`; `Err` says why it could not run or what it said when it failed.
pub fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run {program}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Whether `program args` runs and succeeds; its output is thrown away.
pub fn succeeds<S: AsRef<std::ffi::OsStr>>(program: &str, args: &[S]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
