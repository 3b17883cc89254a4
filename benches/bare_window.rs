//! The floor for the start-up benchmark (P1 in `benches/run.sh`): a bare eframe window
//! with the same options and build profile as Mailroom's, and nothing in it. With
//! `MAILROOM_EXIT_AFTER_FIRST_FRAME` set it ends after its first painted frame.

use eframe::egui;

struct Bare;

impl eframe::App for Bare {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.label("bare");
        });
        mailroom::ui::exit_after_first_frame_if_asked(ui);
    }
}

fn main() -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Bare")
            .with_inner_size([960.0, 700.0]),
        ..Default::default()
    };
    eframe::run_native("Bare", options, Box::new(|_| Ok(Box::new(Bare))))
}
