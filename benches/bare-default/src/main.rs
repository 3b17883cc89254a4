//! The floor for P1's second row (`benches/run.sh`): a bare eframe 0.37 window built
//! with eframe's default features, the same size as Mailroom's and titled `Bare`, with
//! nothing in it. The bench times launch to the window being visible, then kills it.
//! Like Mailroom, with `MAILROOM_EXIT_AFTER_FIRST_FRAME` set it ends at the start of its
//! second frame (for comparing what the two spend up to the first frame).

use eframe::egui;

struct Bare;

impl eframe::App for Bare {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.label("bare");
        });
        if std::env::var_os("MAILROOM_EXIT_AFTER_FIRST_FRAME").is_some() {
            if ui.ctx().cumulative_frame_nr() >= 1 {
                std::process::exit(0);
            }
            ui.ctx().request_repaint();
        }
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
