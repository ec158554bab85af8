//! Text that came from outside keyrot (an API's answer, a value in the desired-state file),
//! made safe to print on a terminal, in a CI log or in Markdown.

use std::fmt;

/// Text that came from outside keyrot (an API's message, a body), shown with every control
/// character escaped: a server cannot clear the screen, move the cursor, forge a line of
/// keyrot's output or reorder text with a bidirectional override.
pub struct Printable<'a>(pub &'a str);

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for c in self.0.chars() {
            let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi {
                write!(f, "{}", c.escape_unicode())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_is_kept_and_controls_are_escaped() {
        assert_eq!(Printable("café ok").to_string(), "café ok");
        assert_eq!(Printable("a\tb\u{7f}").to_string(), "a\\u{9}b\\u{7f}");
    }
}
