//! Drafts on the server, one way (issue 15): for a profile with `server_drafts`, each
//! draft's latest version is kept in the server's `\Drafts` folder, so the person sees it
//! on their phone; a draft sent, scheduled or deleted leaves it. Drafts made elsewhere
//! are not read.
//!
//! ```text
//! data/server-drafts/<draft-id>.json   what the server holds for a draft: the version
//!                                      uploaded, its Message-ID and UID; a copy being
//!                                      APPENDed; tries and the last error
//!                   /lock              held by whoever is syncing
//! ```
//! Saving never waits on the network: each outbox pass (the window's, at most half a
//! minute after a save; `outbox run`; the OS scheduler's every minute) compares the drafts
//! with these records and uploads what changed since, so quick saves coalesce into one
//! upload. An upload APPENDs the new copy (`\Draft \Seen`), then removes the old one
//! (found by its Message-ID; `UID STORE \Deleted` + `UID EXPUNGE`, which needs UIDPLUS).
//! The new copy's Message-ID is recorded before its APPEND, so a sync killed between
//! the two is cleaned up by the next. A draft that could not be sent yet (no recipient,
//! an address that does not parse) is not uploaded until it can: the message it would be
//! is what the server keeps. A server that cannot be reached is tried again with the
//! same backoff as the Sent copies.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::connect::{self, imap_of};
use super::filer::{Filing, NotFiled, backoff, message_id_of};
use crate::imap::Session;
use crate::outbox::CopiesReport;
use crate::profile::Profile;
use crate::store::drafts::DraftSummary;
use crate::store::lock::{self, Lock};
use crate::store::{StoreError, read_json, write_json};

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Uploaded {
    version: u32,
    modified: Timestamp,
    message_id: String,
}

/// What a sync does for one draft.
enum Action {
    Upload(DraftSummary),
    Remove,
}

/// The records in `data/server-drafts/`.
struct Records {
    root: PathBuf,
}

impl Records {
    fn path(&self, id: &str) -> PathBuf {
        self.root.join(format!("{id}.json"))
    }

    fn all(&self) -> BTreeMap<String, OnServer> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return BTreeMap::new();
        };
        entries
            .flatten()
            .filter_map(|entry| {
                let path = entry.path();
                let id = path.file_stem()?.to_str()?.to_string();
                let is_record = path.extension().is_some_and(|e| e == "json");
                let record = is_record.then(|| read_json::<OnServer>(&path).ok())??;
                Some((id, record))
            })
            .collect()
    }

    fn save(&self, id: &str, record: &OnServer) -> Result<(), StoreError> {
        write_json(&self.path(id), record)
    }

    fn remove(&self, id: &str) -> Result<(), StoreError> {
        match std::fs::remove_file(self.path(id)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StoreError::Io {
                action: "removing",
                path: self.path(id),
                source,
            }),
        }
    }

    fn try_lock(&self) -> Result<Option<Lock>, StoreError> {
        crate::store::private::create_dir_all(&self.root)
            .map_err(StoreError::io("creating", self.root.clone()))?;
        let path = self.root.join("lock");
        lock::try_lock(&path).map_err(StoreError::io("locking", path))
    }
}

/// Whether `profile` keeps its drafts on the server.
fn keeps_drafts(profile: &Profile) -> bool {
    imap_of(profile).is_some_and(|(_, imap)| imap.server_drafts)
}

impl Filing<'_> {
    /// Brings the server's `\Drafts` folders in line with the drafts (see the module
    /// doc); what went wrong goes into `report.problems`.
    pub(super) fn sync_drafts(&self, report: &mut CopiesReport) {
        let any = self.profiles.list.iter().any(keeps_drafts);
        let records = Records {
            root: self.dirs.data().join("server-drafts"),
        };
        if !any && !records.root.exists() {
            return; // nothing on any server, and nothing to take back
        }
        let _lock = match records.try_lock() {
            Ok(Some(lock)) => lock,
            Ok(None) => return,
            Err(e) => return report.problems.push(e.to_string()),
        };
        let wanted = match self.wanted_drafts() {
            Ok(wanted) => wanted,
            Err(e) => return report.problems.push(e.to_string()),
        };
        let on_server = records.all();
        let now = self.clock.now();
        let mut work: BTreeMap<String, Vec<(String, Action, OnServer)>> = BTreeMap::new();
        for (id, (profile, summary)) in &wanted {
            let record = on_server.get(id).cloned();
            let this_version = (summary.version, summary.modified);
            let up_to_date = record.as_ref().is_some_and(|r| {
                r.profile == *profile
                    && r.appending.is_none()
                    && (r.not_a_message == Some(this_version)
                        || r.uploaded
                            .as_ref()
                            .is_some_and(|u| (u.version, u.modified) == this_version))
            });
            let waiting = record
                .as_ref()
                .and_then(|r| r.next_try)
                .is_some_and(|at| at > now);
            if up_to_date || waiting {
                continue;
            }
            let record = record.unwrap_or_else(|| OnServer {
                profile: profile.clone(),
                ..OnServer::default()
            });
            if record.profile != *profile {
                // Moved to another profile: leave the old server first.
                let old = record.profile.clone();
                work.entry(old)
                    .or_default()
                    .push((id.clone(), Action::Remove, record));
                continue;
            }
            work.entry(profile.clone()).or_default().push((
                id.clone(),
                Action::Upload(summary.clone()),
                record,
            ));
        }
        for (id, record) in on_server {
            let gone = !wanted.contains_key(&id);
            let waiting = record.next_try.is_some_and(|at| at > now);
            if gone && !waiting {
                work.entry(record.profile.clone())
                    .or_default()
                    .push((id, Action::Remove, record));
            }
        }
        for (profile_id, items) in work {
            self.sync_profile(&records, &profile_id, items, report);
        }
    }

    /// The drafts that should be on a server: id → (profile, summary).
    fn wanted_drafts(&self) -> Result<BTreeMap<String, (String, DraftSummary)>, StoreError> {
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
        let listing = self.drafts.list(None)?;
        Ok(listing
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

    fn sync_profile(
        &self,
        records: &Records,
        profile_id: &str,
        items: Vec<(String, Action, OnServer)>,
        report: &mut CopiesReport,
    ) {
        let opened = self
            .profiles
            .get(profile_id)
            .map_err(|e| NotFiled {
                message: e.to_string(),
                transient: false,
            })
            .and_then(|profile| {
                let mut session = connect::login(self.dirs, profile, None)?;
                let folder = connect::drafts_folder(&mut session)?;
                Ok((session, folder, profile))
            });
        let (mut session, folder, profile) = match opened {
            Ok(opened) => opened,
            Err(why) => {
                for (id, _, record) in items {
                    self.settle_draft(records, &id, record, &why, report);
                }
                return;
            }
        };
        let mut items = items.into_iter();
        while let Some((id, action, mut record)) = items.next() {
            let done = match &action {
                Action::Upload(summary) => self.upload(
                    &mut session,
                    &folder,
                    profile,
                    records,
                    &id,
                    summary,
                    &mut record,
                ),
                Action::Remove => remove_half_done(&mut session, &folder, &mut record)
                    .and_then(|()| remove_copies(&mut session, &folder, &record))
                    .and_then(|()| records.remove(&id).map_err(NotFiled::local)),
            };
            if let Err(why) = done {
                let lost = why.transient;
                self.settle_draft(records, &id, record, &why, report);
                if lost {
                    for (id, _, record) in items.by_ref() {
                        self.settle_draft(records, &id, record, &why, report);
                    }
                    return;
                }
            }
        }
        session.logout();
    }

    /// Replaces the server's copy of draft `id` with its current version.
    #[allow(clippy::too_many_arguments)]
    fn upload(
        &self,
        session: &mut Session,
        folder: &str,
        profile: &Profile,
        records: &Records,
        id: &str,
        summary: &DraftSummary,
        record: &mut OnServer,
    ) -> Result<(), NotFiled> {
        let draft = self.drafts.load(id).map_err(NotFiled::local)?;
        let built = crate::message::build(&draft.draft, &profile.from);
        let message_id = built.as_ref().ok().and_then(|m| message_id_of(m.record()));
        let (Ok(message), Some(message_id)) = (built, message_id) else {
            // Not a message yet: the server keeps what it had until it is one.
            record.not_a_message = Some((summary.version, summary.modified));
            return records.save(id, record).map_err(NotFiled::local);
        };
        let bytes = message.record();
        remove_half_done(session, folder, record)?;
        record.appending = Some(message_id.clone());
        records.save(id, record).map_err(NotFiled::local)?;
        session.append(folder, bytes, &["\\Draft", "\\Seen"], None)?;
        remove_copies(session, folder, record)?;
        *record = OnServer {
            profile: record.profile.clone(),
            uploaded: Some(Uploaded {
                version: summary.version,
                modified: summary.modified,
                message_id,
            }),
            ..OnServer::default()
        };
        records.save(id, record).map_err(NotFiled::local)
    }

    fn settle_draft(
        &self,
        records: &Records,
        id: &str,
        mut record: OnServer,
        why: &NotFiled,
        report: &mut CopiesReport,
    ) {
        let now = self.clock.now();
        record.attempts = record.attempts.saturating_add(1);
        record.last_error = Some(why.message.clone());
        record.next_try = Some(now.saturating_add(backoff(record.attempts)).unwrap_or(now));
        report
            .problems
            .push(format!("draft {id} on the server: {}", why.message));
        if let Err(e) = records.save(id, &record) {
            report.problems.push(e.to_string());
        }
    }
}

/// Removes what an upload killed before it recorded its end may have left.
fn remove_half_done(
    session: &mut Session,
    folder: &str,
    record: &mut OnServer,
) -> Result<(), NotFiled> {
    if let Some(half_done) = record.appending.take() {
        let uids = session.find_message_id(folder, &half_done)?;
        session.delete_uids(folder, &uids)?;
    }
    Ok(())
}

/// Removes the copy recorded as uploaded (not the one just APPENDed, whose Message-ID
/// is `appending`).
fn remove_copies(session: &mut Session, folder: &str, record: &OnServer) -> Result<(), NotFiled> {
    let Some(old) = &record.uploaded else {
        return Ok(());
    };
    let uids = session.find_message_id(folder, &old.message_id)?;
    session.delete_uids(folder, &uids)?;
    Ok(())
}

impl NotFiled {
    fn local(e: StoreError) -> Self {
        Self {
            message: e.to_string(),
            transient: false,
        }
    }
}
