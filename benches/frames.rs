//! P5 and P6 of `benches/run.sh`: the desktop app's frames, driven with egui_kittest in
//! a release build (no display, no GPU: a frame here is egui's layout plus the
//! tessellation into triangles, which is the UI thread's work of a real frame).
//!
//! ```text
//! bench_frames typing                      P5: typing one character into the compose
//!                                          view, with an empty and with a 1 MB body, with
//!                                          AccessKit off (eframe without a screen
//!                                          reader) and on (egui_kittest, which needs it)
//! bench_frames sending HOME MAILDIR FILE   P6: frames while the app sends FILE through
//!                                          HOME's default profile, until it lands in MAILDIR
//! ```
//! Each prints one line of `key=value` figures (milliseconds) that `run.sh` reads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench fails by panicking

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mailroom::message::{Attachment, Draft};
use mailroom::paths::Dirs;
use mailroom::ui::{MailroomApp, Start};

type Gui = Harness<'static, Option<MailroomApp>>;

/// Characters typed per body when timing P5.
const KEYSTROKES: usize = 40;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["typing"] => typing(),
        ["sending", home, maildir, file] => sending(Path::new(home), Path::new(maildir), file),
        _ => panic!("usage: bench_frames typing | sending HOME MAILDIR FILE"),
    }
}

/// The whole app over `home`, opened on a new message, in a 1000×760 window.
fn gui(home: &Path, draft: Draft) -> Gui {
    let dirs = Dirs::under(home);
    let start = Start::Mailto(Box::new(draft));
    Harness::builder()
        .with_size(egui::vec2(1000.0, 760.0))
        .build_ui_state(
            move |ui, app: &mut Option<MailroomApp>| {
                app.get_or_insert_with(|| {
                    MailroomApp::start(ui.ctx(), dirs.clone(), start.clone())
                })
                .show(ui);
            },
            None,
        )
}

/// One frame as the UI thread does it: run the UI, then tessellate what it painted.
fn timed_frame(gui: &mut Gui) -> Duration {
    let started = Instant::now();
    gui.step();
    let shapes = gui.output().shapes.clone();
    let pixels_per_point = gui.output().pixels_per_point;
    std::hint::black_box(gui.ctx.tessellate(shapes, pixels_per_point));
    started.elapsed()
}

fn typing() {
    let prose = one_megabyte_of_prose();
    let empty = median_keystroke_bare(String::new());
    let full = median_keystroke_bare(prose.clone());
    let reader_empty = median_keystroke_kittest(String::new());
    let reader_full = median_keystroke_kittest(prose);
    println!(
        "empty_ms={:.3} full_ms={:.3} reader_empty_ms={:.3} reader_full_ms={:.3}",
        millis(empty),
        millis(full),
        millis(reader_empty),
        millis(reader_full)
    );
}

fn typing_draft(body: String) -> Draft {
    Draft {
        to: "ana@example.org".into(),
        subject: "Frames".into(),
        body,
        ..Draft::default()
    }
}

fn median(mut frames: Vec<Duration>) -> Duration {
    frames.sort();
    frames[frames.len() / 2]
}

/// The median frame that takes one typed character into the body, with AccessKit on
/// (egui_kittest needs it: as when a screen reader is listening).
fn median_keystroke_kittest(body: String) -> Duration {
    let home = tempfile::tempdir().unwrap();
    let length = body.len();
    let mut gui = gui(home.path(), typing_draft(body));
    for _ in 0..5 {
        gui.step();
    }
    gui.get_by_label("Message").focus();
    gui.step();
    gui.step();
    let frames = (0..KEYSTROKES)
        .map(|_| {
            gui.get_by_label("Message").type_text("x");
            timed_frame(&mut gui)
        })
        .collect();
    assert_every_keystroke_typed(gui.state().as_ref(), length);
    median(frames)
}

/// The median frame that takes one typed character into the body, in a bare egui
/// context with AccessKit off: what eframe runs when no screen reader is listening.
fn median_keystroke_bare(body: String) -> Duration {
    let home = tempfile::tempdir().unwrap();
    let length = body.len();
    let mut bare = Bare::new(home.path(), typing_draft(body));
    for _ in 0..5 {
        bare.frame(Vec::new());
    }
    // A click into the body (below the headers, above the buttons) focuses it.
    let inside = egui::pos2(400.0, 400.0);
    let press = |pressed| egui::Event::PointerButton {
        pos: inside,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    bare.frame(vec![egui::Event::PointerMoved(inside), press(true)]);
    bare.frame(vec![press(false)]);
    let frames = (0..KEYSTROKES)
        .map(|_| bare.frame(vec![egui::Event::Text("x".into())]))
        .collect();
    assert_every_keystroke_typed(bare.app.as_ref(), length);
    median(frames)
}

/// A bench that timed frames which typed nothing would measure nothing.
fn assert_every_keystroke_typed(app: Option<&MailroomApp>, length_before: usize) {
    let typed = app.map_or(0, |app| app.compose.draft.body.len());
    assert_eq!(
        typed,
        length_before + KEYSTROKES,
        "every keystroke reached the body"
    );
}

/// The app in a plain `egui::Context`, driven by raw input, timed a frame at a time.
struct Bare {
    ctx: egui::Context,
    app: Option<MailroomApp>,
    dirs: Dirs,
    start: Start,
}

impl Bare {
    fn new(home: &Path, draft: Draft) -> Self {
        Self {
            ctx: egui::Context::default(),
            app: None,
            dirs: Dirs::under(home),
            start: Start::Mailto(Box::new(draft)),
        }
    }

    /// One frame with these input events: the UI, then its tessellation.
    fn frame(&mut self, events: Vec<egui::Event>) -> Duration {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1000.0, 760.0),
            )),
            events,
            ..Default::default()
        };
        let started = Instant::now();
        let (app, dirs, start) = (&mut self.app, &self.dirs, &self.start);
        let output = self.ctx.run_ui(input, |ui| {
            app.get_or_insert_with(|| MailroomApp::start(ui.ctx(), dirs.clone(), start.clone()))
                .show(ui);
        });
        std::hint::black_box(self.ctx.tessellate(output.shapes, output.pixels_per_point));
        started.elapsed()
    }
}

/// Paragraphs of ordinary prose, about 1 MB of them.
fn one_megabyte_of_prose() -> String {
    const SENTENCE: &str = "The quarterly figures arrived late, so the meeting moved to Thursday \
                            and everyone was asked to read the summary beforehand. ";
    let mut body = String::with_capacity(1 << 20);
    let mut paragraph = 0;
    while body.len() < 1_000_000 {
        paragraph += 1;
        body.push_str(&format!("{paragraph}. "));
        for _ in 0..4 {
            body.push_str(SENTENCE);
        }
        body.push_str("\n\n");
    }
    body
}

/// Frames from the click on Send until the message lands in `maildir`.
fn sending(home: &Path, maildir: &Path, file: &str) {
    let draft = Draft {
        to: "ana@example.org".into(),
        subject: "A big attachment".into(),
        body: "The file is attached.".into(),
        attachments: vec![Attachment::from_path(PathBuf::from(file))],
        ..Draft::default()
    };
    let before = count_files(maildir);
    let mut gui = gui(home, draft);
    let deadline = Instant::now() + Duration::from_secs(20);
    let from_bench = |gui: &Gui| {
        gui.query_by_label("From")
            .and_then(|n| n.value())
            .is_some_and(|v| v.contains("— bench"))
    };
    while !from_bench(&gui) {
        assert!(Instant::now() < deadline, "the bench profile never showed");
        gui.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    gui.get_by_label("Send").click_accesskit();

    let started = Instant::now();
    let deadline = started + Duration::from_secs(120);
    let (mut frames, mut longest) = (0u32, Duration::ZERO);
    let mut last_frame_start = Instant::now();
    let mut longest_gap = Duration::ZERO;
    while count_files(maildir) == before {
        assert!(Instant::now() < deadline, "the message never arrived");
        let now = Instant::now();
        longest_gap = longest_gap.max(now - last_frame_start);
        last_frame_start = now;
        longest = longest.max(timed_frame(&mut gui));
        frames += 1;
    }
    println!(
        "longest_frame_ms={:.3} longest_gap_ms={:.3} frames={frames} seconds={:.2}",
        millis(longest),
        millis(longest_gap),
        started.elapsed().as_secs_f64()
    );
}

fn count_files(folder: &Path) -> usize {
    std::fs::read_dir(folder).map_or(0, |entries| entries.count())
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
