//! Colors for human output, on or off as the caller decided.

use owo_colors::OwoColorize;

/// Whether human output carries ANSI colors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Emit ANSI color codes.
    pub color: bool,
}

impl Style {
    /// No colors.
    pub const PLAIN: Self = Self { color: false };

    fn paint(self, text: &str, colorize: impl Fn(&str) -> String) -> String {
        if self.color {
            colorize(text)
        } else {
            text.to_owned()
        }
    }

    /// Headers and emphasis.
    pub fn bold(self, text: &str) -> String {
        self.paint(text, |t| t.bold().to_string())
    }

    /// Updates and warnings.
    pub fn yellow(self, text: &str) -> String {
        self.paint(text, |t| t.yellow().to_string())
    }

    /// Additions and successes.
    pub fn green(self, text: &str) -> String {
        self.paint(text, |t| t.green().to_string())
    }

    /// Removals and failures.
    pub fn red(self, text: &str) -> String {
        self.paint(text, |t| t.red().to_string())
    }

    /// Rotations.
    pub fn magenta(self, text: &str) -> String {
        self.paint(text, |t| t.magenta().to_string())
    }

    /// Secondary detail: reasons, context lines.
    pub fn dimmed(self, text: &str) -> String {
        self.paint(text, |t| t.dimmed().to_string())
    }
}
