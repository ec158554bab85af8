//! Where output goes and whether it is colored.

use std::io::{IsTerminal, Write};

use super::args::ColorChoice;
use crate::render::Style;

/// The style for standard output under `--color` and `NO_COLOR`.
pub fn stdout_style(choice: ColorChoice) -> Style {
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stdout().is_terminal() && !no_color_requested(),
    };
    Style { color }
}

/// `NO_COLOR` set to anything but the empty string (no-color.org).
fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

/// Looks an environment variable up; unset and non-UTF-8 both read as unset.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Writes `text` to stdout. A stdout that went away (a pipe whose reader left) is ignored, so
/// a run is never cut short by its own output, least of all in the middle of an apply.
pub fn say(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Writes `line` and a newline to stdout, ignoring a stdout that went away.
pub fn sayln(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes());
    let _ = out.write_all(b"\n");
}

/// Writes `line` and a newline to stderr, ignoring a stderr that went away.
pub fn warn(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(line.as_bytes());
    let _ = err.write_all(b"\n");
}
