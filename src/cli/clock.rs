//! The system's clock, which the command line gives the apply engine (the engine itself never
//! reads the real time).

use jiff::Timestamp;

use crate::apply::Clock;

/// The system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}
