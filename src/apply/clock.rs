//! The apply engine's clock, an input like its providers, so a test can run it at any instant;
//! the command line gives it the system's.

use jiff::Timestamp;

/// Tells the real time; the engine asks it before each rotate.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// A clock stopped at one instant, for tests and rehearsals.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}
