//! The apply engine's clock, an input like its providers, so a test can run it at any instant;
//! the command line gives it the system's.

use jiff::{SignedDuration, Timestamp};

use crate::http::ClockTrouble;

/// How far `--now` may be from the clock and still be the present: further ahead, plan makes
/// a preview and apply refuses, for apply acts on the live state as it is now.
pub const PRESENT: SignedDuration = SignedDuration::from_mins(1);

/// Tells the real time; the engine asks it before each rotate.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;

    /// Why the clock cannot be trusted for a rotation that depends on the time, if it cannot:
    /// the API's clock far from this machine's, or jumping within the run.
    fn trouble(&self) -> Option<ClockTrouble> {
        None
    }
}

/// A clock stopped at one instant, for tests and rehearsals.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}
