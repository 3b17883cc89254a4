//! Finding the folders a copy goes to: `\Sent` and `\Drafts` by SPECIAL-USE (RFC 6154:
//! `LIST "" "*" RETURN (SPECIAL-USE)`, or the attributes of a plain LIST), and by name
//! ([`super::SENT_NAMES`], "Drafts") only when the server has no SPECIAL-USE.

use super::wire::Message;
use super::{Folder, Folders, FoundBy, ImapError, SENT_NAMES, Session};

/// What LIST answered: each folder's attributes and name.
type Listing = Vec<(Vec<String>, String)>;

impl Session {
    /// The `\Sent` and `\Drafts` folders.
    pub fn special_folders(&mut self) -> Result<Folders, ImapError> {
        let (lists, special_use) = self.list_all()?;
        Ok(pick_folders(&lists, special_use))
    }

    /// The names of the folders a message can be filed in (not `\Noselect`), as the
    /// server spells them.
    pub fn folder_names(&mut self) -> Result<Vec<String>, ImapError> {
        let (lists, _) = self.list_all()?;
        Ok(lists
            .into_iter()
            .filter(|(attrs, _)| !attrs.iter().any(|a| a.eq_ignore_ascii_case("\\Noselect")))
            .map(|(_, name)| name)
            .collect())
    }

    /// Every folder's attributes and name, and whether the server has SPECIAL-USE.
    fn list_all(&mut self) -> Result<(Listing, bool), ImapError> {
        let special_use = self.has("SPECIAL-USE");
        let line: &[u8] = if special_use && self.has("LIST-EXTENDED") {
            b"LIST \"\" \"*\" RETURN (SPECIAL-USE)"
        } else {
            b"LIST \"\" \"*\""
        };
        let (untagged, done) = self.run("LIST", line)?;
        self.ok("LIST", done)?;
        let lists: Vec<(Vec<String>, String)> = untagged
            .into_iter()
            .filter_map(|m| match m {
                Message::List { attributes, name } => Some((attributes, name)),
                _ => None,
            })
            .collect();
        Ok((lists, special_use))
    }
}

/// Picks `\Sent` and `\Drafts` from LIST answers (attributes, name); by name only when
/// the server has no SPECIAL-USE.
pub fn pick_folders(lists: &[(Vec<String>, String)], special_use: bool) -> Folders {
    let with = |attribute: &str| {
        lists
            .iter()
            .find(|(attrs, _)| attrs.iter().any(|a| a.eq_ignore_ascii_case(attribute)))
            .map(|(_, name)| Folder {
                name: name.clone(),
                found_by: FoundBy::SpecialUse,
            })
    };
    let named = |names: &[&str]| {
        names.iter().find_map(|wanted| {
            lists
                .iter()
                .find(|(attrs, name)| {
                    name.eq_ignore_ascii_case(wanted)
                        && !attrs.iter().any(|a| a.eq_ignore_ascii_case("\\Noselect"))
                })
                .map(|(_, name)| Folder {
                    name: name.clone(),
                    found_by: FoundBy::Name,
                })
        })
    };
    let mut folders = Folders {
        sent: with("\\Sent"),
        drafts: with("\\Drafts"),
    };
    if !special_use {
        folders.sent = folders.sent.or_else(|| named(&SENT_NAMES));
        // "Entwürfe" as IMAP spells it (modified UTF-7)
        folders.drafts = folders
            .drafts
            .or_else(|| named(&["Drafts", "Entw&APw-rfe"]));
    }
    folders
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[(&str, &str)]) -> Vec<(Vec<String>, String)> {
        items
            .iter()
            .map(|(a, n)| {
                (
                    a.split_whitespace().map(String::from).collect(),
                    n.to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn the_sent_flag_wins_over_the_name() {
        let lists = list(&[
            ("\\HasNoChildren", "Sent"),
            ("\\HasNoChildren \\Sent", "Sent Items"),
        ]);
        let folders = pick_folders(&lists, true);
        assert_eq!(folders.sent.map(|f| f.name), Some("Sent Items".to_string()));
        // a SPECIAL-USE server without \Sent: no guessing by name
        assert_eq!(pick_folders(&list(&[("", "Sent")]), true).sent, None);
        // without SPECIAL-USE: by name, in SENT_NAMES order
        let guessed = pick_folders(&list(&[("", "Gesendet"), ("", "INBOX")]), false);
        assert_eq!(
            guessed.sent,
            Some(Folder {
                name: "Gesendet".into(),
                found_by: FoundBy::Name
            })
        );
    }
}
