//! The desktop app (feature `gui`): eframe/egui over the shared core.
//!
//! The UI thread never does I/O: every file, keyring, dialog and network call goes to
//! [`crate::worker`] as a `Command`, and the answers come back as `Event`s drained each
//! frame. One view a file: [`compose`], [`drafts`], [`outbox`], [`profiles`]; [`app`]
//! holds them together. Window size and the last view survive a restart through
//! eframe's storage (`data/window.ron`); messages live only in the stores. A window
//! opened for a message (`compose mailto:…`, `compose --draft`) opens on Compose.

pub mod app;
mod body_editor;
pub mod compose;
mod compose_attachments;
mod compose_body;
pub mod drafts;
mod formatting;
pub mod outbox;
mod preview;
pub mod profiles;
mod send_later;
mod toast;
mod widgets;

pub use app::MailroomApp;

use crate::message::Draft;
use crate::paths::Dirs;

/// What the window opens with.
#[derive(Debug, Clone, Default)]
pub enum Start {
    #[default]
    Compose,
    /// A new message filled from a `mailto:` URI.
    Mailto(Box<Draft>),
    /// Reopen this draft.
    Draft(String),
    /// A new message, and what was wrong with the link it was opened for.
    Refused(String),
}

/// Opens the window and runs until it is closed.
pub fn run(dirs: Dirs, start: Start) -> Result<(), String> {
    let options = native_options(&dirs);
    eframe::run_native(
        "Mailroom",
        options,
        Box::new(move |cc| Ok(Box::new(MailroomApp::new(cc, dirs, start)))),
    )
    .map_err(|e| e.to_string())
}

/// The window's options. Its size and last view live with the rest of Mailroom's files
/// (`data/window.ron`, under `MAILROOM_HOME` when it is set), not in eframe's own folder.
pub fn native_options(dirs: &Dirs) -> eframe::NativeOptions {
    eframe::NativeOptions {
        persistence_path: Some(dirs.data().join("window.ron")),
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("Mailroom")
            .with_app_id("mailroom")
            .with_inner_size([960.0, 700.0])
            .with_min_inner_size([560.0, 420.0])
            .with_icon(icon()),
        ..Default::default()
    }
}

/// A 32×32 envelope, drawn rather than loaded, so the binary needs no image decoder.
fn icon() -> eframe::egui::IconData {
    const SIZE: usize = 32;
    let mut rgba = vec![0u8; SIZE * SIZE * 4];
    for y in 0..SIZE {
        for x in 0..SIZE {
            let inside = (3..29).contains(&x) && (7..25).contains(&y);
            let border = inside && (x == 3 || x == 28 || y == 7 || y == 24);
            let flap = inside && (y as i32 - 7 - (x as i32 - 3).min(28 - x as i32) / 2).abs() <= 0;
            let pixel: [u8; 4] = if border || flap {
                [40, 70, 140, 255]
            } else if inside {
                [235, 240, 250, 255]
            } else {
                [0, 0, 0, 0]
            };
            rgba[(y * SIZE + x) * 4..][..4].copy_from_slice(&pixel);
        }
    }
    eframe::egui::IconData {
        rgba,
        width: SIZE as u32,
        height: SIZE as u32,
    }
}

/// For the start-up benchmark (P1 in `benches/run.sh`): with
/// `MAILROOM_EXIT_AFTER_FIRST_FRAME` set, the process ends as soon as its first frame has
/// been painted (at the start of the second), so the time from launch to exit is the time
/// to the first frame. `benches/bare_window.rs`, the floor, does the same.
pub fn exit_after_first_frame_if_asked(ui: &eframe::egui::Ui) {
    static ASKED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if !*ASKED.get_or_init(|| std::env::var_os("MAILROOM_EXIT_AFTER_FIRST_FRAME").is_some()) {
        return;
    }
    if ui.ctx().cumulative_frame_nr() >= 1 {
        std::process::exit(0);
    }
    ui.ctx().request_repaint();
}
