//! Durations in the desired-state file: `30s`, `15m` (minutes), `12h`, `90d`, `2w`, or ISO 8601
//! such as `P90D`. Months and years are refused: their lengths vary.

use jiff::{SignedDuration, Span, SpanRelativeTo};

const EXPECTED: &str = "expected a duration such as 30s, 15m, 12h, 90d, 2w or P90D";

/// Why a text is not a duration keyrot accepts; each message says what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// A negative duration.
    #[error("`{0}` is negative; {expected}", expected = EXPECTED)]
    Negative(String),
    /// A number without its unit.
    #[error("`{0}` has no unit; {expected}", expected = EXPECTED)]
    NoUnit(String),
    /// Not a duration at all.
    #[error("`{0}` is not a duration; {expected}", expected = EXPECTED)]
    NotADuration(String),
    /// Longer than keyrot accepts.
    #[error("`{0}` is too long; at most 100 years of days is accepted")]
    TooLong(String),
    /// Starts like ISO 8601 but is not.
    #[error("`{0}` is not an ISO 8601 duration; {expected}", expected = EXPECTED)]
    NotIso8601(String),
    /// Beyond what a duration can hold.
    #[error("`{0}` is out of range; {expected}", expected = EXPECTED)]
    OutOfRange(String),
    /// Months or years, whose lengths vary.
    #[error("`{0}` uses months or years, whose lengths vary; use days or weeks (e.g. 90d, 12w)")]
    MonthsOrYears(String),
    /// A unit spelled out (`3 days`), with the way to write it (`3d`).
    #[error("`{text}` is written `{written}`; {expected}", expected = EXPECTED)]
    SpelledOut {
        /// As given.
        text: String,
        /// As keyrot reads it.
        written: String,
    },
}

/// Parses a duration; the error says what was expected.
pub fn parse_duration(text: &str) -> Result<SignedDuration, DurationError> {
    let text = text.trim();
    let duration = if text.starts_with(['P', 'p']) {
        parse_iso8601(text)?
    } else {
        parse_short(text)?
    };
    if duration.is_negative() {
        return Err(DurationError::Negative(text.to_owned()));
    }
    Ok(duration)
}

/// `<whole number><unit>`, unit one of s, m, h, d, w.
fn parse_short(text: &str) -> Result<SignedDuration, DurationError> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    let seconds_per_unit: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        "" if !digits.is_empty() => return Err(DurationError::NoUnit(text.to_owned())),
        _ => return Err(unit_in_words(text, digits, unit)),
    };
    let count: i64 = digits
        .parse()
        .map_err(|_| DurationError::NotADuration(text.to_owned()))?;
    count
        .checked_mul(seconds_per_unit)
        .filter(|seconds| *seconds <= MAX_SECONDS)
        .map(SignedDuration::from_secs)
        .ok_or_else(|| DurationError::TooLong(text.to_owned()))
}

/// About a hundred years: far beyond any sensible rotation setting, far within jiff's range.
const MAX_SECONDS: i64 = 36_525 * 86_400;

fn parse_iso8601(text: &str) -> Result<SignedDuration, DurationError> {
    let span: Span = text
        .parse()
        .map_err(|_| DurationError::NotIso8601(text.to_owned()))?;
    if span.get_years() != 0 || span.get_months() != 0 {
        return Err(DurationError::MonthsOrYears(text.to_owned()));
    }
    let duration = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|_| DurationError::OutOfRange(text.to_owned()))?;
    if duration.as_secs() > MAX_SECONDS {
        return Err(DurationError::TooLong(text.to_owned()));
    }
    Ok(duration)
}

/// Why `text` (`digits` then `unit`) is not a duration, naming the way to write it when the
/// unit is spelled out (`3 days` is `3d`).
fn unit_in_words(text: &str, digits: &str, unit: &str) -> DurationError {
    let unit = unit.trim().to_ascii_lowercase();
    let short = match unit.as_str() {
        "mo" | "mos" | "month" | "months" | "y" | "yr" | "yrs" | "year" | "years" => {
            return DurationError::MonthsOrYears(text.to_owned());
        }
        "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "m" | "min" | "mins" | "minute" | "minutes" => "m",
        "h" | "hr" | "hrs" | "hour" | "hours" => "h",
        "d" | "day" | "days" => "d",
        "w" | "wk" | "wks" | "week" | "weeks" => "w",
        _ => return DurationError::NotADuration(text.to_owned()),
    };
    match digits.is_empty() {
        true => DurationError::NotADuration(text.to_owned()),
        false => DurationError::SpelledOut {
            text: text.to_owned(),
            written: format!("{digits}{short}"),
        },
    }
}

/// Formats a duration in the largest unit that divides it exactly: `120d`, `36h`, `90m`, `45s`.
pub fn format_duration(duration: SignedDuration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        s if s != 0 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s != 0 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s != 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: i64) -> SignedDuration {
        SignedDuration::from_hours(24 * n)
    }

    #[test]
    fn short_forms_use_minutes_for_m() {
        assert_eq!(parse_duration("30s"), Ok(SignedDuration::from_secs(30)));
        assert_eq!(parse_duration("15m"), Ok(SignedDuration::from_mins(15)));
        assert_eq!(parse_duration("12h"), Ok(SignedDuration::from_hours(12)));
        assert_eq!(parse_duration("90d"), Ok(days(90)));
        assert_eq!(parse_duration("2w"), Ok(days(14)));
        assert_eq!(parse_duration("0s"), Ok(SignedDuration::ZERO));
    }

    #[test]
    fn iso8601_days_are_24_hours() {
        assert_eq!(parse_duration("P90D"), Ok(days(90)));
        assert_eq!(parse_duration("P2W"), Ok(days(14)));
        assert_eq!(parse_duration("PT12H"), Ok(SignedDuration::from_hours(12)));
        assert_eq!(parse_duration("P1DT1H"), Ok(SignedDuration::from_hours(25)));
    }

    #[test]
    fn months_and_years_are_refused_with_the_reason() {
        for text in ["P1M", "P1Y", "3mo", "1y", "3 months", "1 Year"] {
            let message = parse_duration(text).unwrap_err().to_string();
            assert!(message.contains("months or years"), "{text}: {message}");
        }
    }

    #[test]
    fn a_unit_in_words_gets_its_short_form() {
        assert_eq!(
            parse_duration("90 days").unwrap_err().to_string(),
            format!("`90 days` is written `90d`; {EXPECTED}")
        );
        assert!(
            parse_duration("2 Weeks")
                .unwrap_err()
                .to_string()
                .starts_with("`2 Weeks` is written `2w`")
        );
        assert!(
            parse_duration("5 ms")
                .unwrap_err()
                .to_string()
                .starts_with("`5 ms` is not a duration")
        );
    }

    #[test]
    fn malformed_durations_say_what_was_expected() {
        for text in [
            "",
            "90",
            "d",
            "90 days",
            "-5d",
            "1.5d",
            "P",
            "Px",
            "9999999999999999999d",
        ] {
            let message = parse_duration(text).unwrap_err().to_string();
            assert!(
                message.contains("expected") || message.contains("too long"),
                "{text}: {message}"
            );
        }
    }

    #[test]
    fn huge_values_are_refused_not_overflowed() {
        assert!(parse_duration("99999999999w").is_err());
        assert!(parse_duration("P99999999D").is_err());
    }

    #[test]
    fn formatting_picks_the_largest_exact_unit() {
        assert_eq!(format_duration(days(120)), "120d");
        assert_eq!(format_duration(SignedDuration::from_hours(36)), "36h");
        assert_eq!(format_duration(SignedDuration::from_mins(90)), "90m");
        assert_eq!(format_duration(SignedDuration::from_secs(45)), "45s");
        assert_eq!(format_duration(SignedDuration::ZERO), "0s");
    }
}
