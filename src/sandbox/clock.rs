//! The sandbox's sense of now: the system clock, or a fixed instant for repeatable tests.

use jiff::Timestamp;

/// Where the sandbox reads the current time from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The machine's clock.
    System,
    /// Always this instant.
    Fixed(Timestamp),
}

impl Clock {
    /// The current instant by this clock, to the whole second as the sandbox reports times.
    pub fn now(self) -> Timestamp {
        let now = match self {
            Self::System => Timestamp::now(),
            Self::Fixed(instant) => instant,
        };
        Timestamp::from_second(now.as_second()).unwrap_or(now)
    }
}
