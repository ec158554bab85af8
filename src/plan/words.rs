//! Plain-words formatting of ages and instants, shared by reasons and renderers.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// An age or a span in whole days, hours or minutes: "131 days", "5 hours", "1 minute".
pub fn span_in_words(span: SignedDuration) -> String {
    let seconds = span.as_secs().max(0);
    let (count, unit) = match seconds {
        s if s >= 86_400 => (s / 86_400, "day"),
        s if s >= 3_600 => (s / 3_600, "hour"),
        s if s >= 60 => (s / 60, "minute"),
        s => (s, "second"),
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural}")
}

/// An instant to the minute in UTC: "2026-11-29 06:00 UTC".
pub fn instant_in_words(instant: Timestamp) -> String {
    instant
        .to_zoned_datetime(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M UTC")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_use_the_largest_whole_unit() {
        assert_eq!(
            span_in_words(SignedDuration::from_hours(131 * 24 + 5)),
            "131 days"
        );
        assert_eq!(span_in_words(SignedDuration::from_hours(24)), "1 day");
        assert_eq!(span_in_words(SignedDuration::from_hours(5)), "5 hours");
        assert_eq!(span_in_words(SignedDuration::from_mins(1)), "1 minute");
        assert_eq!(span_in_words(SignedDuration::from_secs(0)), "0 seconds");
        assert_eq!(span_in_words(SignedDuration::from_secs(-5)), "0 seconds");
    }

    #[test]
    fn instants_are_shown_in_utc_to_the_minute() {
        let instant: Timestamp = "2026-11-29T15:00:59+09:00".parse().unwrap();
        assert_eq!(instant_in_words(instant), "2026-11-29 06:00 UTC");
    }
}
