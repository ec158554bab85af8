//! The time by the API's own clock, from the `Date` header of its latest answer: what its
//! timestamps (`last_key_rotation_at`) are measured against; and how far it is from this
//! machine's clock, and how much it jumped within the run, so that a clock that lies is caught.

use std::fmt;
use std::sync::{Arc, Mutex};

use jiff::fmt::rfc2822::DateTimeParser;
use jiff::{SignedDuration, Timestamp};
use reqwest::header::{DATE, HeaderMap};
use tokio::time::Instant;

use crate::plan::{ClockWarning, instant_in_words, span_in_words};

/// Shared by the senders of a run; cloning shares it. Local instants are tokio's: the
/// machine's monotonic clock, or a paused runtime's in a simulation.
#[derive(Clone, Debug, Default)]
pub struct ServerClock(Arc<Mutex<Observations>>);

#[derive(Clone, Copy, Debug)]
struct Observed {
    date: Timestamp,
    received: Instant,
}

#[derive(Debug, Default)]
struct Observations {
    /// This machine's time at a local instant: the system clock, or `--now` when a command
    /// takes it as the present; `None` when nothing says what the present is.
    local: Option<(Instant, Timestamp)>,
    first: Option<Observed>,
    latest: Option<Observed>,
    /// The answer whose `Date` was furthest from the local clock.
    widest_skew: Option<Observed>,
    /// The answer whose `Date` moved furthest from where the first one's would be by then.
    widest_jump: Option<Observed>,
}

/// Why the API's clock cannot be trusted for a decision that depends on the time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClockTrouble {
    /// The API's time and the local time differ by more than the bound.
    Skew {
        /// The API's time, from an answer's `Date`.
        api: Timestamp,
        /// This machine's time (or `--now`) when that answer arrived.
        local: Timestamp,
        /// `settings.max_clock_skew`.
        bound: SignedDuration,
    },
    /// Within one run, the API's `Date` moved by more than the bound against the time that
    /// passed on this machine.
    Jump {
        /// Where the API's clock would be by then, from its first answer.
        expected: Timestamp,
        /// What an answer's `Date` said instead.
        api: Timestamp,
        /// `settings.max_clock_skew`.
        bound: SignedDuration,
    },
}

impl ClockTrouble {
    /// What a plan says of it.
    pub fn warning(&self) -> ClockWarning {
        ClockWarning {
            message: self.to_string(),
            skew_seconds: self.seconds(),
        }
    }

    /// How far the API's clock is from the reference, in seconds: positive when ahead.
    pub fn seconds(&self) -> i64 {
        match self {
            Self::Skew { api, local, .. } => whole_seconds(*api, *local),
            Self::Jump { expected, api, .. } => whole_seconds(*api, *expected),
        }
    }
}

/// `api - reference` to the nearest second (the `Date` header has no finer resolution).
fn whole_seconds(api: Timestamp, reference: Timestamp) -> i64 {
    api.duration_since(reference).as_secs_f64().round() as i64
}

/// "30 days ahead of", "5 minutes behind": to the nearest whole unit, since the two clocks
/// were read moments apart.
fn ahead_or_behind(api: Timestamp, reference: Timestamp) -> String {
    let seconds = whole_seconds(api, reference).abs();
    let unit = [86_400, 3_600, 60, 1]
        .into_iter()
        .find(|unit| seconds >= unit - unit / 10)
        .unwrap_or(1);
    let rounded = (seconds + unit / 2) / unit * unit;
    let by = span_in_words(SignedDuration::from_secs(rounded));
    if api > reference {
        format!("{by} ahead of")
    } else {
        format!("{by} behind")
    }
}

impl fmt::Display for ClockTrouble {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::Skew { api, local, bound } => write!(
                f,
                "the API's clock (Date: {}) is {} this machine's ({}), more than \
                 max_clock_skew ({}) allows: no rotation that depends on the time (age, \
                 deadline, gap) can be trusted. Check this machine's clock (NTP) and the API's",
                instant_in_words(*api),
                ahead_or_behind(*api, *local),
                instant_in_words(*local),
                span_in_words(*bound),
            ),
            Self::Jump {
                expected,
                api,
                bound,
            } => write!(
                f,
                "the API's clock jumped during this run: an answer's Date ({}) is {} where its \
                 first answer puts it ({}), more than max_clock_skew ({}) allows: no rotation \
                 that depends on the time (age, deadline, gap) can be trusted",
                instant_in_words(*api),
                ahead_or_behind(*api, *expected),
                instant_in_words(*expected),
                span_in_words(*bound),
            ),
        }
    }
}

impl ServerClock {
    /// A clock whose answers are compared with `local`, the present at this moment (the
    /// system clock, or `--now`).
    pub fn against(local: Timestamp) -> Self {
        let clock = Self::default();
        clock.lock().local = Some((Instant::now(), local));
        clock
    }

    /// Forgets every answer so far and compares later ones with `local`, the present at this
    /// moment: a new run in a process that runs many (`keyrot serve`'s cycles).
    pub fn restart(&self, local: Timestamp) {
        let mut observations = self.lock();
        *observations = Observations::default();
        observations.local = Some((Instant::now(), local));
    }

    /// Notes the `Date` of an answer received at `received`; an answer without a readable one
    /// changes nothing.
    pub fn observe(&self, headers: &HeaderMap, received: Instant) {
        let date = headers
            .get(DATE)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| DateTimeParser::new().parse_timestamp(text).ok());
        if let Some(date) = date {
            self.lock().note(Observed { date, received });
        }
    }

    /// The API's time at `now` (a local instant), if an answer told it.
    pub fn at(&self, now: Instant) -> Option<Timestamp> {
        let observed = self.lock().latest?;
        let since = now.saturating_duration_since(observed.received);
        let since = SignedDuration::try_from(since).ok()?;
        observed.date.checked_add(since).ok()
    }

    /// Why the API's clock cannot be trusted, if its answers so far were further than `bound`
    /// from the local clock, or jumped by more than `bound` within the run.
    pub fn trouble(&self, bound: SignedDuration) -> Option<ClockTrouble> {
        let observations = self.lock();
        let skew = observations.widest_skew.and_then(|observed| {
            let local = observations.local_at(observed.received)?;
            (observed.date.duration_since(local).abs() > bound).then_some(ClockTrouble::Skew {
                api: observed.date,
                local,
                bound,
            })
        });
        skew.or_else(|| {
            let observed = observations.widest_jump?;
            let expected = observations.expected_at(observed.received)?;
            (observed.date.duration_since(expected).abs() > bound).then_some(ClockTrouble::Jump {
                expected,
                api: observed.date,
                bound,
            })
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Observations> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Observations {
    fn note(&mut self, observed: Observed) {
        self.first.get_or_insert(observed);
        self.latest = Some(observed);
        let skew = |o: &Observed| {
            self.local_at(o.received)
                .map(|local| o.date.duration_since(local).abs())
        };
        if self.widest_skew.as_ref().and_then(skew) <= skew(&observed) {
            self.widest_skew = Some(observed);
        }
        let jump = |o: &Observed| {
            self.expected_at(o.received)
                .map(|expected| o.date.duration_since(expected).abs())
        };
        if self.widest_jump.as_ref().and_then(jump) <= jump(&observed) {
            self.widest_jump = Some(observed);
        }
    }

    /// The local time at `instant`.
    fn local_at(&self, instant: Instant) -> Option<Timestamp> {
        let (start, local) = self.local?;
        later_by(local, start, instant)
    }

    /// Where the API's clock would be at `instant`, from its first answer.
    fn expected_at(&self, instant: Instant) -> Option<Timestamp> {
        let first = self.first?;
        later_by(first.date, first.received, instant)
    }
}

/// `at` moved by the time from `from` to `to` (either way).
fn later_by(at: Timestamp, from: Instant, to: Instant) -> Option<Timestamp> {
    let forward = SignedDuration::try_from(to.saturating_duration_since(from)).ok()?;
    let backward = SignedDuration::try_from(from.saturating_duration_since(to)).ok()?;
    at.checked_add(forward - backward).ok()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn headers(date: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(DATE, date.parse().unwrap());
        headers
    }

    const BOUND: SignedDuration = SignedDuration::from_mins(5);

    #[test]
    fn the_api_time_runs_on_from_its_last_date_header() {
        let clock = ServerClock::default();
        let received = Instant::now();
        assert_eq!(clock.at(received), None);
        clock.observe(&headers("Mon, 01 Mar 2027 00:00:00 GMT"), received);
        let later = received + Duration::from_secs(90);
        assert_eq!(
            clock.at(later),
            Some("2027-03-01T00:01:30Z".parse().unwrap())
        );
        clock.observe(&headers("not a date"), later);
        assert_eq!(
            clock.at(received),
            Some("2027-03-01T00:00:00Z".parse().unwrap())
        );
    }

    #[test]
    fn a_date_within_the_bound_of_the_local_clock_is_no_trouble() {
        let clock = ServerClock::against("2027-03-01T00:00:00Z".parse().unwrap());
        clock.observe(&headers("Mon, 01 Mar 2027 00:04:59 GMT"), Instant::now());
        assert_eq!(clock.trouble(BOUND), None);
    }

    #[test]
    fn a_date_a_month_ahead_or_a_year_behind_is_skew_naming_both_clocks() {
        for (date, words) in [
            ("Wed, 31 Mar 2027 00:00:00 GMT", "30 days ahead of"),
            ("Sun, 01 Mar 2026 00:00:00 GMT", "365 days behind"),
        ] {
            let clock = ServerClock::against("2027-03-01T00:00:00Z".parse().unwrap());
            clock.observe(&headers(date), Instant::now());
            let trouble = clock.trouble(BOUND).expect("skew");
            let message = trouble.to_string();
            assert!(message.contains(words), "{message}");
            assert!(message.contains("2027-03-01 00:00 UTC"), "{message}");
            assert!(message.contains("max_clock_skew (5 minutes)"), "{message}");
        }
    }

    #[test]
    fn a_date_that_jumps_within_the_run_is_trouble_even_without_a_local_reference() {
        let clock = ServerClock::default();
        let start = Instant::now();
        clock.observe(&headers("Mon, 01 Mar 2027 00:00:00 GMT"), start);
        clock.observe(
            &headers("Mon, 01 Mar 2027 00:01:00 GMT"),
            start + Duration::from_secs(60),
        );
        assert_eq!(clock.trouble(BOUND), None);
        clock.observe(
            &headers("Wed, 31 Mar 2027 00:02:00 GMT"),
            start + Duration::from_secs(120),
        );
        let trouble = clock.trouble(BOUND).expect("a jump");
        assert!(matches!(trouble, ClockTrouble::Jump { .. }), "{trouble:?}");
        assert_eq!(trouble.seconds(), 30 * 86_400);
        // A later answer back in step does not hide the jump.
        clock.observe(
            &headers("Mon, 01 Mar 2027 00:03:00 GMT"),
            start + Duration::from_secs(180),
        );
        assert!(clock.trouble(BOUND).is_some());
    }
}
