//! The one output policy: everything keyrot prints goes through here. Standard output carries
//! the command's result, standard error its messages; colour follows `--color` and `NO_COLOR`.
//! A reader that went away (a closed pipe, as in `keyrot plan | head`) is not an error: the
//! rest of the output is dropped and the command runs to its end, so an apply is never cut
//! short by its own output. Any other failure to write standard output (a full disk behind a
//! redirect) is remembered and turns a successful run into exit 1 at its end.

use std::io::{ErrorKind, IsTerminal, Write};
use std::sync::OnceLock;

use super::args::ColorChoice;
use crate::render::Style;

/// The first failure to write standard output other than a closed pipe.
static STDOUT_FAILURE: OnceLock<String> = OnceLock::new();

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

/// Writes `text` to stdout.
pub fn say(text: &str) {
    write_stdout(&[text.as_bytes()]);
}

/// Writes `line` and a newline to stdout.
pub fn sayln(line: &str) {
    write_stdout(&[line.as_bytes(), b"\n"]);
}

/// Writes text chunk by chunk through one buffered, locked stdout.
pub fn say_chunks(chunks: impl Iterator<Item = String>) {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for chunk in chunks {
        if let Err(error) = out.write_all(chunk.as_bytes()) {
            return remember(&error);
        }
    }
    if let Err(error) = out.flush() {
        remember(&error);
    }
}

/// Flushes stdout, as before a prompt.
pub fn flush() {
    if let Err(error) = std::io::stdout().flush() {
        remember(&error);
    }
}

/// Writes `line` and a newline to stderr, ignoring a stderr that went away.
pub fn warn(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(line.as_bytes());
    let _ = err.write_all(b"\n");
}

/// Writes `text` to stderr at once, without a newline (a question waiting for its answer),
/// ignoring a stderr that went away.
pub fn ask(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Why standard output could not be written, if it could not for a reason other than a
/// reader that went away.
pub fn stdout_failure() -> Option<&'static str> {
    STDOUT_FAILURE.get().map(String::as_str)
}

fn write_stdout(parts: &[&[u8]]) {
    let mut out = std::io::stdout().lock();
    for part in parts {
        if let Err(error) = out.write_all(part) {
            return remember(&error);
        }
    }
}

fn remember(error: &std::io::Error) {
    if error.kind() != ErrorKind::BrokenPipe {
        let _ = STDOUT_FAILURE.set(error.to_string());
    }
}
