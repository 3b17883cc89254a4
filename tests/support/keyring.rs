//! A real Secret Service: gnome-keyring on a private D-Bus session bus, with a fresh,
//! unlocked `login` collection (the `default` alias keyring uses). Also the broken
//! shapes a person's desktop can be in: a bus with no secrets provider, and a provider
//! whose collection is locked.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::on_exit;

pub struct Session {
    pub bus_address: String,
    pub dir: PathBuf,
}

impl Session {
    /// The environment a client needs to reach this keyring.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.bus_address.clone()),
            (
                "XDG_RUNTIME_DIR".into(),
                self.dir.join("runtime").display().to_string(),
            ),
        ]
    }

    /// `secret-tool lookup service mailroom username ID`: what the keyring holds for a profile.
    pub fn lookup(&self, profile_id: &str) -> Option<String> {
        let output = Command::new("secret-tool")
            .args(["lookup", "service", "mailroom", "username", profile_id])
            .envs(self.env())
            .output()
            .expect("run secret-tool (libsecret-tools)");
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

/// The unlocked keyring shared by this test binary.
pub fn session() -> &'static Session {
    static SESSION: OnceLock<Session> = OnceLock::new();
    SESSION.get_or_init(|| start(Provider::UnlockedKeyring))
}

/// What answers on the bus.
pub enum Provider {
    /// gnome-keyring with an unlocked `login` collection.
    UnlockedKeyring,
    /// gnome-keyring running, but no collection unlocked.
    LockedKeyring,
    /// A bus with nothing that provides `org.freedesktop.secrets`.
    Nothing,
}

/// Starts a private bus with `provider` on it; torn down when the test binary exits.
pub fn start(provider: Provider) -> Session {
    let dir = tempfile::Builder::new()
        .prefix("mailroom-keyring-")
        .tempdir()
        .expect("temp dir")
        .keep();
    for sub in ["runtime", "data", "config", "services"] {
        std::fs::create_dir_all(dir.join(sub)).expect("keyring dirs");
    }
    set_private(&dir.join("runtime"));
    let (bus_address, bus_pid) = start_bus(&dir);
    on_exit(&format!(
        "kill {bus_pid}; sleep 0.3; rm -rf '{}'",
        dir.display()
    ));
    let session = Session { bus_address, dir };
    match provider {
        Provider::Nothing => {}
        Provider::UnlockedKeyring => {
            start_keyring(&session, &["--unlock"], Some("test-keyring-password"));
            wait_for_secrets(&session);
        }
        Provider::LockedKeyring => {
            start_keyring(&session, &[], None);
            wait_for_secrets(&session);
        }
    }
    session
}

/// A bus with its own config: no system service folders, so nothing is activated.
fn start_bus(dir: &std::path::Path) -> (String, u32) {
    let config = dir.join("bus.conf");
    std::fs::write(
        &config,
        format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}/bus</listen>
  <servicedir>{}/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>"#,
            dir.display(),
            dir.display()
        ),
    )
    .expect("bus config");
    let mut child = Command::new("dbus-daemon")
        .arg(format!("--config-file={}", config.display()))
        .args(["--fork", "--print-address=1", "--print-pid=1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start dbus-daemon (package dbus-daemon)");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let address = lines.next().and_then(Result::ok).expect("bus address");
    let pid = lines
        .next()
        .and_then(Result::ok)
        .and_then(|p| p.trim().parse().ok())
        .expect("bus pid");
    let _ = child.wait();
    (address.trim().to_string(), pid)
}

fn start_keyring(session: &Session, args: &[&str], password: Option<&str>) {
    let mut child = Command::new("gnome-keyring-daemon")
        .args(["--daemonize", "--components=secrets"])
        .args(args)
        .envs(session.env())
        .env("XDG_DATA_HOME", session.dir.join("data"))
        .env("XDG_CONFIG_HOME", session.dir.join("config"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start gnome-keyring-daemon (package gnome-keyring)");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(password.unwrap_or_default().as_bytes());
    }
    let _ = child.wait();
}

fn wait_for_secrets(session: &Session) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let output = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .envs(session.env())
            .output()
            .expect("run dbus-send (package dbus-bin)");
        if String::from_utf8_lossy(&output.stdout).contains("boolean true") {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("gnome-keyring did not appear on the test bus");
}

#[cfg(unix)]
fn set_private(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700));
}
