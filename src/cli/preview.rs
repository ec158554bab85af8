//! `--now` at another instant than the API's: the live state moved to that instant by
//! Cloudflare's scheduled rotations (for a later one), and a line saying the plan is a preview,
//! at which instant, and from which reading.

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

use super::args::OutputFormat;
use super::context::RunContext;
use super::output::say;
use crate::plan::{LiveState, instant_in_words, project_scheduled_rotations};
use crate::render::Style;

/// Closer than this to the API's time, `--now` is the present, not a preview.
const PRESENT: SignedDuration = SignedDuration::from_mins(1);

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
                "Preview at {at} (--now): the live state as read at {read_at}, with Cloudflare's \
                 scheduled rotations until then; nothing keyrot would do in between is assumed."
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
pub fn print_header(preview: Option<&Preview>, format: OutputFormat, style: Style) {
    let Some(preview) = preview else {
        return;
    };
    match format {
        OutputFormat::Human => say(&format!("{}\n\n", style.yellow(&preview.header()))),
        OutputFormat::Markdown => say(&format!("> {}\n\n", preview.header())),
        OutputFormat::Json => {}
    }
}

/// The live state at the instant the rules are evaluated at, and the preview it makes when
/// `--now` is not the present by the API's clock.
pub fn at_evaluation(context: &RunContext, live: LiveState) -> (LiveState, Option<Preview>) {
    let Some(at) = context.given_now else {
        return (live, None);
    };
    let read_at = context
        .http
        .server_clock
        .at(Instant::now())
        .unwrap_or_else(Timestamp::now);
    if at.duration_since(read_at).abs() < PRESENT {
        return (live, None);
    }
    let projected = project_scheduled_rotations(&live, read_at, at);
    (projected, Some(Preview { at, read_at }))
}
