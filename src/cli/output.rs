//! Where output goes and whether it is colored.

use std::io::IsTerminal;

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
