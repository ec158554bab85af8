//! What Cloudflare's documents say that this folder's section, client and importer rely on:
//! the request budget, the range of `key_rotation_interval_days`, the error code of an account
//! whose Access keys are not enabled, and the codes of refused credentials.

use jiff::SignedDuration;

use crate::config::RateLimit;

/// Cloudflare's documented limit: 1200 requests per 5 minutes per token.
pub const RATE_LIMIT: RateLimit = RateLimit {
    requests: 1200,
    per: SignedDuration::from_secs(300),
};

/// The budget every Cloudflare section spends: one user's requests, whichever section (Access
/// keys, API tokens) sends them.
pub const BUDGET: &str = "cloudflare";

/// The shortest automatic rotation interval Cloudflare accepts, in days.
pub const MIN_INTERVAL_DAYS: u16 = 21;
/// The longest automatic rotation interval Cloudflare accepts, in days.
pub const MAX_INTERVAL_DAYS: u16 = 365;

/// The error code of `GET /accounts/{id}/access/keys` for an account whose Access key
/// configuration is not enabled.
pub const CODE_NOT_ENABLED: i64 = 12109;

/// The error codes Cloudflare answers a request whose credentials it refuses with: 10000
/// "Authentication error" (HTTP 403), 9109 "Invalid access token" and 6003 "Invalid request
/// headers" (a malformed token).
pub const CODES_CREDENTIALS_REFUSED: [i64; 3] = [10000, 9109, 6003];

/// The interval keyrot can manage for a live value: a whole number of days in Cloudflare's
/// range, or none.
pub fn manageable_interval(days: f64) -> Option<u16> {
    let range = f64::from(MIN_INTERVAL_DAYS)..=f64::from(MAX_INTERVAL_DAYS);
    (days.fract() == 0.0 && range.contains(&days)).then_some(days as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_days_in_range_are_manageable() {
        assert_eq!(manageable_interval(21.0), Some(21));
        assert_eq!(manageable_interval(365.0), Some(365));
        assert_eq!(manageable_interval(20.0), None);
        assert_eq!(manageable_interval(366.0), None);
        assert_eq!(manageable_interval(30.5), None);
        assert_eq!(manageable_interval(f64::NAN), None);
    }
}
