//! The `.deb` (cargo-deb, configured in Cargo.toml) built from the binary these tests
//! run, installed on this machine with `dpkg -i`, looked at with the tools a Debian user
//! and packager would use, and removed again. Needs root and cargo-deb (tests/run.sh).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use std::path::Path;
use std::process::{Command, Output};

fn run(program: &str, args: &[&str]) -> Output {
    let output = Command::new(program)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Removes the package when the test ends, however it ends: a half-installed package
/// would stop the next `apt-get install` on this machine.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = Command::new("dpkg").args(["--purge", "mailroom"]).status();
    }
}

#[test]
fn the_deb_installs_the_app_its_menu_entry_and_units_and_is_removed_again() {
    let already = Command::new("dpkg")
        .args(["-s", "mailroom"])
        .output()
        .unwrap();
    assert!(
        !already.status.success(),
        "a mailroom package is installed on this machine; this test would replace and remove it"
    );
    // What scripts/build-deb.sh does, over the binary cargo built for these tests (a
    // second cargo build here would wait for the lock cargo test holds).
    let bin = env!("CARGO_BIN_EXE_mailroom");
    let profile = match Path::new(bin).parent().and_then(Path::file_name) {
        Some(dir) if dir == "release" => "release",
        _ => "dev",
    };
    run("bash", &["scripts/package-files.sh", bin]);
    let out = tempfile::tempdir().unwrap();
    let deb = out.path().join("mailroom.deb");
    let deb = deb.to_str().unwrap();
    run(
        "cargo",
        &[
            "deb",
            "--no-build",
            "--profile",
            profile,
            "--fast",
            "--output",
            deb,
        ],
    );

    let contents = text(&run("dpkg-deb", &["--contents", deb]));
    for file in [
        "./usr/bin/mailroom",
        "./usr/share/applications/mailroom.desktop",
        "./usr/share/icons/hicolor/scalable/apps/mailroom.svg",
        "./usr/share/icons/hicolor/16x16/apps/mailroom.png",
        "./usr/share/icons/hicolor/512x512/apps/mailroom.png",
        "./usr/share/metainfo/io.github.mailroom.Mailroom.metainfo.xml",
        "./usr/share/man/man1/mailroom.1.gz",
        "./usr/share/bash-completion/completions/mailroom",
        "./usr/share/zsh/vendor-completions/_mailroom",
        "./usr/share/fish/vendor_completions.d/mailroom.fish",
        "./usr/lib/systemd/user/mailroom-outbox.service",
        "./usr/lib/systemd/user/mailroom-outbox.timer",
    ] {
        let listed = contents
            .lines()
            .any(|line| line.ends_with(&format!(" {file}")));
        assert!(listed, "{file} is not in the package:\n{contents}");
    }

    // apt installs what it depends on (here: all there already) and never half-installs.
    let installed = Installed;
    run(
        "apt-get",
        &["install", "-y", "-q", "--no-install-recommends", deb],
    );
    let version = text(&run("/usr/bin/mailroom", &["--version"]));
    assert_eq!(
        version.trim(),
        concat!("mailroom ", env!("CARGO_PKG_VERSION"))
    );
    run(
        "desktop-file-validate",
        &["/usr/share/applications/mailroom.desktop"],
    );
    run(
        "appstreamcli",
        &[
            "validate",
            "--no-net",
            "/usr/share/metainfo/io.github.mailroom.Mailroom.metainfo.xml",
        ],
    );
    // The same unit `outbox install` writes for /usr/bin/mailroom.
    let service = std::fs::read_to_string("/usr/lib/systemd/user/mailroom-outbox.service").unwrap();
    assert_eq!(
        service,
        mailroom::scheduler::systemd_service(Path::new("/usr/bin/mailroom"), None)
    );
    let page = text(&run("man", &["-Tutf8", "mailroom"]));
    assert!(page.contains("Write mail by hand"), "{page}");
    let completion =
        std::fs::read_to_string("/usr/share/bash-completion/completions/mailroom").unwrap();
    assert!(completion.contains("outbox") && completion.contains("--subject"));

    drop(installed);
    assert!(
        !Path::new("/usr/bin/mailroom").exists(),
        "removing left the binary"
    );
    assert!(!Path::new("/usr/share/applications/mailroom.desktop").exists());
}
