//! Turns the YAML reader's errors into diagnostics that say what keyrot expected.

use serde_saphyr::Error;

use super::error::Diagnostic;
use super::suggest::nearest;

/// A diagnostic for a YAML read error, at its location (line 1, column 1 when it has none).
pub(crate) fn diagnostic(error: &Error) -> Diagnostic {
    let error = error.without_snippet();
    let (line, column) = error
        .location()
        .map(|location| (location.line(), location.column()))
        .filter(|(line, _)| *line > 0)
        .unwrap_or((1, 1));
    Diagnostic {
        line,
        column,
        message: message(error),
    }
}

fn message(error: &Error) -> String {
    match error {
        Error::SerdeUnknownField {
            field, expected, ..
        } => unknown_field(field, expected),
        Error::DuplicateMappingKey { key: Some(key), .. } => {
            format!("`{key}` is given twice; each name may appear once in a mapping")
        }
        Error::DuplicateMappingKey { key: None, .. } => {
            "a key is given twice; each name may appear once in a mapping".to_owned()
        }
        Error::SerdeMissingField { field, .. } => format!("missing required field `{field}`"),
        Error::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => format!("expected {expected}, found {unexpected}"),
        Error::Unexpected { expected, .. } => format!("expected {} here", structure(expected)),
        Error::Eof { .. } => "the document ends where a value was expected".to_owned(),
        other => format!("invalid YAML: {}", strip_location(&other.to_string())),
    }
}

/// The reader's name for what it expected, in the words of the file's author.
fn structure(expected: &str) -> &str {
    match expected {
        "mapping start" => "a mapping (`name: value` lines)",
        "sequence start" => "a list",
        other => other,
    }
}

/// The message for a field the block holding it does not know, with the nearest known name.
pub(crate) fn unknown_field(field: &str, expected: &[&str]) -> String {
    let known = expected
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match nearest(field, expected) {
        Some(suggestion) => {
            format!("unknown field `{field}`; did you mean `{suggestion}`? (known fields: {known})")
        }
        None => format!("unknown field `{field}` (known fields: {known})"),
    }
}

/// The reader appends " at line L, column C"; the diagnostic carries the location already.
fn strip_location(text: &str) -> &str {
    text.rsplit_once(" at line ")
        .map_or(text, |(message, _)| message)
}
