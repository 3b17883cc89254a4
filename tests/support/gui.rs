//! The desktop app under egui_kittest, shared by the GUI tests: the whole app over a
//! home, driven by accessible names, with its real worker threads.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mailroom::paths::Dirs;
use mailroom::ui::{MailroomApp, Start};

use super::Home;

pub type Gui = Harness<'static, Option<MailroomApp>>;

/// The whole app over `home`, in a 1000×760 window.
pub fn gui(home: &Home) -> Gui {
    gui_with(home, Start::Compose, egui::vec2(1000.0, 760.0))
}

/// The whole app over the home at `path` (one another process made), 1000×760.
pub fn gui_at(path: &Path) -> Gui {
    gui_under(Dirs::under(path), Start::Compose, egui::vec2(1000.0, 760.0))
}

/// The whole app over `home`, opened with `start`, in a window of `size`.
pub fn gui_with(home: &Home, start: Start, size: egui::Vec2) -> Gui {
    gui_under(Dirs::under(home.path()), start, size)
}

fn gui_under(dirs: Dirs, start: Start, size: egui::Vec2) -> Gui {
    harness(dirs, start, size, None)
}

/// The whole app over `home`, answering second starts on `listener` as the real
/// window does ([`mailroom::instance`]).
pub fn gui_listening(home: &Home, listener: mailroom::instance::Listener) -> Gui {
    let size = egui::vec2(1000.0, 760.0);
    harness(
        Dirs::under(home.path()),
        Start::Compose,
        size,
        Some(listener),
    )
}

fn harness(
    dirs: Dirs,
    start: Start,
    size: egui::Vec2,
    mut listener: Option<mailroom::instance::Listener>,
) -> Gui {
    // `run()` steps until nothing asks for another frame; the worker's events (the first
    // load, the scheduler's status) each ask for one, and on a busy machine they come
    // over more than kittest's default 4 frames.
    Harness::builder()
        .with_size(size)
        .with_max_steps(16)
        .build_ui_state(
            move |ui, app: &mut Option<MailroomApp>| {
                app.get_or_insert_with(|| {
                    let mut app = MailroomApp::start(ui.ctx(), dirs.clone(), start.clone());
                    if let Some(listener) = listener.take() {
                        app.listen(ui.ctx(), listener).expect("listening");
                    }
                    app
                })
                .show(ui);
            },
            None,
        )
}

/// The variable through which [`window_part`] names the home to its child process.
const WINDOW_PART_HOME: &str = "MAILROOM_TEST_WINDOW_PART_HOME";

/// Runs the `#[ignore]`d test `name` of this test binary in a child process with `env`
/// (`SSL_CERT_FILE`, `BROWSER`, the keyring's bus: what the window's process must have in
/// its own environment) over `home`'s folder, and fails unless it passed. The child test
/// opens the window with [`window_part_home`].
#[track_caller]
pub fn window_part(name: &str, env: Vec<(String, String)>, home: &Home) {
    let exe = std::env::current_exe().expect("the test binary");
    let child = std::process::Command::new(exe)
        .args(["--exact", name, "--ignored", "--nocapture"])
        .envs(env)
        .env(WINDOW_PART_HOME, home.path())
        .output()
        .expect("run the window part");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    assert!(
        child.status.success() && said.contains("1 passed"),
        "the window part {name} failed:\n{said}"
    );
}

/// In a child test started by [`window_part`]: the window over the home it was given.
pub fn window_part_home() -> Gui {
    let home = std::env::var(WINDOW_PART_HOME).expect("run by the parent test (window_part)");
    gui_at(Path::new(&home))
}

/// Steps frames until `done` holds (the worker answers asynchronously); a minute at most.
#[track_caller]
pub fn wait_until(gui: &mut Gui, what: &str, done: impl Fn(&Gui) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        gui.step();
        if done(gui) {
            return;
        }
        if Instant::now() > deadline {
            let app = gui.state().as_ref();
            let problems = app.map(|a| {
                (
                    a.problem.clone(),
                    a.compose.problem.clone(),
                    a.outbox
                        .entries
                        .iter()
                        .map(|e| (e.state, e.last_error.clone()))
                        .collect::<Vec<_>>(),
                    a.profiles.test.clone(),
                    a.profiles.form.as_ref().map(|f| f.save_problem.clone()),
                )
            });
            panic!(
                "timed out waiting for {what}; app problems, outbox, connection test, \
                 profile form: {problems:?}"
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether the From picker shows a profile whose text contains `text`.
pub fn from_shows(gui: &Gui, text: &str) -> bool {
    gui.query_by_label("From")
        .and_then(|n| n.value())
        .is_some_and(|v| v.contains(text))
}

pub fn has_label(gui: &Gui, text: &str) -> bool {
    gui.query_all_by_label_contains(text).next().is_some()
}

pub fn type_into(gui: &mut Gui, field: &str, text: &str) {
    gui.get_by_label(field).focus();
    gui.step();
    gui.get_by_label(field).type_text(text);
    gui.step();
}

/// Replaces everything in `field` with `text`, as a person selecting all and typing
/// (or pressing Backspace, for no text).
pub fn replace_text(gui: &mut Gui, field: &str, text: &str) {
    gui.get_by_label(field).focus();
    gui.step();
    gui.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    gui.step();
    if text.is_empty() {
        gui.key_press(egui::Key::Backspace);
    } else {
        gui.get_by_label(field).type_text(text);
    }
    gui.step();
}

pub fn click(gui: &mut Gui, label: &str) {
    gui.get_by_label(label).click_accesskit();
    gui.step();
    gui.step();
}

/// A file dropped on the window from the file manager.
#[derive(Debug)]
pub struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

pub fn drop_file(gui: &mut Gui, path: PathBuf) {
    gui.input_mut().dropped_files.push(Arc::new(Dropped(path)));
    gui.step();
}
