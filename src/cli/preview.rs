//! `--now` at another instant than the API's: the live state moved to that instant by
//! the vendors' own scheduled rotations (for a later one), and a line saying the plan is a preview,
//! at which instant, and from which reading.

use jiff::Timestamp;

use super::args::OutputFormat;
use super::context::RunContext;
use super::output::Printer;
use crate::apply::{Clock, PRESENT};
use crate::config::DesiredState;
use crate::http::ClockTrouble;
use crate::plan::{ClockWarning, LiveState, instant_in_words, project_scheduled_rotations};
use crate::render::Style;

/// A plan evaluated at another instant than the one its live state was read at.
pub struct Preview {
    /// The instant the rules were evaluated at (`--now`).
    pub at: Timestamp,
    /// When the live state was read, by the API's clock.
    pub read_at: Timestamp,
}

impl Preview {
    /// The line that heads the plan.
    pub fn header(&self) -> String {
        let at = instant_in_words(self.at);
        let read_at = instant_in_words(self.read_at);
        if self.at > self.read_at {
            format!(
                "Preview at {at} (--now): the live state as read at {read_at}, with the vendors' \
                 own scheduled rotations until then; nothing keyrot would do in between is \
                 assumed."
            )
        } else {
            format!(
                "Evaluated at {at} (--now), before the live state was read at {read_at}: the \
                 state as it is now, judged by the rules at that instant."
            )
        }
    }
}

/// Heads a plan printed as `format` with the preview's line; JSON carries `now` already.
pub fn print_header(
    printer: &Printer,
    preview: Option<&Preview>,
    format: OutputFormat,
    style: Style,
) {
    let Some(preview) = preview else {
        return;
    };
    match format {
        OutputFormat::Human => printer.say(&format!("{}\n\n", style.yellow(&preview.header()))),
        OutputFormat::Markdown => printer.say(&format!("> {}\n\n", preview.header())),
        OutputFormat::Json => {}
    }
}

/// The live state, the instant its rules are evaluated at, and whether that makes a preview.
pub struct Evaluation {
    /// The live state as read, or as projected to a later `--now`.
    pub live: LiveState,
    /// `--now`, or the time by the API's clock (this machine's before any answer).
    pub now: Timestamp,
    /// Set when `--now` is not the present by the API's clock.
    pub preview: Option<Preview>,
    /// Set when the API's clock strayed from this machine's (or `--now`, unless this is a
    /// preview, which says how they differ) or jumped while it was read.
    pub clock_trouble: Option<ClockWarning>,
}

/// Evaluates `live` at `--now` when given, else at the API's time; a later `--now` moves the
/// live state there by the vendors' own scheduled rotations.
pub fn at_evaluation(context: &RunContext, desired: &DesiredState, live: LiveState) -> Evaluation {
    let clock = context.api_clock(desired);
    let read_at = clock.now();
    let trouble = clock.trouble();
    let warning = |trouble: ClockTrouble| trouble.warning();
    let Some(at) = context.given_now else {
        return Evaluation {
            live,
            now: read_at,
            preview: None,
            clock_trouble: trouble.map(warning),
        };
    };
    if at.duration_since(read_at).abs() < PRESENT {
        return Evaluation {
            live,
            now: at,
            preview: None,
            clock_trouble: trouble.map(warning),
        };
    }
    Evaluation {
        live: project_scheduled_rotations(&live, read_at, at),
        now: at,
        preview: Some(Preview { at, read_at }),
        clock_trouble: trouble
            .filter(|trouble| matches!(trouble, ClockTrouble::Jump { .. }))
            .map(warning),
    }
}
