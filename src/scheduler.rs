//! `outbox install`: have the operating system run `mailroom outbox run` every minute,
//! so "send later" goes out with no window open.
//!
//! - Linux and the BSDs: a systemd user service + timer (`OnCalendar=minutely`,
//!   `Persistent=true`, so a run missed while the machine slept happens at wake-up);
//!   without a systemd user session, a crontab line. `MAILROOM_SCHEDULER=cron` or
//!   `=systemd` chooses explicitly.
//! - macOS: a launchd agent (`StartInterval` 60, `RunAtLoad`).
//! - Windows: a Task Scheduler task (`schtasks /SC MINUTE`).
//!
//! The files and command lines are built by pure functions, tested on every platform;
//! the commands that install them run only where they exist. Each carries
//! `MAILROOM_HOME` when it is set, so a portable install keeps its own outbox.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::Error;
use crate::paths::{Dirs, HOME_ENV};

const UNIT: &str = "mailroom-outbox";

/// The systemd user units' file names: the service, then the timer.
pub const fn systemd_unit_names() -> [&'static str; 2] {
    ["mailroom-outbox.service", "mailroom-outbox.timer"]
}
const CRON_MARK: &str = "# mailroom-outbox";
const LAUNCHD_LABEL: &str = "org.mailroom.outbox";
const TASK_NAME: &str = "Mailroom Outbox";

/// The systemd user service that runs one outbox pass.
pub fn systemd_service(exe: &Path, home: Option<&Path>) -> String {
    let env = home.map_or(String::new(), |h| {
        format!(
            "Environment={}\n",
            unit_string(&format!("{HOME_ENV}={}", h.display()))
        )
    });
    format!(
        "[Unit]\nDescription=Mailroom: send the messages that are due\n\n[Service]\nType=oneshot\n{env}ExecStart={} outbox run\n",
        unit_string(&exe.display().to_string())
    )
}

/// A double-quoted value in a unit file, read back as `text`: `%` doubled (else a
/// specifier), `"` and `\` escaped, line breaks and other control characters as C
/// escapes (which systemd unquotes).
fn unit_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '%' => out.push_str("%%"),
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The timer that starts the service every minute, catching up after sleep.
pub fn systemd_timer() -> String {
    format!(
        "[Unit]\nDescription=Mailroom: send later, every minute\n\n[Timer]\nOnCalendar=minutely\nPersistent=true\nUnit={UNIT}.service\n\n[Install]\nWantedBy=timers.target\n"
    )
}

/// The crontab line, marked so that uninstall finds exactly it. A line break in the
/// program's path or `MAILROOM_HOME` is refused: a crontab entry is one line.
pub fn cron_line(exe: &Path, home: Option<&Path>) -> Result<String, Error> {
    for (what, path) in [("the mailroom program's path", Some(exe)), (HOME_ENV, home)] {
        if let Some(path) = path.filter(|p| p.to_string_lossy().contains(['\n', '\r'])) {
            return Err(Error::LineBreakInPath {
                what,
                path: path.to_path_buf(),
            });
        }
    }
    let env = home.map_or(String::new(), |h| {
        format!("{HOME_ENV}={} ", cron_word(&h.display().to_string()))
    });
    Ok(format!(
        "* * * * * {env}{} outbox run >/dev/null 2>&1 {}",
        cron_word(&exe.display().to_string()),
        cron_mark(home)
    ))
}

/// A word for the shell in a crontab line: single-quoted (a `'` closes, is escaped and
/// reopens), with `%` escaped, which cron would otherwise turn into a line break.
fn cron_word(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''").replace('%', r"\%"))
}

/// The comment that ends this home's crontab line (cron passes it to the shell too, so
/// its `%` are escaped as well).
fn cron_mark(home: Option<&Path>) -> String {
    home.map_or(CRON_MARK.to_string(), |h| {
        format!(
            "{CRON_MARK} {}",
            h.display().to_string().replace('%', r"\%")
        )
    })
}

/// The launchd agent for macOS.
pub fn launchd_plist(exe: &Path, home: Option<&Path>) -> String {
    let env = home.map_or(String::new(), |h| {
        format!("  <key>EnvironmentVariables</key>\n  <dict><key>{HOME_ENV}</key><string>{}</string></dict>\n", xml(&h.display().to_string()))
    });
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key><string>{LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array><string>{}</string><string>outbox</string><string>run</string></array>
{env}  <key>StartInterval</key><integer>60</integer>
  <key>RunAtLoad</key><true/>
</dict>
</plist>
"#,
        xml(&exe.display().to_string())
    )
}

/// The `schtasks` arguments that create the Windows task.
pub fn schtasks_create(exe: &Path, home: Option<&Path>) -> Vec<String> {
    let run = match home {
        Some(h) => format!(
            "cmd /c \"set {HOME_ENV}={}&& \"{}\" outbox run\"",
            h.display(),
            exe.display()
        ),
        None => format!("\"{}\" outbox run", exe.display()),
    };
    [
        "/Create", "/F", "/SC", "MINUTE", "/MO", "1", "/TN", TASK_NAME, "/TR", &run,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn home_override() -> Option<PathBuf> {
    std::env::var_os(HOME_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn exe() -> Result<PathBuf, Error> {
    std::env::current_exe()
        .map_err(|e| Error::Scheduler(format!("could not find the mailroom program: {e}")))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Systemd,
    Cron,
    Launchd,
    TaskScheduler,
}

fn kind() -> Kind {
    match std::env::var("MAILROOM_SCHEDULER").as_deref() {
        Ok("cron") => return Kind::Cron,
        Ok("systemd") => return Kind::Systemd,
        _ => {}
    }
    if cfg!(target_os = "macos") {
        Kind::Launchd
    } else if cfg!(windows) {
        Kind::TaskScheduler
    } else if succeeds("systemctl", &["--user", "show-environment"]) {
        Kind::Systemd
    } else {
        Kind::Cron
    }
}

/// Installs the scheduler for this platform; says what it did.
pub fn install(dirs: &Dirs) -> Result<String, Error> {
    let (exe, home) = (exe()?, home_override());
    let home = home.as_deref();
    match kind() {
        Kind::Systemd => {
            let folder = systemd_folder()?;
            let [service, timer] = systemd_unit_names();
            write(&folder.join(service), &systemd_service(&exe, home))?;
            write(&folder.join(timer), &systemd_timer())?;
            run("systemctl", &["--user", "daemon-reload"])?;
            run("systemctl", &["--user", "enable", "--now", &format!("{UNIT}.timer")])?;
            Ok(format!("Installed the systemd user timer {UNIT}.timer: the outbox is sent every minute, window or not."))
        }
        Kind::Cron => {
            let mut lines = crontab_lines()?;
            lines.retain(|l| !is_ours(l, home));
            lines.push(cron_line(&exe, home)?);
            set_crontab(&lines)?;
            Ok(if cron_daemon_running() {
                "Installed a crontab line: the outbox is sent every minute, window or not.".into()
            } else {
                format!("Installed a crontab line, but {NO_CRON_DAEMON}")
            })
        }
        Kind::Launchd => {
            let plist = launchd_path()?;
            write(&plist, &launchd_plist(&exe, home))?;
            run("launchctl", &["load", "-w", &plist.display().to_string()])?;
            Ok(format!("Installed the launchd agent {LAUNCHD_LABEL}."))
        }
        Kind::TaskScheduler => {
            let args = schtasks_create(&exe, home);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run("schtasks", &args)?;
            Ok(format!("Installed the Task Scheduler task \"{TASK_NAME}\"."))
        }
    }
    .map(|done| format!("{done}\nData: {}", dirs.data().display()))
}

pub fn uninstall() -> Result<String, Error> {
    let home = home_override();
    match kind() {
        Kind::Systemd => {
            let _ = run(
                "systemctl",
                &["--user", "disable", "--now", &format!("{UNIT}.timer")],
            );
            let folder = systemd_folder()?;
            for ext in ["service", "timer"] {
                let _ = std::fs::remove_file(folder.join(format!("{UNIT}.{ext}")));
            }
            let _ = run("systemctl", &["--user", "daemon-reload"]);
        }
        Kind::Cron => {
            let mut lines = crontab_lines()?;
            lines.retain(|l| !is_ours(l, home.as_deref()));
            set_crontab(&lines)?;
        }
        Kind::Launchd => {
            let plist = launchd_path()?;
            let _ = run("launchctl", &["unload", "-w", &plist.display().to_string()]);
            let _ = std::fs::remove_file(plist);
        }
        Kind::TaskScheduler => run("schtasks", &["/Delete", "/F", "/TN", TASK_NAME])?,
    }
    Ok("Uninstalled: scheduled messages go out only while Mailroom runs.".into())
}

/// What is installed, and when the outbox last ran.
pub fn status(dirs: &Dirs) -> String {
    let installed = installed();
    let last = std::fs::read_to_string(dirs.data().join("outbox-last-run.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .map_or("never".to_string(), |v| last_run(&v));
    match installed {
        Some(what) => format!("Installed: {what}\nLast run: {last}"),
        None => format!(
            "Not installed: scheduled messages go out only while Mailroom runs (`mailroom outbox install`).\nLast run: {last}"
        ),
    }
}

/// Whether something will run the outbox with no window open: for a message scheduled
/// from the command line, said right away when nothing will.
pub fn will_run_unattended() -> bool {
    installed().is_some_and(|what| !what.contains(NO_CRON_DAEMON))
}

/// What this home has installed for this platform, if anything.
fn installed() -> Option<String> {
    let home = home_override();
    match kind() {
        Kind::Systemd => systemd_folder()
            .ok()
            .filter(|f| f.join(format!("{UNIT}.timer")).exists())
            .map(|_| format!("systemd user timer {UNIT}.timer")),
        Kind::Cron => crontab_lines()
            .ok()
            .filter(|lines| lines.iter().any(|l| is_ours(l, home.as_deref())))
            .map(|_| {
                if cron_daemon_running() {
                    "crontab line".to_string()
                } else {
                    format!("crontab line, but {NO_CRON_DAEMON}")
                }
            }),
        Kind::Launchd => launchd_path()
            .ok()
            .filter(|p| p.exists())
            .map(|_| format!("launchd agent {LAUNCHD_LABEL}")),
        Kind::TaskScheduler => succeeds("schtasks", &["/Query", "/TN", TASK_NAME])
            .then(|| format!("Task Scheduler task \"{TASK_NAME}\"")),
    }
}

/// The outcome of the last outbox pass, as `outbox-last-run.json` keeps it.
fn last_run(v: &serde_json::Value) -> String {
    let at = v["at"]
        .as_str()
        .and_then(|at| at.parse::<jiff::Timestamp>().ok())
        .map_or("?".to_string(), crate::when::local);
    if let Some(error) = v["error"].as_str() {
        return format!("{at}: it could not run: {error}");
    }
    let mut text = format!(
        "{at} (sent {}, retrying {}, failed {}, uncertain {})",
        v["sent"], v["retrying"], v["failed"], v["uncertain"]
    );
    for problem in v["problems"].as_array().into_iter().flatten() {
        text.push_str(&format!("\n  {}", problem.as_str().unwrap_or_default()));
    }
    text
}

/// Said when a crontab line is in place but nothing will run it.
const NO_CRON_DAEMON: &str = "no cron daemon is running on this machine, so nothing runs it: start cron (e.g. `sudo systemctl enable --now cron`), or keep `mailroom outbox run --watch` running while you are logged in.";

/// Whether a cron daemon runs here: a process named `cron`, `crond` or `cronie` (Linux,
/// from `/proc`). Where `/proc` cannot tell, assume it does.
fn cron_daemon_running() -> bool {
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return true;
    };
    processes.flatten().any(|p| {
        std::fs::read_to_string(p.path().join("comm"))
            .is_ok_and(|name| matches!(name.trim(), "cron" | "crond" | "cronie" | "busybox-cron"))
    })
}

/// Does the crontab line belong to this home's install?
fn is_ours(line: &str, home: Option<&Path>) -> bool {
    line.ends_with(&cron_mark(home))
}

fn crontab_lines() -> Result<Vec<String>, Error> {
    let output = Command::new("crontab")
        .arg("-l")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Scheduler(format!("no systemd user session and no crontab here ({e}); run `mailroom outbox run --watch` when you log in instead")))?;
    // `crontab -l` fails when the user has no crontab yet: that is an empty one.
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

fn set_crontab(lines: &[String]) -> Result<(), Error> {
    use std::io::Write;
    let mut child = Command::new("crontab")
        .arg("-")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Scheduler(format!("could not run crontab: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| Error::Scheduler(format!("could not write the crontab: {e}")))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| Error::Scheduler(format!("crontab failed: {e}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Error::Scheduler(format!(
            "crontab refused the new table: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

fn systemd_folder() -> Result<PathBuf, Error> {
    directories::BaseDirs::new()
        .map(|b| b.config_dir().join("systemd").join("user"))
        .ok_or_else(|| Error::Scheduler("no home folder for the systemd user units".into()))
}

fn launchd_path() -> Result<PathBuf, Error> {
    directories::BaseDirs::new()
        .map(|b| {
            b.home_dir()
                .join("Library/LaunchAgents")
                .join(format!("{LAUNCHD_LABEL}.plist"))
        })
        .ok_or_else(|| Error::Scheduler("no home folder for the launchd agent".into()))
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    crate::store::write_atomic(path, text.as_bytes()).map_err(|e| Error::Scheduler(e.to_string()))
}

fn run(program: &str, args: &[&str]) -> Result<(), Error> {
    crate::programs::run(program, args).map_err(Error::Scheduler)
}

fn succeeds(program: &str, args: &[&str]) -> bool {
    crate::programs::succeeds(program, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemd_units_run_one_pass_every_minute_and_catch_up() {
        let service = systemd_service(
            Path::new("/usr/bin/mailroom"),
            Some(Path::new("/home/me/mr")),
        );
        assert!(service.contains("Type=oneshot\n"));
        assert!(service.contains("ExecStart=\"/usr/bin/mailroom\" outbox run\n"));
        assert!(service.contains("Environment=\"MAILROOM_HOME=/home/me/mr\"\n"));
        let timer = systemd_timer();
        assert!(
            timer.contains("OnCalendar=minutely\nPersistent=true\nUnit=mailroom-outbox.service\n")
        );
        assert!(timer.contains("WantedBy=timers.target"));
    }

    #[test]
    fn the_cron_line_is_marked_per_home() {
        let line = cron_line(Path::new("/opt/mailroom"), Some(Path::new("/data/mr"))).unwrap();
        assert_eq!(
            line,
            "* * * * * MAILROOM_HOME='/data/mr' '/opt/mailroom' outbox run >/dev/null 2>&1 # mailroom-outbox /data/mr"
        );
        assert!(is_ours(&line, Some(Path::new("/data/mr"))));
        assert!(!is_ours(&line, Some(Path::new("/data/other"))));
        assert!(is_ours(
            &cron_line(Path::new("/opt/mailroom"), None).unwrap(),
            None
        ));
    }

    /// What cron does to a command before the shell sees it: `\%` becomes `%`, and an
    /// unescaped `%` ends the command (the rest is its standard input).
    fn as_cron_passes_it(command: &str) -> String {
        let mut out = String::new();
        let mut chars = command.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&'%') => {
                    out.push('%');
                    chars.next();
                }
                '%' => break,
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn a_home_with_quotes_percents_and_line_breaks_survives_cron_and_systemd() {
        let home = Path::new("/data/it's 100% \"mine\"\\now");
        let exe = Path::new("/opt/mail room/mailroom");
        // Through cron and then a real shell, the folder arrives as it is.
        let line = cron_line(exe, Some(home)).unwrap();
        let command = line.trim_start_matches("* * * * * ");
        let home_word = command
            .strip_prefix("MAILROOM_HOME=")
            .and_then(|rest| rest.split(" '/opt").next())
            .unwrap();
        let shell = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", as_cron_passes_it(home_word)))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&shell.stdout),
            home.to_str().unwrap()
        );
        assert!(is_ours(&line, Some(home)));
        // A crontab line cannot hold a line break: refused, naming the variable.
        let err = cron_line(exe, Some(Path::new("/data/two\nlines"))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "MAILROOM_HOME (\"/data/two\\nlines\") holds a line break, which a crontab line \
             cannot: use a folder without one"
        );
        assert_eq!(err.exit_kind() as u8, 2, "bad input");

        // systemd: % doubled (else a specifier), quotes and backslashes escaped, a line
        // break written as \n (C escapes are unquoted in unit files).
        let service = systemd_service(exe, Some(Path::new("/data/it's 100% \"x\"\\\ny")));
        assert!(
            service.contains("Environment=\"MAILROOM_HOME=/data/it's 100%% \\\"x\\\"\\\\\\ny\"\n"),
            "{service}"
        );
        assert!(
            service.contains("ExecStart=\"/opt/mail room/mailroom\" outbox run\n"),
            "{service}"
        );
    }

    #[test]
    fn the_launchd_agent_is_valid_xml_with_the_program_and_interval() {
        let plist = launchd_plist(Path::new("/Applications/Mailroom & Co/mailroom"), None);
        assert!(plist.contains("<string>/Applications/Mailroom &amp; Co/mailroom</string><string>outbox</string><string>run</string>"));
        assert!(plist.contains("<key>StartInterval</key><integer>60</integer>"));
        assert!(!plist.contains("EnvironmentVariables"));
    }

    #[test]
    fn the_windows_task_runs_every_minute() {
        let args = schtasks_create(Path::new(r"C:\Program Files\Mailroom\mailroom.exe"), None);
        assert_eq!(
            args[..8],
            [
                "/Create",
                "/F",
                "/SC",
                "MINUTE",
                "/MO",
                "1",
                "/TN",
                "Mailroom Outbox"
            ]
        );
        assert_eq!(
            args[9],
            r#""C:\Program Files\Mailroom\mailroom.exe" outbox run"#
        );
    }
}
