//! Instants in the desired-state file and on the command line: RFC 3339 with any offset, or a
//! bare date meaning 00:00 UTC.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Parses an instant, returning a message that says what was expected on failure.
pub fn parse_instant(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(date) = text.parse::<Date>()
        && !text.contains(['T', 't', ' '])
    {
        return date
            .to_zoned_datetime(TimeZone::UTC)
            .map(|zoned| zoned.timestamp())
            .map_err(|error| format!("`{text}`: {error}"));
    }
    text.parse::<Timestamp>().map_err(|_| {
        format!(
            "`{text}` is not an instant; expected RFC 3339 with an offset \
             (e.g. 2026-12-01T00:00:00Z or 2026-12-01T09:00:00+09:00) or a bare date (2026-12-01)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_date_is_midnight_utc() {
        assert_eq!(
            parse_instant("2026-12-01"),
            Ok("2026-12-01T00:00:00Z".parse().unwrap())
        );
    }

    #[test]
    fn offsets_are_honoured() {
        assert_eq!(
            parse_instant("2026-12-01T09:00:00+09:00"),
            Ok("2026-12-01T00:00:00Z".parse().unwrap())
        );
        assert_eq!(
            parse_instant("2026-11-30T19:00:00-05:00"),
            Ok("2026-12-01T00:00:00Z".parse().unwrap())
        );
    }

    #[test]
    fn fractions_are_kept() {
        let parsed = parse_instant("2014-01-01T05:20:00.12345Z").unwrap();
        assert_eq!(parsed.subsec_nanosecond(), 123_450_000);
    }

    #[test]
    fn an_instant_without_offset_is_refused() {
        let message = parse_instant("2026-12-01T00:00:00").unwrap_err();
        assert!(message.contains("with an offset"), "{message}");
    }

    #[test]
    fn nonsense_is_refused() {
        for text in ["", "tomorrow", "2026-13-01", "2026-02-30", "12/01/2026"] {
            assert!(parse_instant(text).is_err(), "{text}");
        }
    }
}
