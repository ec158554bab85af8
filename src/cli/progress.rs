//! A progress bar on stderr for long runs, when someone is watching a terminal; made by the
//! printer (`Printer::progress`), which owns the terminal.

use std::io::IsTerminal;

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

use super::output::Printer;
use crate::apply::Ticker;
use crate::http::BudgetWatch;

/// Runs touching at most this many resources show no bar: they end before one would help.
const HANDFUL: usize = 5;

/// How often the bar redraws while nothing finishes.
const REDRAW: Duration = Duration::from_millis(250);

/// A progress bar, or nothing, and the printer its lines go through.
pub struct Progress(Option<ProgressBar>, Printer);

impl Ticker for Progress {
    fn advance(&self, steps: usize) {
        Progress::advance(self, steps);
    }

    fn println(&self, line: &str) {
        Progress::println(self, line);
    }

    fn finish(&self) {
        Progress::finish(self);
    }
}

impl Progress {
    /// A bar of `total` steps labelled `label`, shown only when `wanted` (human output),
    /// `printer` shows progress (neither `-q` nor `-v`), stderr is a terminal and the run is
    /// longer than a handful of resources. It redraws every quarter second, so
    /// the clock runs while requests are slow, and says when `budget` holds them.
    pub fn start(
        printer: &Printer,
        wanted: bool,
        total: usize,
        label: &'static str,
        budget: BudgetWatch,
    ) -> Self {
        let printer = printer.clone();
        let shown = wanted && printer.shows_progress() && std::io::stderr().is_terminal();
        if !shown || total <= HANDFUL {
            return Self(None, printer);
        }
        let bar = ProgressBar::new(total as u64);
        let template = "{msg} [{bar:40}] {pos}/{len} ({elapsed}){budget}";
        if let Ok(style) = ProgressStyle::with_template(template) {
            let style = style.progress_chars("=> ").with_key(
                "budget",
                move |_: &ProgressState, out: &mut dyn std::fmt::Write| {
                    if let Some(wait) = budget.describe(Instant::now()) {
                        let _ = write!(out, " {wait}");
                    }
                },
            );
            bar.set_style(style);
        }
        bar.set_message(label);
        bar.enable_steady_tick(REDRAW);
        Self(Some(bar), printer)
    }

    /// One more step done.
    pub fn advance(&self, steps: usize) {
        if let Some(bar) = &self.0 {
            bar.inc(steps as u64);
        }
    }

    /// Prints a line to stdout without tearing the bar.
    pub fn println(&self, line: &str) {
        match &self.0 {
            Some(bar) => bar.suspend(|| self.1.sayln(line)),
            None => self.1.sayln(line),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
