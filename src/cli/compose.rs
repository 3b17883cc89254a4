//! `mailroom compose [LINK-OR-FILE] [--draft ID]` (and a bare `mailroom`): opens the
//! window, or hands the request to the window already open for this home
//! ([`crate::instance`]) and says what it did.

use std::path::PathBuf;

use crate::error::Error;
use crate::instance::Request;
use crate::service::Mailroom;

/// What `compose` was asked to open. `target` is a `mailto:` link, or a saved message:
/// a path or a `file://` URI (what a file manager passes for `message/rfc822`).
pub(super) fn request(target: Option<String>, draft: Option<String>) -> Result<Request, Error> {
    Ok(match (target, draft) {
        (Some(target), _) if is_mailto(&target) => Request::Mailto(target),
        (Some(target), _) => Request::Eml(saved_message(&target)?),
        (None, Some(id)) => Request::Draft(id),
        (None, None) => Request::Show,
    })
}

fn is_mailto(target: &str) -> bool {
    target
        .get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("mailto:"))
}

/// The absolute path of a saved message given as a path or a `file://` URI: the running
/// window it may be handed to has another working folder.
fn saved_message(target: &str) -> Result<PathBuf, Error> {
    let not_a_file = |why: &str| Error::Argument {
        what: format!("opening \"{}\"", super::printable(target)),
        why: why.to_string(),
    };
    let path = if target.starts_with("file:") {
        url::Url::parse(target)
            .ok()
            .and_then(|u| u.to_file_path().ok())
            .ok_or_else(|| not_a_file("not a file:// URI of a local file"))?
    } else {
        PathBuf::from(target)
    };
    std::path::absolute(&path).map_err(|source| Error::Input {
        what: format!("opening {}", path.display()),
        source,
    })
}

#[cfg(feature = "gui")]
pub(super) fn open_window(mailroom: Mailroom, request: Request) -> Result<(), Error> {
    use crate::instance::{self, Claim};
    use crate::ui::Start;
    check_before_handing_over(&mailroom, &request)?;
    let place = instance::Place::of(&mailroom.dirs);
    // A window that runs needs no display here: a terminal over ssh reaches it too.
    let mut tries = 0;
    let listener = loop {
        tries += 1;
        match instance::claim(&place) {
            Ok(Claim::Running) => match instance::hand_over(&place, &request) {
                Err(instance::InstanceError::Gone) if tries < 3 => continue,
                answer => {
                    let answer = answer?;
                    let said = super::printable(&answer.said).into_owned();
                    if !answer.opened {
                        return Err(Error::Refused(said));
                    }
                    say!("{said}");
                    return Ok(());
                }
            },
            Ok(Claim::Window(listener)) => break Some(listener),
            Err(e) => {
                eprintln!("mailroom: {e}; a second start opens a second window");
                break None;
            }
        }
    };
    if let Some(missing) = no_display() {
        return Err(Error::NoDisplay(missing));
    }
    let start = match request {
        Request::Show => Start::Compose,
        // A link opened from a browser has no terminal to read an error on: the window
        // opens and says what was wrong with it (and so does stderr).
        Request::Mailto(uri) => match crate::message::mailto::parse(&uri) {
            Ok(draft) => Start::Mailto(Box::new(draft)),
            Err(e) => {
                eprintln!("mailroom: {e}");
                Start::Refused(e.to_string())
            }
        },
        Request::Draft(id) => Start::Draft(id),
        Request::Eml(file) => Start::Eml(file),
    };
    crate::ui::run(mailroom.dirs, start, listener).map_err(Error::Window)
}

/// What can be found wrong here is said here, not in a window: an unknown draft, a saved
/// message that is not a readable file of a sensible size.
#[cfg(feature = "gui")]
fn check_before_handing_over(mailroom: &Mailroom, request: &Request) -> Result<(), Error> {
    match request {
        Request::Draft(id) => {
            mailroom.drafts.load(id)?;
        }
        Request::Eml(file) => crate::service::check_eml_file(file)?,
        Request::Show | Request::Mailto(_) => {}
    }
    Ok(())
}

/// On Linux and the BSDs, a window needs X11 or Wayland: `Some` names what is missing.
#[cfg(feature = "gui")]
fn no_display() -> Option<String> {
    if cfg!(any(windows, target_os = "macos")) {
        return None;
    }
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    (!set("DISPLAY") && !set("WAYLAND_DISPLAY"))
        .then(|| "neither DISPLAY nor WAYLAND_DISPLAY is set".to_string())
}

#[cfg(not(feature = "gui"))]
pub(super) fn open_window(_: Mailroom, _: Request) -> Result<(), Error> {
    use clap::CommandFactory;
    let _ = super::Cli::command().print_help();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_a_path_and_a_file_uri_are_told_apart() {
        let link = request(Some("MAILTO:ana@example.org".into()), None).unwrap();
        assert_eq!(link, Request::Mailto("MAILTO:ana@example.org".into()));
        let Request::Eml(relative) = request(Some("saved.eml".into()), None).unwrap() else {
            panic!("a path is a saved message");
        };
        assert!(relative.is_absolute() && relative.ends_with("saved.eml"));
        let uri = request(Some("file:///tmp/a%20b.eml".into()), None).unwrap();
        assert_eq!(uri, Request::Eml(PathBuf::from("/tmp/a b.eml")));
        assert!(request(Some("file://elsewhere/x.eml".into()), None).is_err());
        assert_eq!(request(None, None).unwrap(), Request::Show);
        assert_eq!(
            request(None, Some("d1".into())).unwrap(),
            Request::Draft("d1".into())
        );
    }
}
