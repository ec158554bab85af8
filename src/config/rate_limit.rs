//! Request budgets: `N/DURATION`, as in `1200/5m`, `30/1s` or `10/s` (`m` is minutes).

use std::fmt;

use jiff::SignedDuration;

use super::duration::{DurationError, format_duration, parse_duration};

/// At most `requests` in any sliding window of `per`: the server's own meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// How many requests a window may hold.
    pub requests: u32,
    /// The window's length.
    pub per: SignedDuration,
}

impl RateLimit {
    /// The budget towards an API that documents no limit: 10 requests per second.
    pub const UNDOCUMENTED: Self = Self {
        requests: 10,
        per: SignedDuration::from_secs(1),
    };
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}/{}", self.requests, format_duration(self.per))
    }
}

const EXPECTED: &str = "expected N/DURATION such as 1200/5m, 30/1s or 10/s";

/// Why a text is not a rate limit; each message says what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitError {
    /// No `/` between the count and the window.
    #[error("`{0}` is not a rate limit; {expected}", expected = EXPECTED)]
    NotARateLimit(String),
    /// The count is not a whole number above 0.
    #[error("`{0}`: the request count must be a whole number above 0; {expected}", expected = EXPECTED)]
    Count(String),
    /// The window is not a duration.
    #[error("`{text}`: {error}")]
    Window {
        /// As given.
        text: String,
        /// Why its window is not a duration.
        error: DurationError,
    },
    /// A window of zero.
    #[error("`{0}`: the window must be longer than zero")]
    EmptyWindow(String),
}

/// Parses `N/DURATION`; a bare unit means one of it (`10/s` is `10/1s`).
pub fn parse_rate_limit(text: &str) -> Result<RateLimit, RateLimitError> {
    let (count, window) = text
        .trim()
        .split_once('/')
        .ok_or_else(|| RateLimitError::NotARateLimit(text.to_owned()))?;
    let requests: u32 = count
        .trim()
        .parse()
        .ok()
        .filter(|requests| *requests > 0)
        .ok_or_else(|| RateLimitError::Count(text.to_owned()))?;
    let window = window.trim();
    let starts_with_unit = window.starts_with(|c: char| c.is_ascii_alphabetic() && c != 'P');
    let per = if starts_with_unit {
        parse_duration(&format!("1{window}"))
    } else {
        parse_duration(window)
    }
    .map_err(|error| RateLimitError::Window {
        text: text.to_owned(),
        error,
    })?;
    if per.is_zero() {
        return Err(RateLimitError::EmptyWindow(text.to_owned()));
    }
    Ok(RateLimit { requests, per })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_forms_parse() {
        let minutes = SignedDuration::from_mins;
        assert_eq!(
            parse_rate_limit("1200/5m"),
            Ok(RateLimit {
                requests: 1200,
                per: minutes(5)
            })
        );
        assert_eq!(
            parse_rate_limit("30/1s"),
            Ok(RateLimit {
                requests: 30,
                per: SignedDuration::from_secs(1)
            })
        );
        assert_eq!(
            parse_rate_limit("10/s"),
            Ok(RateLimit {
                requests: 10,
                per: SignedDuration::from_secs(1)
            })
        );
        assert_eq!(
            parse_rate_limit("100/PT1M"),
            Ok(RateLimit {
                requests: 100,
                per: minutes(1)
            })
        );
    }

    #[test]
    fn nonsense_is_refused_with_the_expected_form() {
        for text in [
            "", "10", "0/1s", "-1/1s", "x/1s", "10/", "10/0s", "10/3mo", "10/x",
        ] {
            assert!(parse_rate_limit(text).is_err(), "{text}");
        }
    }

    #[test]
    fn displays_as_written() {
        assert_eq!(RateLimit::UNDOCUMENTED.to_string(), "10/1s");
    }
}
