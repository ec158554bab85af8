//! The clock the command line gives the apply engine (the engine itself never reads the real
//! time): the API's own, from the `Date` of its latest answer, which its timestamps
//! (`last_key_rotation_at`, `created_at`) are measured against; the system's until an answer
//! has told it. `--now` never moves it.

use jiff::{SignedDuration, Timestamp};

use crate::apply::Clock;
use crate::http::{ClockTrouble, ServerClock};

/// The system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// The API's clock, or the system's before any answer; in trouble when its answers stray
/// further than `max_skew` from this machine's clock or jump by more within the run.
#[derive(Clone, Debug)]
pub struct ApiClock {
    /// What the answers told.
    pub server: ServerClock,
    /// `settings.max_clock_skew`.
    pub max_skew: SignedDuration,
}

impl Clock for ApiClock {
    fn now(&self) -> Timestamp {
        self.server
            .at(tokio::time::Instant::now())
            .unwrap_or_else(Timestamp::now)
    }

    fn trouble(&self) -> Option<ClockTrouble> {
        self.server.trouble(self.max_skew)
    }
}
