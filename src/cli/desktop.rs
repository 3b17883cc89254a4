//! `mailroom desktop …` (the menu entry, icon and `mailto:` handler for one user), and
//! what the command line makes of itself: `mailroom completions SHELL`, and the hidden
//! `mailroom package-files DIR` (manual page, completions, systemd units for the .deb).

use clap::{CommandFactory, Subcommand};

use crate::desktop;
use crate::error::Error;

#[derive(Debug, Subcommand)]
pub(super) enum DesktopCommand {
    /// Add Mailroom to the menu for this user (entry, icons, metainfo in ~/.local/share).
    Install {
        /// Also open mailto: links with Mailroom (xdg-mime default).
        #[arg(long)]
        mailto: bool,
    },
    /// Take Mailroom out of the menu again (and as the mailto: handler).
    Remove,
    /// Open mailto: links with Mailroom, or with --off give them back to the program
    /// that opened them before.
    Mailto {
        /// Stop opening mailto: links with Mailroom.
        #[arg(long)]
        off: bool,
    },
}

pub(super) fn run(dirs: &crate::paths::Dirs, command: DesktopCommand) -> Result<(), Error> {
    match command {
        DesktopCommand::Install { mailto } => {
            let exe = std::env::current_exe()
                .map_err(|e| Error::Desktop(format!("could not find the mailroom program: {e}")))?;
            let home = std::env::var_os(crate::paths::HOME_ENV)
                .filter(|v| !v.is_empty())
                .map(std::path::PathBuf::from);
            let files = desktop::install(&exe, home.as_deref(), &desktop::data_home()?)?;
            for file in &files {
                say!("Wrote {}", file.display());
            }
            if mailto {
                desktop::claim_mailto(dirs)?;
                say!("mailto: links now open Mailroom.");
            }
        }
        DesktopCommand::Remove => {
            let removed =
                desktop::uninstall(dirs, &desktop::data_home()?, &desktop::config_home()?)?;
            for file in &removed {
                say!("Removed {}", file.display());
            }
            if removed.is_empty() {
                say!("Mailroom was not installed for this user.");
            }
        }
        DesktopCommand::Mailto { off: false } => {
            desktop::claim_mailto(dirs)?;
            say!("mailto: links now open Mailroom.");
        }
        DesktopCommand::Mailto { off: true } => {
            desktop::release_mailto(dirs, &desktop::config_home()?)?;
            if desktop::mailto_is_ours() == Some(true) {
                say!("mailto: links still open Mailroom: no other program here takes them.");
            } else {
                say!("mailto: links no longer open Mailroom.");
            }
        }
    }
    Ok(())
}

/// `mailroom completions SHELL`: the completion script, for a package or a shell's rc.
pub(super) fn completions(shell: clap_complete::Shell) {
    let mut command = super::Cli::command();
    clap_complete::generate(shell, &mut command, "mailroom", &mut std::io::stdout());
}

/// `mailroom package-files DIR`: `mailroom.1`, completions for bash, zsh and fish, and
/// the systemd user units, written as `outbox install` writes them for `/usr/bin/mailroom`
/// (so a packaged install and `outbox install` agree).
pub(super) fn package_files(folder: &std::path::Path) -> Result<(), Error> {
    let mut files: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut page = Vec::new();
    clap_mangen::Man::new(super::Cli::command())
        .render(&mut page)
        .map_err(|source| Error::Output {
            what: "writing the manual page".into(),
            source,
        })?;
    files.push(("mailroom.1", page));
    for (shell, name) in [
        (clap_complete::Shell::Bash, "mailroom.bash"),
        (clap_complete::Shell::Zsh, "_mailroom"),
        (clap_complete::Shell::Fish, "mailroom.fish"),
    ] {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut super::Cli::command(), "mailroom", &mut script);
        files.push((name, script));
    }
    let exe = std::path::Path::new("/usr/bin/mailroom");
    let [service, timer] = crate::scheduler::systemd_unit_names();
    files.push((
        service,
        crate::scheduler::systemd_service(exe, None).into_bytes(),
    ));
    files.push((timer, crate::scheduler::systemd_timer().into_bytes()));
    for (name, bytes) in files {
        let path = folder.join(name);
        std::fs::create_dir_all(folder)
            .and_then(|()| std::fs::write(&path, bytes))
            .map_err(|source| Error::Output {
                what: format!("writing {}", path.display()),
                source,
            })?;
        say!("Wrote {}", path.display());
    }
    Ok(())
}
