//! The clock the command line gives the apply engine (the engine itself never reads the real
//! time): the API's own, from the `Date` of its latest answer, which its timestamps
//! (`last_key_rotation_at`, `created_at`) are measured against; the system's until an answer
//! has told it. `--now` never moves it.

use jiff::Timestamp;

use crate::apply::Clock;
use crate::http::ServerClock;

/// The system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// The API's clock, or the system's before any answer.
#[derive(Clone, Debug)]
pub struct ApiClock(pub ServerClock);

impl Clock for ApiClock {
    fn now(&self) -> Timestamp {
        self.0
            .at(std::time::Instant::now())
            .unwrap_or_else(Timestamp::now)
    }
}
