//! Drafts on the server, one way (issue 15): for a profile with `server_drafts`, each
//! draft's latest version is kept in the server's `\Drafts` folder, so the person sees it
//! on their phone; a draft sent, scheduled or deleted leaves it. Drafts made elsewhere
//! are not read.
//!
//! ```text
//! data/server-drafts/<draft-id>.json   what the server holds for a draft: the version
//!                                      uploaded and its Message-ID; a copy being
//!                                      APPENDed; tries and the last error
//!                   /lock              held by whoever is syncing
//! ```
//! Saving never waits on the network: each outbox pass (the window's, at most half a
//! minute after a save; `outbox run`; the OS scheduler's every minute) compares the drafts
//! with these records and uploads what changed since, so quick saves coalesce into one
//! upload. Whether there is anything to do is decided without the network: a draft that
//! could not be sent yet (no recipient, an address that does not parse) is not uploaded
//! until it can be, and a record with nothing on the server is dropped locally.
//!
//! An upload APPENDs the new copy (`\Draft \Seen`), then removes the old one (found by its
//! Message-ID: `UID STORE \Deleted` + `UID EXPUNGE`). A server without UIDPLUS is not
//! used for drafts (each replacement would leave a copy flagged `\Deleted` behind). The
//! new copy's Message-ID is recorded before its APPEND, so a sync killed between the two
//! is cleaned up by the next. A server that cannot be reached is tried again with the
//! same backoff as the Sent copies; what cannot work (no Drafts folder, no UIDPLUS) waits
//! an hour between tries; records of a profile that is gone, or no longer keeps drafts
//! there, are dropped (what the server holds stays).

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::connect::{self, imap_of};
use super::filer::{Filing, NotFiled, backoff, message_id_of};
use crate::imap::Session;
use crate::outbox::CopiesReport;
use crate::profile::Profile;
use crate::store::drafts::DraftSummary;
use crate::store::records::RecordFolder;

/// What the server holds for one draft.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct OnServer {
    profile: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uploaded: Option<Uploaded>,
    /// The Message-ID of a copy whose APPEND may not have finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    appending: Option<String>,
    /// A version that is not a message yet (no recipient…): nothing to upload for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not_a_message: Option<(u32, Timestamp)>,
    #[serde(default)]
    attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_try: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
}

impl OnServer {
    /// Whether the server may hold something of this draft.
    fn holds_anything(&self) -> bool {
        self.uploaded.is_some() || self.appending.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Uploaded {
    version: u32,
    modified: Timestamp,
    message_id: String,
}

/// A version to upload: its bytes, as the message would be sent (Bcc kept).
struct Upload {
    version: (u32, Timestamp),
    bytes: Vec<u8>,
    message_id: String,
}

/// What a sync does for one draft on its profile's server.
enum Action {
    Upload(Upload),
    Remove,
}

/// One draft's work: its id, the action, its record.
type Work = (String, Action, OnServer);

/// Whether `profile` keeps its drafts on the server.
fn keeps_drafts(profile: &Profile) -> bool {
    imap_of(profile).is_some_and(|(_, imap)| imap.server_drafts)
}

impl Filing<'_> {
    /// Brings the server's `\Drafts` folders in line with the drafts (see the module
    /// doc); what went wrong goes into `report.problems`.
    pub(super) fn sync_drafts(&self, report: &mut CopiesReport) {
        let records = RecordFolder::new(self.dirs.data(), "server-drafts");
        if !self.profiles.list.iter().any(keeps_drafts) && !records.exists() {
            return; // nothing on any server, and nothing to take back
        }
        let _lock = match records.try_lock() {
            Ok(Some(lock)) => lock,
            Ok(None) => return,
            Err(e) => return report.problems.push(e.to_string()),
        };
        let listed = self.wanted_drafts().and_then(|wanted| {
            let on_server: BTreeMap<String, OnServer> = records.list()?.into_iter().collect();
            Ok((wanted, on_server))
        });
        let (wanted, on_server) = match listed {
            Ok(listed) => listed,
            Err(e) => return report.problems.push(e.to_string()),
        };
        let now = self.clock.now();
        let mut work: BTreeMap<String, Vec<Work>> = BTreeMap::new();
        for (id, record) in &on_server {
            let stays = wanted
                .get(id)
                .is_some_and(|(profile, _)| *profile == record.profile);
            if stays || record.next_try.is_some_and(|at| at > now) {
                continue;
            }
            if !record.holds_anything() {
                if let Err(e) = records.remove(id) {
                    report.problems.push(e.to_string());
                }
                continue;
            }
            // Sent, scheduled, deleted, or moved to another profile: leave this server
            // first (a moved draft is uploaded to its new one on a later pass).
            work.entry(record.profile.clone()).or_default().push((
                id.clone(),
                Action::Remove,
                record.clone(),
            ));
        }
        for (id, (profile, summary)) in wanted {
            let record = on_server.get(&id).cloned().unwrap_or_else(|| OnServer {
                profile: profile.clone(),
                ..OnServer::default()
            });
            if record.profile != profile || record.next_try.is_some_and(|at| at > now) {
                continue;
            }
            let version = (summary.version, summary.modified);
            let current = record
                .uploaded
                .as_ref()
                .is_some_and(|u| (u.version, u.modified) == version);
            if record.appending.is_none() && (current || record.not_a_message == Some(version)) {
                continue;
            }
            match self.message_for(&id, &profile, version) {
                Some(upload) => {
                    work.entry(profile)
                        .or_default()
                        .push((id, Action::Upload(upload), record))
                }
                None => {
                    let waiting = OnServer {
                        not_a_message: Some(version),
                        attempts: 0,
                        next_try: None,
                        last_error: None,
                        ..record
                    };
                    if let Err(e) = records.save(&id, &waiting) {
                        report.problems.push(e.to_string());
                    }
                }
            }
        }
        for (profile_id, items) in work {
            self.sync_profile(&records, &profile_id, items, report);
        }
    }

    /// The drafts that should be on a server: id → (profile, summary).
    fn wanted_drafts(
        &self,
    ) -> Result<BTreeMap<String, (String, DraftSummary)>, crate::store::StoreError> {
        let keepers: BTreeSet<&str> = self
            .profiles
            .list
            .iter()
            .filter(|p| keeps_drafts(p))
            .map(|p| p.id.as_str())
            .collect();
        if keepers.is_empty() {
            return Ok(BTreeMap::new());
        }
        let default = self.profiles.default.as_deref();
        Ok(self
            .drafts
            .list(None)?
            .drafts
            .into_iter()
            .filter_map(|summary| {
                let profile = summary.profile.as_deref().or(default)?.to_string();
                keepers
                    .contains(profile.as_str())
                    .then(|| (summary.id.clone(), (profile, summary)))
            })
            .collect())
    }

    /// The message draft `id` would be, when it is one.
    fn message_for(&self, id: &str, profile: &str, version: (u32, Timestamp)) -> Option<Upload> {
        let profile = self.profiles.get(profile).ok()?;
        let record = self.drafts.load(id).ok()?;
        let message = crate::message::build(&record.draft, &profile.from).ok()?;
        let bytes = message.record().to_vec();
        let message_id = message_id_of(&bytes)?;
        Some(Upload {
            version,
            bytes,
            message_id,
        })
    }

    fn sync_profile(
        &self,
        records: &RecordFolder,
        profile_id: &str,
        items: Vec<Work>,
        report: &mut CopiesReport,
    ) {
        let Some(profile) = self
            .profiles
            .get(profile_id)
            .ok()
            .filter(|p| imap_of(p).is_some())
        else {
            // No server to reach any more: what it holds stays there.
            for (id, ..) in items {
                if let Err(e) = records.remove(&id) {
                    report.problems.push(e.to_string());
                }
            }
            return;
        };
        let (mut session, folder) = match self.open_drafts(profile) {
            Ok(opened) => opened,
            Err(why) => {
                for (id, _, record) in items {
                    settle(self, records, &id, record, &why, report);
                }
                return;
            }
        };
        let mut items = items.into_iter();
        while let Some((id, action, mut record)) = items.next() {
            let done = match action {
                Action::Upload(upload) => {
                    replace(&mut session, &folder, records, &id, &upload, &mut record)
                }
                Action::Remove => remove_half_done(&mut session, &folder, &mut record)
                    .and_then(|()| remove_uploaded(&mut session, &folder, &record))
                    .and_then(|()| records.remove(&id).map_err(NotFiled::local)),
            };
            if let Err(why) = done {
                let lost = why.transient;
                settle(self, records, &id, record, &why, report);
                if lost {
                    for (id, _, record) in items.by_ref() {
                        settle(self, records, &id, record, &why, report);
                    }
                    return;
                }
            }
        }
        session.logout();
    }

    /// Logs in and finds `\Drafts`, on a server that can replace a draft cleanly.
    fn open_drafts(&self, profile: &Profile) -> Result<(Session, String), NotFiled> {
        let typed = (self.typed)(&profile.id);
        let mut session = connect::login(self.dirs, profile, typed.as_ref())?;
        if !session.has("UIDPLUS") {
            return Err(NotFiled {
                message: format!(
                    "the IMAP server {} has no UIDPLUS: Mailroom keeps no drafts there (each \
                     replaced draft would stay behind, flagged deleted)",
                    session.server()
                ),
                transient: false,
            });
        }
        let folder = connect::drafts_folder(&mut session)?;
        Ok((session, folder))
    }
}

/// Replaces the server's copy of draft `id` with `upload`.
fn replace(
    session: &mut Session,
    folder: &str,
    records: &RecordFolder,
    id: &str,
    upload: &Upload,
    record: &mut OnServer,
) -> Result<(), NotFiled> {
    remove_half_done(session, folder, record)?;
    record.appending = Some(upload.message_id.clone());
    records.save(id, record).map_err(NotFiled::local)?;
    session.append(folder, &upload.bytes, &["\\Draft", "\\Seen"], None)?;
    remove_uploaded(session, folder, record)?;
    *record = OnServer {
        profile: record.profile.clone(),
        uploaded: Some(Uploaded {
            version: upload.version.0,
            modified: upload.version.1,
            message_id: upload.message_id.clone(),
        }),
        ..OnServer::default()
    };
    records.save(id, record).map_err(NotFiled::local)
}

/// Removes what an upload killed before it recorded its end may have left; forgotten
/// only once it is gone.
fn remove_half_done(
    session: &mut Session,
    folder: &str,
    record: &mut OnServer,
) -> Result<(), NotFiled> {
    if let Some(half_done) = &record.appending {
        let uids = session.find_message_id(folder, half_done)?;
        session.delete_uids(folder, &uids)?;
        record.appending = None;
    }
    Ok(())
}

/// Removes the copy recorded as uploaded.
fn remove_uploaded(session: &mut Session, folder: &str, record: &OnServer) -> Result<(), NotFiled> {
    let Some(old) = &record.uploaded else {
        return Ok(());
    };
    let uids = session.find_message_id(folder, &old.message_id)?;
    session.delete_uids(folder, &uids)?;
    Ok(())
}

/// A try that did not bring draft `id` in line: again after the backoff (an hour when
/// waiting cannot help).
fn settle(
    filing: &Filing<'_>,
    records: &RecordFolder,
    id: &str,
    mut record: OnServer,
    why: &NotFiled,
    report: &mut CopiesReport,
) {
    let now = filing.clock.now();
    record.attempts = if why.transient {
        record.attempts.saturating_add(1)
    } else {
        u32::MAX
    };
    record.last_error = Some(why.message.clone());
    record.next_try = Some(now.saturating_add(backoff(record.attempts)).unwrap_or(now));
    report
        .problems
        .push(format!("draft {id} on the server: {}", why.message));
    if let Err(e) = records.save(id, &record) {
        report.problems.push(e.to_string());
    }
}
