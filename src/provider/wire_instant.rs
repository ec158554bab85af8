//! Instants as the vendors' answers write them (RFC 3339), read the same way for every vendor:
//! absent or empty means the API does not say.

use jiff::Timestamp;

/// An answer's instant that is not RFC 3339.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} `{text}` is not an RFC 3339 instant: {reason}")]
pub struct BadInstant {
    /// The answer's field: `created_at`.
    pub field: &'static str,
    /// What it held.
    pub text: String,
    /// Why it is not an instant.
    pub reason: String,
}

/// The instant in the answer's `field`, which holds `text`; `None` when it is absent or empty.
pub fn wire_instant(
    field: &'static str,
    text: Option<&str>,
) -> Result<Option<Timestamp>, BadInstant> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|error: jiff::Error| BadInstant {
                field,
                text: text.to_owned(),
                reason: error.to_string(),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_and_empty_are_unknown_and_garbage_is_named() {
        assert_eq!(wire_instant("created_at", None), Ok(None));
        assert_eq!(wire_instant("created_at", Some("")), Ok(None));
        let at = wire_instant("created_at", Some("2026-11-24T12:00:00Z")).unwrap();
        assert_eq!(at, Some("2026-11-24T12:00:00Z".parse().unwrap()));
        let bad = wire_instant("created_at", Some("yesterday")).unwrap_err();
        assert!(
            bad.to_string()
                .starts_with("created_at `yesterday` is not an RFC 3339 instant: "),
            "{bad}"
        );
    }
}
