//! Instants in the desired-state file and on the command line: RFC 3339 with any offset, or a
//! bare date meaning 00:00 UTC.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Why a text is not an instant keyrot accepts; each message says what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InstantError {
    /// A date no calendar has at 00:00 UTC.
    #[error("`{text}`: {reason}")]
    Date {
        /// As given.
        text: String,
        /// Why.
        reason: String,
    },
    /// An offset beyond RFC 3339's range.
    #[error("`{text}`: the offset `{offset}` is outside RFC 3339's range (-23:59 to +23:59)")]
    Offset {
        /// As given.
        text: String,
        /// The offset.
        offset: String,
    },
    /// Not an instant at all.
    #[error(
        "`{0}` is not an instant; expected RFC 3339 with an offset (e.g. 2026-12-01T00:00:00Z \
         or 2026-12-01T09:00:00+09:00) or a bare date (2026-12-01)"
    )]
    NotAnInstant(String),
}

/// Parses an instant; the error says what was expected.
pub fn parse_instant(text: &str) -> Result<Timestamp, InstantError> {
    let text = text.trim();
    if let Ok(date) = text.parse::<Date>()
        && !text.contains(['T', 't', ' '])
    {
        return date
            .to_zoned_datetime(TimeZone::UTC)
            .map(|zoned| zoned.timestamp())
            .map_err(|error| InstantError::Date {
                text: text.to_owned(),
                reason: error.to_string(),
            });
    }
    if let Some(offset) = offset_beyond_rfc3339(text) {
        return Err(InstantError::Offset {
            text: text.to_owned(),
            offset: offset.to_owned(),
        });
    }
    text.parse::<Timestamp>()
        .map_err(|_| InstantError::NotAnInstant(text.to_owned()))
}

/// The numeric offset of an RFC 3339 date-time, if its hours or minutes are beyond RFC 3339's
/// range (`time-numoffset = ("+" / "-") time-hour ":" time-minute`, hours 00-23).
fn offset_beyond_rfc3339(text: &str) -> Option<&str> {
    let time = &text[text.find(['T', 't', ' '])?..];
    let offset = &time[time.rfind(['+', '-'])?..];
    let (hours, minutes) = offset[1..].split_once(':')?;
    let hours: u32 = hours.parse().ok()?;
    let minutes: u32 = minutes.parse().ok()?;
    (hours > 23 || minutes > 59).then_some(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_beyond_rfc_3339_is_refused() {
        let error = parse_instant("2026-12-01T00:00:00+25:00")
            .unwrap_err()
            .to_string();
        assert!(error.contains("outside RFC 3339's range"), "{error}");
        assert!(parse_instant("2026-12-01T00:00:00-24:00").is_err());
        assert!(parse_instant("2026-12-01T00:00:00+23:59").is_ok());
    }

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
        let error = parse_instant("2026-12-01T00:00:00").unwrap_err();
        assert!(matches!(error, InstantError::NotAnInstant(_)), "{error}");
        assert!(error.to_string().contains("with an offset"), "{error}");
    }

    #[test]
    fn nonsense_is_refused() {
        for text in ["", "tomorrow", "2026-13-01", "2026-02-30", "12/01/2026"] {
            assert!(parse_instant(text).is_err(), "{text}");
        }
    }
}
