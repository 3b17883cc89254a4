//! A long message body in the desktop app, driven through egui_kittest. The editor hands
//! egui only a window of a long body (`src/ui/body_editor.rs`); to the person writing,
//! it must still be one text: the ends and select-all reach the whole body, and a click
//! into text drawn outside the window edits the line that was drawn there.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use eframe::egui::{self, Key, Modifiers};
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use mailroom::message::Draft;
use mailroom::ui::Start;
use support::Home;
use support::gui::{Gui, gui_with};

/// 4,000 numbered lines, about 230 KB: far more than the editor takes whole.
fn long_body() -> String {
    (0..4000)
        .map(|n| format!("Line {n:05}: the quick brown fox jumps over the lazy dog.\n"))
        .collect()
}

/// The app opened on a new message with `body`, in a 1000×760 window, the body focused.
fn compose(home: &Home, body: String) -> Gui {
    let start = Start::Mailto(Box::new(Draft {
        to: "ana@example.org".into(),
        subject: "A long one".into(),
        body,
        ..Draft::default()
    }));
    let mut gui = gui_with(home, start, egui::vec2(1000.0, 760.0));
    gui.run();
    gui.get_by_label("Message").focus();
    gui.run();
    gui
}

fn body(gui: &Gui) -> &str {
    &gui.state().as_ref().unwrap().compose.draft.body
}

/// The line of the editable text (the window) drawn at `pos`, as a screen reader reads it.
fn line_under(gui: &Gui, pos: egui::Pos2) -> Option<String> {
    gui.get_by_label("Message")
        .children()
        .filter(|run| run.accesskit_node().role() == Role::TextRun)
        .find(|run| run.rect().contains(pos))
        .and_then(|run| run.value())
}

/// A click that leaves the pointer where it was (kittest's `drop_at` takes it away).
fn click_at(gui: &mut Gui, pos: egui::Pos2) {
    for pressed in [true, false] {
        gui.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
        gui.step();
    }
    gui.run();
}

fn press(gui: &mut Gui, modifiers: Modifiers, key: Key) {
    gui.key_press_modifiers(modifiers, key);
    gui.run();
}

fn type_text(gui: &mut Gui, text: &str) {
    gui.get_by_label("Message").type_text(text);
    gui.run();
}

#[test]
fn the_ends_and_select_all_reach_the_whole_long_body() {
    let home = Home::new();
    let original = long_body();
    let mut gui = compose(&home, original.clone());

    press(&mut gui, Modifiers::COMMAND, Key::End);
    type_text(&mut gui, "Yours, Ana");
    assert!(
        body(&gui).ends_with("lazy dog.\nYours, Ana"),
        "typed at the very end"
    );

    press(&mut gui, Modifiers::COMMAND, Key::Home);
    type_text(&mut gui, "Dear Bo,\n");
    assert!(
        body(&gui).starts_with("Dear Bo,\nLine 00000:"),
        "typed at the very start"
    );
    assert_eq!(
        body(&gui).len(),
        original.len() + "Yours, Ana".len() + "Dear Bo,\n".len(),
        "nothing else changed"
    );

    // Undo never puts an old window's text in place of the whole body.
    let before_select_all = body(&gui).to_string();
    press(&mut gui, Modifiers::COMMAND, Key::A);
    press(&mut gui, Modifiers::COMMAND, Key::Z);
    let undone = body(&gui);
    assert!(
        undone.len() >= before_select_all.len() - "Dear Bo,\n".len(),
        "undo left {} bytes of {}",
        undone.len(),
        before_select_all.len()
    );

    press(&mut gui, Modifiers::COMMAND, Key::A);
    type_text(&mut gui, "Short now.");
    assert_eq!(body(&gui), "Short now.", "select all took the whole body");
}

#[test]
fn a_click_into_text_below_the_window_edits_the_line_drawn_there() {
    let home = Home::new();
    let mut gui = compose(&home, long_body());
    press(&mut gui, Modifiers::COMMAND, Key::Home);
    let line = click_outside_the_window_and_type(&mut gui, -20_000.0, "§");
    assert!(line > 800, "well below the first window: line {line}");
}

#[test]
fn a_click_into_text_above_the_window_edits_the_line_drawn_there() {
    let home = Home::new();
    let mut gui = compose(&home, long_body());
    press(&mut gui, Modifiers::COMMAND, Key::End);
    let line = click_outside_the_window_and_type(&mut gui, 20_000.0, "§");
    assert!(line < 3200, "well above the last window: line {line}");
}

/// Scrolls the body by `delta` points (negative: down) past the window's text, clicks
/// the line under a point in the body and types `mark` there. Checks that the window
/// moved to the click, the editor has the focus, and the line typed into is the line
/// that was drawn under the pointer; returns its number.
fn click_outside_the_window_and_type(gui: &mut Gui, delta: f32, mark: &str) -> usize {
    // A point in the body's text, below the headers.
    let target = egui::pos2(200.0, 450.0);
    assert!(
        line_under(gui, target).is_some(),
        "the point is on the body"
    );

    gui.hover_at(target);
    gui.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, delta),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: Modifiers::NONE,
    });
    gui.run_steps(60); // the scroll is animated
    assert_eq!(
        line_under(gui, target),
        None,
        "the text there is outside the window"
    );

    click_at(gui, target);
    let under_pointer = line_under(gui, target).expect("the clicked line is in the window now");
    assert!(under_pointer.starts_with("Line "), "{under_pointer:?}");
    assert!(
        gui.get_by_label("Message").is_focused(),
        "the editor has the focus"
    );

    type_text(gui, mark);
    let edited = body(gui)
        .lines()
        .find(|line| line.contains(mark))
        .unwrap()
        .to_string();
    assert!(
        edited.starts_with(&under_pointer[..10]),
        "typed into {edited:?}, the line drawn under the pointer was {under_pointer:?}"
    );
    under_pointer[5..10].parse().unwrap()
}
