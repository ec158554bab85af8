//! How long a provider's requests are being held (for its request budget, the API's, or a
//! retry's backoff), so that a progress bar can say what keyrot waits for rather than look hung.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::config::RateLimit;

/// Shared by the limiters of a run and whatever shows their waits; cloning shares it.
#[derive(Clone, Debug, Default)]
pub struct BudgetWatch(Arc<Mutex<Option<Held>>>);

#[derive(Clone, Debug)]
struct Held {
    until: Instant,
    why: Why,
}

/// Who holds the requests.
#[derive(Clone, Debug)]
enum Why {
    /// keyrot's own `rate_limit`.
    Budget(RateLimit),
    /// The API said its budget is spent (a 429, or a `Ratelimit` header).
    Server,
    /// A request failed and is tried again after a backoff: `HTTP 503`.
    Retry(String),
}

impl BudgetWatch {
    /// Requests under `rate` are held until `until`.
    pub fn holding(&self, until: Instant, rate: RateLimit) {
        *self.lock() = Some(Held {
            until,
            why: Why::Budget(rate),
        });
    }

    /// The API asked for requests to be held until `until`.
    pub fn paused_by_the_api(&self, until: Instant) {
        *self.lock() = Some(Held {
            until,
            why: Why::Server,
        });
    }

    /// A request that failed with `cause` is tried again at `until`.
    pub fn retrying(&self, until: Instant, cause: &str) {
        // The status or the first words are enough on a bar: `HTTP 503`, `connection refused`.
        let short: String = cause
            .split(':')
            .next()
            .unwrap_or(cause)
            .chars()
            .take(40)
            .collect();
        *self.lock() = Some(Held {
            until,
            why: Why::Retry(short),
        });
    }

    /// A held request started: the wait is over.
    pub fn released(&self) {
        *self.lock() = None;
    }

    /// `waiting 4m52s for the request budget (1200/5m)` while requests are held for a second
    /// or more after `now`; nothing otherwise.
    pub fn describe(&self, now: Instant) -> Option<String> {
        let held = self.lock().clone()?;
        let left = held.until.checked_duration_since(now)?;
        let left = compact(left.as_secs());
        (left != "0s").then(|| match held.why {
            Why::Budget(rate) => format!("waiting {left} for the request budget ({rate})"),
            Why::Server => format!("waiting {left}: the API asked keyrot to slow down"),
            Why::Retry(cause) => format!("retrying in {left} after {cause}"),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Held>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `4m52s`, `52s`, `1h03m`: the two largest units.
fn compact(seconds: u64) -> String {
    match (seconds / 3600, seconds % 3600 / 60, seconds % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use jiff::SignedDuration;

    #[test]
    fn a_wait_is_described_while_it_lasts_a_second_or_more() {
        let watch = BudgetWatch::default();
        let now = Instant::now();
        let rate = RateLimit {
            requests: 1200,
            per: SignedDuration::from_mins(5),
        };
        assert_eq!(watch.describe(now), None);
        watch.holding(now + Duration::from_secs(292), rate);
        assert_eq!(
            watch.clone().describe(now).as_deref(),
            Some("waiting 4m52s for the request budget (1200/5m)")
        );
        assert_eq!(watch.describe(now + Duration::from_millis(291_500)), None);
        watch.released();
        assert_eq!(watch.describe(now), None);
        watch.paused_by_the_api(now + Duration::from_secs(7));
        assert_eq!(
            watch.describe(now).as_deref(),
            Some("waiting 7s: the API asked keyrot to slow down")
        );
        watch.retrying(
            now + Duration::from_secs(3),
            "HTTP 503: 10502 Service unavailable",
        );
        assert_eq!(
            watch.describe(now).as_deref(),
            Some("retrying in 3s after HTTP 503")
        );
    }

    #[test]
    fn waits_read_in_their_two_largest_units() {
        assert_eq!(compact(52), "52s");
        assert_eq!(compact(292), "4m52s");
        assert_eq!(compact(3780), "1h03m");
    }
}
