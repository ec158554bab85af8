//! The sandbox's sense of now: the system clock, a fixed instant for repeatable tests, or one
//! that runs with tokio's clock for simulations.

use jiff::{SignedDuration, Timestamp};

/// Where the sandbox reads the current time from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The machine's clock.
    System,
    /// Always this instant.
    Fixed(Timestamp),
    /// `at` when tokio's clock read `since`, and later as tokio's clock moves on: in a
    /// runtime whose clock is paused, hours pass in moments (benchmark i simulates a day).
    Tokio {
        /// The instant at `since`.
        at: Timestamp,
        /// Tokio's clock at `at`.
        since: tokio::time::Instant,
    },
}

impl Clock {
    /// A clock that stands at `at` now and runs with tokio's clock from here.
    pub fn tokio_from(at: Timestamp) -> Self {
        Self::Tokio {
            at,
            since: tokio::time::Instant::now(),
        }
    }

    /// The current instant by this clock, to the whole second as the sandbox reports times.
    pub fn now(self) -> Timestamp {
        let now = match self {
            Self::System => Timestamp::now(),
            Self::Fixed(instant) => instant,
            Self::Tokio { at, since } => SignedDuration::try_from(since.elapsed())
                .ok()
                .and_then(|elapsed| at.checked_add(elapsed).ok())
                .unwrap_or(Timestamp::MAX),
        };
        Timestamp::from_second(now.as_second()).unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_tokio_clock_moves_with_tokio_to_the_whole_second() {
        let at: Timestamp = "2026-12-06T10:00:00Z".parse().unwrap();
        let clock = Clock::tokio_from(at);
        assert_eq!(clock.now(), at);
        tokio::time::sleep(Duration::from_millis(90_500)).await;
        assert_eq!(clock.now(), at + SignedDuration::from_secs(90));
    }
}
