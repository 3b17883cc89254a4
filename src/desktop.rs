//! `mailroom desktop install`: what a package installs system-wide, for one user under
//! `$XDG_DATA_HOME` (`~/.local/share`): the menu entry (`applications/mailroom.desktop`),
//! the icon in every hicolor size, and the AppStream metainfo. The files are the ones
//! in `assets/`, built into the binary; the entry's `Exec` names this very program (and
//! `MAILROOM_HOME` when it is set), so a `cargo install` works without `PATH` changes.
//!
//! Opening `mailto:` links with Mailroom is asked for, never assumed: `--mailto` (or the
//! window's offer) runs `xdg-mime default mailroom.desktop x-scheme-handler/mailto`,
//! noting which program had them; `desktop mailto --off` (or the switch under Profiles)
//! gives them back to it, or, when there was none, takes Mailroom's line out of the
//! user's `mimeapps.list` (`xdg-mime` has no command for that).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::Error;

/// The desktop entry's file name, which is also its id for `xdg-mime`.
pub const ENTRY: &str = "mailroom.desktop";
/// The URL scheme Mailroom offers to handle.
pub const MAILTO: &str = "x-scheme-handler/mailto";

const ENTRY_TEXT: &str = include_str!("../assets/mailroom.desktop");
const METAINFO_NAME: &str = "io.github.mailroom.Mailroom.metainfo.xml";
const METAINFO: &str = include_str!("../assets/io.github.mailroom.Mailroom.metainfo.xml");
const SVG: &str = include_str!("../assets/icons/mailroom.svg");
const PNGS: [(u32, &[u8]); 8] = [
    (
        16,
        include_bytes!("../assets/icons/hicolor/16x16/apps/mailroom.png"),
    ),
    (
        24,
        include_bytes!("../assets/icons/hicolor/24x24/apps/mailroom.png"),
    ),
    (
        32,
        include_bytes!("../assets/icons/hicolor/32x32/apps/mailroom.png"),
    ),
    (
        48,
        include_bytes!("../assets/icons/hicolor/48x48/apps/mailroom.png"),
    ),
    (
        64,
        include_bytes!("../assets/icons/hicolor/64x64/apps/mailroom.png"),
    ),
    (
        128,
        include_bytes!("../assets/icons/hicolor/128x128/apps/mailroom.png"),
    ),
    (
        256,
        include_bytes!("../assets/icons/hicolor/256x256/apps/mailroom.png"),
    ),
    (
        512,
        include_bytes!("../assets/icons/hicolor/512x512/apps/mailroom.png"),
    ),
];

/// `$XDG_DATA_HOME`, or `~/.local/share`.
pub fn data_home() -> Result<PathBuf, Error> {
    xdg_home("XDG_DATA_HOME", ".local/share")
}

/// `$XDG_CONFIG_HOME`, or `~/.config` (where `mimeapps.list` lives).
pub fn config_home() -> Result<PathBuf, Error> {
    xdg_home("XDG_CONFIG_HOME", ".config")
}

fn xdg_home(variable: &str, below_home: &str) -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os(variable).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::BaseDirs::new()
        .map(|b| b.home_dir().join(below_home))
        .ok_or_else(|| Error::Desktop(format!("no home folder, and {variable} is not set")))
}

/// The menu entry for `exe`, its `Exec` line naming it (and `home`, the
/// `MAILROOM_HOME` to start it with).
pub fn entry_for(exe: &Path, home: Option<&Path>) -> Result<String, Error> {
    let mut words = Vec::new();
    if let Some(home) = home {
        words.push(exec_word("env")?);
        let home = std::path::absolute(home)
            .map_err(|e| Error::Desktop(format!("{}: {e}", home.display())))?;
        let home = home.to_str().ok_or_else(|| not_utf8(&home))?;
        words.push(exec_word(&format!("{}={home}", crate::paths::HOME_ENV))?);
    }
    words.push(exec_word(exe.to_str().ok_or_else(|| not_utf8(exe))?)?);
    let exec = format!("Exec={} compose %u", words.join(" "));
    Ok(ENTRY_TEXT
        .lines()
        .map(|line| {
            if line.starts_with("Exec=") {
                exec.as_str()
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n")
}

fn not_utf8(path: &Path) -> Error {
    Error::Desktop(format!(
        "{} is not UTF-8, which a desktop entry cannot name",
        path.display()
    ))
}

/// One argument of an `Exec` line as the Desktop Entry Specification says: `%`
/// doubled; quoted only when it holds a reserved character (in double quotes with `"`,
/// `` ` ``, `$` and `\` escaped, and the value's own escaping of `\` on top), because
/// `xdg-open` without a desktop running takes the line's first word, quotes and all, as
/// the program. A control character cannot be written at all.
fn exec_word(word: &str) -> Result<String, Error> {
    const RESERVED: &[char] = &[
        ' ', '\t', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(', ')', '`',
    ];
    if word.chars().any(char::is_control) {
        return Err(Error::Desktop(format!(
            "{word:?} has a control character, which a desktop entry cannot hold"
        )));
    }
    if !word.is_empty() && !word.contains(RESERVED) {
        return Ok(word.replace('%', "%%"));
    }
    let mut quoted = String::from("\"");
    for c in word.chars() {
        match c {
            '"' | '`' | '$' | '\\' => {
                quoted.push('\\');
                quoted.push(c);
            }
            '%' => quoted.push_str("%%"),
            _ => quoted.push(c),
        }
    }
    quoted.push('"');
    Ok(quoted.replace('\\', "\\\\"))
}

/// Installs the menu entry, icons and metainfo under `data_home`; returns the files.
pub fn install(exe: &Path, home: Option<&Path>, data_home: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = vec![
        (
            data_home.join("applications").join(ENTRY),
            entry_for(exe, home)?.into_bytes(),
        ),
        (
            data_home.join("metainfo").join(METAINFO_NAME),
            METAINFO.as_bytes().to_vec(),
        ),
        (
            icons(data_home).join("scalable/apps/mailroom.svg"),
            SVG.as_bytes().to_vec(),
        ),
    ];
    for (size, png) in PNGS {
        let path = icons(data_home).join(format!("{size}x{size}/apps/mailroom.png"));
        files.push((path, png.to_vec()));
    }
    for (path, bytes) in &files {
        write(path, bytes)?;
    }
    // Best effort: desktops that read the MIME cache see the change at once.
    let _ = crate::programs::succeeds("update-desktop-database", &[data_home.join("applications")]);
    Ok(files.into_iter().map(|(path, _)| path).collect())
}

/// Removes what [`install`] wrote (and gives `mailto:` links back, when Mailroom had them).
pub fn uninstall(
    dirs: &crate::paths::Dirs,
    data_home: &Path,
    config_home: &Path,
) -> Result<Vec<PathBuf>, Error> {
    let released = release_mailto(dirs, config_home);
    let mut removed = Vec::new();
    let mut paths = vec![
        data_home.join("applications").join(ENTRY),
        data_home.join("metainfo").join(METAINFO_NAME),
        icons(data_home).join("scalable/apps/mailroom.svg"),
    ];
    paths.extend(
        PNGS.iter()
            .map(|(size, _)| icons(data_home).join(format!("{size}x{size}/apps/mailroom.png"))),
    );
    for path in paths {
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::Desktop(format!("removing {}: {e}", path.display()))),
        }
    }
    // Best effort: desktops that read the MIME cache see the change at once.
    let _ = crate::programs::succeeds("update-desktop-database", &[data_home.join("applications")]);
    released.map(|()| removed)
}

fn icons(data_home: &Path) -> PathBuf {
    data_home.join("icons/hicolor")
}

/// Writes a file every desktop program may read (a menu entry, an icon), with the
/// folders above it.
fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(|e| writing(path, &e))?;
    }
    write_own(path, bytes)?;
    readable_by_the_desktop(path).map_err(|e| writing(path, &e))
}

/// Writes one of the user's own files at once (atomically, `0600` when new).
fn write_own(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    crate::store::write_atomic(path, bytes).map_err(|e| writing(path, &e))
}

fn writing(path: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::Desktop(format!("writing {}: {e}", path.display()))
}

/// A menu entry and an icon are not private: `0644`, as any package installs them.
#[cfg(unix)]
fn readable_by_the_desktop(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn readable_by_the_desktop(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// What the window knows of the `mailto:` handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailtoHandler {
    /// `mailto:` links open Mailroom now.
    pub ours: bool,
    /// The window asked once already (it asks only once; Profiles can switch it).
    pub asked: bool,
}

/// The `mailto:` handler as the window shows it; `None` when Mailroom cannot be it:
/// no desktop entry installed (neither the package's nor `desktop install`'s), or no
/// `xdg-mime` to ask.
pub fn mailto_handler(dirs: &crate::paths::Dirs) -> Option<MailtoHandler> {
    if !entry_is_installed(ENTRY) {
        return None;
    }
    Some(MailtoHandler {
        ours: mailto_is_ours()?,
        asked: dirs.config().join(ASKED).exists(),
    })
}

/// Marks the window's question as answered (in the config folder).
pub fn remember_asked(dirs: &crate::paths::Dirs) -> Result<(), Error> {
    write_own(&dirs.config().join(ASKED), b"")
}

/// The file whose presence says the window asked about `mailto:` links.
const ASKED: &str = "asked-mailto-handler";

/// Whether a desktop entry `id` is where desktops look: the user's data folder, then
/// `$XDG_DATA_DIRS` (a package's `/usr/share`).
fn entry_is_installed(id: &str) -> bool {
    if id.is_empty() || id.contains(['/', '\0']) || id.starts_with('.') {
        return false;
    }
    let system = std::env::var("XDG_DATA_DIRS")
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".into());
    data_home()
        .into_iter()
        .chain(system.split(':').map(PathBuf::from))
        .any(|dir| dir.join("applications").join(id).is_file())
}

/// Whether `mailto:` links open Mailroom (`xdg-mime query default`); `None` when
/// `xdg-mime` is not there to ask. Without a default set, `xdg-mime` names the first
/// program whose entry takes `mailto:`, so Mailroom alone is Mailroom.
pub fn mailto_is_ours() -> Option<bool> {
    default_for_mailto().map(|id| id == ENTRY)
}

fn default_for_mailto() -> Option<String> {
    let output = Command::new("xdg-mime")
        .args(["query", "default", MAILTO])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Makes Mailroom open `mailto:` links (`xdg-mime default`), remembering which program
/// opened them before, so that [`release_mailto`] gives them back to it.
pub fn claim_mailto(dirs: &crate::paths::Dirs) -> Result<(), Error> {
    let before = dirs.config().join(BEFORE);
    match default_for_mailto().filter(|id| !id.is_empty() && id != ENTRY) {
        Some(id) => write_own(&before, id.as_bytes())?,
        None => {
            let _ = std::fs::remove_file(&before); // a note from an earlier claim
        }
    }
    set_default(ENTRY)
}

/// Stops Mailroom opening `mailto:` links: the program that opened them before gets
/// them back when it is still installed; otherwise Mailroom leaves the user's
/// `mimeapps.list`. (When Mailroom's is the only entry that takes `mailto:`, the desktop
/// still picks it: [`mailto_is_ours`] says so afterwards.)
pub fn release_mailto(dirs: &crate::paths::Dirs, config_home: &Path) -> Result<(), Error> {
    let current = default_for_mailto();
    if current
        .as_deref()
        .is_some_and(|id| !id.is_empty() && id != ENTRY)
    {
        return Ok(()); // another program has them: nothing of ours to give back
    }
    let before = dirs.config().join(BEFORE);
    let earlier = std::fs::read_to_string(&before)
        .ok()
        .map(|id| id.trim().to_string())
        .filter(|id| entry_is_installed(id));
    let _ = std::fs::remove_file(&before);
    match earlier {
        Some(id) if current.is_some() => set_default(&id),
        _ => forget_mailto(config_home), // also what works without xdg-mime
    }
}

/// The file that names the program that opened `mailto:` links before Mailroom.
const BEFORE: &str = "mailto-handler-before";

fn set_default(id: &str) -> Result<(), Error> {
    crate::programs::run("xdg-mime", &["default", id, MAILTO]).map_err(Error::Desktop)
}

/// Takes Mailroom out as the `mailto:` default in `config_home/mimeapps.list`; another
/// program's default, and every other line, stay as they are.
pub fn forget_mailto(config_home: &Path) -> Result<(), Error> {
    let path = config_home.join("mimeapps.list");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::Desktop(format!("reading {}: {e}", path.display()))),
    };
    let kept = without_our_default(&text);
    if kept != text {
        // A mimeapps.list that links into a dotfiles folder stays a link.
        let target = std::fs::canonicalize(&path).unwrap_or(path);
        write_own(&target, kept.as_bytes())?;
    }
    Ok(())
}

/// `mimeapps.list` without Mailroom in its `mailto:` default: the others of a list
/// (`a.desktop;mailroom.desktop;`) stay, a line of Mailroom's alone goes.
fn without_our_default(mimeapps: &str) -> String {
    let mut section = "";
    let mut kept = String::new();
    for line in mimeapps.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed;
        }
        let mailto_default = match trimmed.split_once('=') {
            Some((key, value)) if section == "[Default Applications]" && key.trim() == MAILTO => {
                Some(value)
            }
            _ => None,
        };
        let Some(value) = mailto_default.filter(|v| v.split(';').any(|id| id.trim() == ENTRY))
        else {
            kept.push_str(line);
            kept.push('\n');
            continue;
        };
        let others: Vec<&str> = value
            .split(';')
            .map(str::trim)
            .filter(|id| !id.is_empty() && *id != ENTRY)
            .collect();
        if !others.is_empty() {
            kept.push_str(&format!("{MAILTO}={};\n", others.join(";")));
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exec_line_names_this_program_quoted_as_the_spec_says() {
        let entry = entry_for(Path::new("/opt/my apps/mailroom"), None).unwrap();
        assert!(entry.contains("\nExec=\"/opt/my apps/mailroom\" compose %u\n"));
        let plain = entry_for(Path::new("/usr/bin/mailroom"), Some(Path::new("/h"))).unwrap();
        assert!(plain.contains("\nExec=env MAILROOM_HOME=/h /usr/bin/mailroom compose %u\n"));
        let odd = entry_for(Path::new("/x/50%$\"\\/mailroom"), None).unwrap();
        assert!(
            odd.contains("Exec=\"/x/50%%\\\\$\\\\\"\\\\\\\\/mailroom\" compose %u"),
            "{odd}"
        );
        assert!(entry_for(Path::new("/x\n/mailroom"), None).is_err());
        assert!(entry_for(Path::new("/x\u{1b}/mailroom"), None).is_err());
        assert_eq!(entry.matches("Exec=").count(), 1);
    }

    #[test]
    fn forgetting_the_mailto_default_keeps_everything_else() {
        let list = "[Default Applications]\ntext/html=firefox.desktop\n\
                    x-scheme-handler/mailto=mailroom.desktop\n\
                    [Added Associations]\nx-scheme-handler/mailto=mailroom.desktop;\n";
        assert_eq!(
            without_our_default(list),
            "[Default Applications]\ntext/html=firefox.desktop\n\
             [Added Associations]\nx-scheme-handler/mailto=mailroom.desktop;\n"
        );
        let theirs = "[Default Applications]\nx-scheme-handler/mailto=thunderbird.desktop\n";
        assert_eq!(without_our_default(theirs), theirs);
        let both =
            "[Default Applications]\nx-scheme-handler/mailto=mailroom.desktop;geary.desktop;\n";
        assert_eq!(
            without_our_default(both),
            "[Default Applications]\nx-scheme-handler/mailto=geary.desktop;\n"
        );
    }
}
