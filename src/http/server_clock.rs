//! The time by the API's own clock, from the `Date` header of its latest answer: what its
//! timestamps (`last_key_rotation_at`) are measured against.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use jiff::fmt::rfc2822::DateTimeParser;
use jiff::{SignedDuration, Timestamp};
use reqwest::header::{DATE, HeaderMap};

/// Shared by the senders of a run; cloning shares it.
#[derive(Clone, Debug, Default)]
pub struct ServerClock(Arc<Mutex<Option<Observed>>>);

#[derive(Clone, Copy, Debug)]
struct Observed {
    date: Timestamp,
    received: Instant,
}

impl ServerClock {
    /// Notes the `Date` of an answer received at `received`; an answer without a readable one
    /// changes nothing.
    pub fn observe(&self, headers: &HeaderMap, received: Instant) {
        let date = headers
            .get(DATE)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| DateTimeParser::new().parse_timestamp(text).ok());
        if let Some(date) = date {
            *self.lock() = Some(Observed { date, received });
        }
    }

    /// The API's time at `now` (a local instant), if an answer told it.
    pub fn at(&self, now: Instant) -> Option<Timestamp> {
        let observed = (*self.lock())?;
        let since = now.saturating_duration_since(observed.received);
        let since = SignedDuration::try_from(since).ok()?;
        observed.date.checked_add(since).ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Observed>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_api_time_runs_on_from_its_last_date_header() {
        let clock = ServerClock::default();
        let received = Instant::now();
        assert_eq!(clock.at(received), None);
        let mut headers = HeaderMap::new();
        headers.insert(DATE, "Mon, 01 Mar 2027 00:00:00 GMT".parse().unwrap());
        clock.observe(&headers, received);
        let later = received + Duration::from_secs(90);
        assert_eq!(
            clock.at(later),
            Some("2027-03-01T00:01:30Z".parse().unwrap())
        );
        headers.insert(DATE, "not a date".parse().unwrap());
        clock.observe(&headers, later);
        assert_eq!(
            clock.at(received),
            Some("2027-03-01T00:00:00Z".parse().unwrap())
        );
    }
}
