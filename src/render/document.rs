//! What a rendered document is about, in every format: which command made it, and how far
//! ahead it looks for deadlines.

use jiff::SignedDuration;
use serde::Serialize;

/// How far ahead the plan lists deadlines whose windows are about to open.
pub const UPCOMING_HORIZON: SignedDuration = SignedDuration::from_hours(30 * 24);

/// Which command made the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    /// `keyrot plan`.
    Plan,
    /// `keyrot show`.
    Show,
    /// `keyrot apply`.
    Apply,
    /// `keyrot drift`.
    Drift,
}
