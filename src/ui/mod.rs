//! The desktop app (feature `gui`): eframe/egui over the shared core.
//!
//! The UI thread never does I/O: every file, keyring, dialog and network call goes to
//! [`crate::worker`] as a `Command`, and the answers come back as `Event`s drained each
//! frame. One view a file: [`compose`], [`drafts`], [`outbox`], [`profiles`]; [`app`]
//! holds them together. Window size and the last view survive a restart through
//! eframe's storage (`data/window.ron`); messages live only in the stores. A window
//! opened for a message (`compose mailto:…`, `compose --draft`) opens on Compose.

mod account_setup;
pub mod app;
mod body_editor;
pub mod compose;
mod compose_attachments;
mod compose_body;
mod compose_headers;
mod compose_sender;
pub mod drafts;
mod focus;
mod formatting;
mod mailto_handler;
pub mod outbox;
mod preview;
mod profile_form;
pub mod profiles;
mod send_later;
mod sign_in;
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
    /// A saved message (`.eml`), opened as a new draft.
    Eml(std::path::PathBuf),
}

/// Opens the window and runs until it is closed; with a `listener`, a second start
/// reaches this window ([`crate::instance`]).
pub fn run(
    dirs: Dirs,
    start: Start,
    listener: Option<crate::instance::Listener>,
) -> Result<(), String> {
    trace_startup("ui::run");
    let options = native_options(&dirs);
    eframe::run_native(
        "Mailroom",
        options,
        Box::new(move |cc| {
            trace_startup("app creation");
            let mut app = MailroomApp::new(cc, dirs, start);
            if let Some(listener) = listener
                && let Err(e) = app.listen(&cc.egui_ctx, listener)
            {
                eprintln!("mailroom: answering a second start: {e}");
            }
            trace_startup("app created");
            Ok(Box::new(app))
        }),
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
        // Installed after the first frame instead ([`system_fonts_after_first_frame`]).
        system_font_fallback: false,
        ..Default::default()
    }
}

/// Installs the system-font fallback (fonts for what egui's own lack: العربية, 東京, …)
/// at the start of the second frame, so that finding them never delays the first.
/// eframe would start enumerating the system fonts before the first frame, on a thread
/// of its own that takes one of this machine's two cores from the first frame's
/// drawing (measured with P1's second row, `benches/run.sh`). Until then such a
/// character is a box; egui lays the text out again once the provider is in.
pub fn system_fonts_after_first_frame(ctx: &eframe::egui::Context) {
    if ctx.cumulative_frame_nr() == 0 {
        ctx.request_repaint(); // so that there is a second frame
        return;
    }
    let installed = eframe::egui::Id::unique("mailroom-system-fonts");
    // Once per context (a frame may run more than one pass).
    if !ctx.data_mut(|d| std::mem::replace(d.get_temp_mut_or_default::<bool>(installed), true)) {
        ctx.add_font_provider(std::sync::Arc::new(
            egui_system_font_provider::SystemFontProvider::new(),
        ));
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

/// With `MAILROOM_TRACE_STARTUP` set, prints to stderr when `what` happened, in ms
/// since the first call (start-up measurements for P1).
pub fn trace_startup(what: &str) {
    static START: std::sync::OnceLock<Option<std::time::Instant>> = std::sync::OnceLock::new();
    let start = START.get_or_init(|| {
        std::env::var_os("MAILROOM_TRACE_STARTUP").map(|_| std::time::Instant::now())
    });
    if let Some(start) = start {
        eprintln!(
            "startup {:7.1} ms {what}",
            start.elapsed().as_secs_f64() * 1000.0
        );
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

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    /// egui's own fonts have no Arabic: the harness panics on a character no font can
    /// draw, so this passes only if the provider installed after the first frame found a
    /// system font for it (DejaVu Sans here; 東京 would need a CJK font installed).
    #[test]
    fn after_the_first_frame_the_system_fonts_draw_what_egui_lacks() {
        let mut harness = Harness::new_ui(|ui| {
            super::system_fonts_after_first_frame(ui.ctx());
            if ui.ctx().cumulative_frame_nr() >= 2 {
                ui.label("العربية");
            }
        });
        harness.run_steps(4);
        harness.get_by_label("العربية");
    }

    #[test]
    #[should_panic]
    fn without_them_egui_cannot_draw_it() {
        let mut harness = Harness::new_ui(|ui| {
            ui.label("العربية");
        });
        harness.run_steps(2);
    }
}
