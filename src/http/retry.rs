//! When and how long to wait before trying a request again.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How hard to try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: usize,
    /// The most time spent waiting between attempts of one request.
    pub max_total_delay: Duration,
    /// The first backoff delay.
    pub min_delay: Duration,
    /// The longest single backoff delay (a server's `Retry-After` may ask for longer).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            max_total_delay: Duration::from_secs(300),
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Exponential delays with jitter, one per retry.
    pub(crate) fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::default()
            .with_jitter()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.attempts.saturating_sub(1))
            .build()
    }
}

/// Statuses that say "try again": 408, 429 and every 5xx.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..=599).contains(&status)
}

/// `Retry-After` as a delay: seconds, or an HTTP date (counted from now).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate_to_timestamp(text)?;
    let wait = date.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

fn httpdate_to_timestamp(text: &str) -> Option<jiff::Timestamp> {
    jiff::fmt::rfc2822::parse(text)
        .ok()
        .map(|zoned| zoned.timestamp())
}

/// From a `Ratelimit` header (`"default";r=50;t=30`): requests remaining and seconds until the
/// window resets.
pub(crate) fn remaining_budget(headers: &HeaderMap) -> Option<(u64, u64)> {
    let text = headers.get("ratelimit")?.to_str().ok()?;
    let parameter = |name: &str| {
        text.split(';')
            .filter_map(|part| part.trim().split_once('='))
            .find(|(key, _)| key.trim() == name)
            .and_then(|(_, value)| value.trim().parse::<u64>().ok())
    };
    Some((parameter("r")?, parameter("t")?))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn retryable_statuses() {
        for status in [408, 429, 500, 502, 503, 504, 599] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [200, 400, 401, 403, 404, 409, 422] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        assert_eq!(
            retry_after(&headers("retry-after", "30")),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after(&headers("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers("retry-after", "soon")), None);
    }

    #[test]
    fn ratelimit_header_parameters() {
        assert_eq!(
            remaining_budget(&headers("ratelimit", "\"default\";r=50;t=30")),
            Some((50, 30))
        );
        assert_eq!(
            remaining_budget(&headers("ratelimit", "\"default\";t=30")),
            None
        );
    }

    #[test]
    fn delays_are_bounded_in_number_and_size() {
        let policy = RetryPolicy::default();
        let delays: Vec<Duration> = policy.delays().collect();
        assert_eq!(delays.len(), 4);
        assert!(delays.iter().all(|delay| *delay <= policy.max_delay * 2));
    }
}
