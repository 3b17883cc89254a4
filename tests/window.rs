//! The real binary in a real window under Xvfb: `scripts/screenshot.sh` starts it,
//! waits for its first frame and takes a screenshot, which must show a drawn window.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use std::process::Command;

#[test]
fn the_window_opens_and_draws_the_compose_view() {
    let out = tempfile::tempdir().unwrap();
    let shot = out.path().join("compose.png");
    let home = tempfile::tempdir().unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let status = Command::new("bash")
        .arg(format!("{root}/scripts/screenshot.sh"))
        .arg(&shot)
        .args([
            "compose",
            "mailto:ana@example.org?subject=Window%20test&body=Hello",
        ])
        .env("MAILROOM_BIN", env!("CARGO_BIN_EXE_mailroom"))
        .env("MAILROOM_HOME", home.path())
        .status()
        .unwrap();
    assert!(status.success(), "the screenshot script failed");

    // A drawn window has many colours (text is anti-aliased); a black or blank one has one or two.
    let identify = Command::new("identify")
        .args(["-format", "%w %h %k"])
        .arg(&shot)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&identify.stdout);
    let numbers: Vec<u64> = text
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 3, "identify said {text:?}");
    let (width, height, colours) = (numbers[0], numbers[1], numbers[2]);
    assert!(
        width >= 560 && height >= 420,
        "the window is {width}x{height}"
    );
    assert!(colours > 50, "only {colours} colours: nothing was drawn");

    // The window saved nothing but the mailto draft's autosave, if any: the home works.
    assert!(home.path().join("config/profiles.toml").exists());
}
