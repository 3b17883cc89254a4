//! The compose view's attachments: the files attached, each with its size (measured by
//! the worker), Remove, and for a picture in a formatted message "Show in the message";
//! the total against the server's SIZE limit; files dropped on the window.

use std::collections::HashMap;
use std::path::PathBuf;

use eframe::egui::{self, RichText, Ui};

use super::widgets::{field_error, human_size, named_button};
use crate::message::{Attachment, AttachmentSource};

/// What the compose view needs besides the files at the least: headers, the smallest
/// body, the buttons. The files get the window's height beyond it, and scroll past it.
const COMPOSE_WITHOUT_FILES: f32 = 360.0;

/// The files' rows never get less than this: under three rows, the cut one saying that
/// the list scrolls.
const FILES_MIN_HEIGHT: f32 = 60.0;

/// At most this much of a tall window goes to the files (about eight rows).
const FILES_MAX_HEIGHT: f32 = 190.0;

/// What the attachments keep between frames.
#[derive(Debug, Default)]
pub struct AttachmentsState {
    /// Sizes of attached files, as the worker measured them.
    pub sizes: HashMap<PathBuf, u64>,
    /// Why the last files could not be attached.
    pub problem: Option<String>,
    /// No native file dialog could open here: drag and drop is the way.
    pub no_file_dialog: bool,
}

/// What the person did with the attachments this frame.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AttachmentsResponse {
    /// "Attach files…": open the picker.
    pub pick: bool,
    /// "Show … in the message" on attachment `index`.
    pub show_inline: Option<usize>,
    /// An attachment was removed.
    pub changed: bool,
}

impl AttachmentsState {
    /// The files whose size the worker should measure.
    pub fn unmeasured(&self, attachments: &[Attachment]) -> Vec<PathBuf> {
        attachments
            .iter()
            .filter_map(|a| match &a.source {
                AttachmentSource::File(path) if !self.sizes.contains_key(path) => {
                    Some(path.clone())
                }
                _ => None,
            })
            .collect()
    }

    /// Adds files the worker has checked; a bad one is reported, the rest attached.
    /// `true` when `attachments` changed.
    pub fn add_files(
        &mut self,
        attachments: &mut Vec<Attachment>,
        files: Vec<(PathBuf, Result<u64, String>)>,
    ) -> bool {
        let mut problems = Vec::new();
        let mut changed = false;
        for (path, size) in files {
            match size {
                Ok(size) => {
                    self.sizes.insert(path.clone(), size);
                    let known = attachments
                        .iter()
                        .any(|a| a.source == AttachmentSource::File(path.clone()));
                    if !known {
                        attachments.push(Attachment::from_path(path));
                        changed = true;
                    }
                }
                Err(problem) => problems.push(problem),
            }
        }
        self.problem = (!problems.is_empty()).then(|| problems.join("; "));
        changed
    }

    /// An attachment's size; `None` while the worker has not measured its file yet.
    fn size(&self, attachment: &Attachment) -> Option<u64> {
        match &attachment.source {
            AttachmentSource::File(path) => self.sizes.get(path).copied(),
            AttachmentSource::Bytes(bytes) => Some(bytes.len() as u64),
        }
    }

    fn total_size(&self, attachments: &[Attachment]) -> u64 {
        attachments.iter().filter_map(|a| self.size(a)).sum()
    }
}

/// The attachments: Attach files… with the total beside it, then a row per file (a
/// long list scrolls within a few rows). `formatted`: pictures can be shown in the
/// message; `size_limit`: the profile server's SIZE, when known.
pub fn attachments_ui(
    ui: &mut Ui,
    attachments: &mut Vec<Attachment>,
    formatted: bool,
    state: &AttachmentsState,
    size_limit: Option<u64>,
) -> AttachmentsResponse {
    let mut response = AttachmentsResponse::default();
    ui.horizontal_wrapped(|ui| {
        response.pick = ui
            .button("Attach files…")
            .on_hover_text("Choose files, or drop them on the window")
            .clicked();
        if !attachments.is_empty() {
            total_ui(ui, state.total_size(attachments), size_limit);
        }
    });
    if !attachments.is_empty() {
        // Many files scroll within a few rows rather than push the buttons off the window.
        let window = ui.ctx().content_rect().height();
        let rows_height =
            (window - COMPOSE_WITHOUT_FILES).clamp(FILES_MIN_HEIGHT, FILES_MAX_HEIGHT);
        let remove = egui::ScrollArea::vertical()
            .id_salt("attachments")
            .max_height(rows_height)
            .auto_shrink([false, true])
            .show(ui, |ui| {
                file_rows(ui, attachments, formatted, state, &mut response)
            })
            .inner;
        if let Some(index) = remove {
            attachments.remove(index);
            response.changed = true;
        }
    }
    if let Some(problem) = &state.problem {
        field_error(ui, problem);
    }
    if state.no_file_dialog {
        ui.label(
            RichText::new(
                "No file dialog is available here: drop files on the window to attach them.",
            )
            .weak(),
        );
    }
    response
}

/// "Total 2 MB of the server's 35 MB", an error when it will not fit once encoded.
fn total_ui(ui: &mut Ui, total: u64, size_limit: Option<u64>) {
    let limit = size_limit.map_or(String::new(), |l| {
        format!(" of the server's {}", human_size(l))
    });
    let text = format!("Total {}{limit}", human_size(total));
    let over = size_limit.is_some_and(|l| total * 4 / 3 > l);
    if over {
        field_error(ui, &format!("{text}: too big once encoded"));
    } else {
        ui.label(RichText::new(text).weak());
    }
}

/// A row per file: Remove, Show in the message (a picture in a formatted
/// message), and its name and size. Returns the file whose Remove was clicked.
fn file_rows(
    ui: &mut Ui,
    attachments: &[Attachment],
    formatted: bool,
    state: &AttachmentsState,
    response: &mut AttachmentsResponse,
) -> Option<usize> {
    let mut remove = None;
    for (index, a) in attachments.iter().enumerate() {
        let size = state.size(a).map(human_size);
        let kind = if a.is_inline() { "inline " } else { "" };
        // The buttons first, so that a long name is cut rather than pushing them off.
        ui.horizontal(|ui| {
            if named_button(ui, "Remove", &format!("Remove {}", a.file_name)).clicked() {
                remove = Some(index);
            }
            if formatted
                && a.is_image()
                && !a.is_inline()
                && named_button(
                    ui,
                    "Show in the message",
                    &format!("Show {} in the message", a.file_name),
                )
                .clicked()
            {
                response.show_inline = Some(index);
            }
            ui.add(
                egui::Label::new(format!(
                    "{kind}{} ({})",
                    a.file_name,
                    size.unwrap_or_else(|| "…".into())
                ))
                .truncate(),
            );
        });
    }
    remove
}

/// Files dropped on the window from the file manager, for the worker to check.
pub fn dropped_files(ui: &mut Ui) -> Vec<PathBuf> {
    if ui.input(|i| !i.raw.hovered_files.is_empty()) {
        ui.label(RichText::new("Drop to attach").strong());
    }
    ui.input(|i| {
        i.raw
            .dropped_files
            .iter()
            .map(|f| f.path().to_path_buf())
            .collect()
    })
}
