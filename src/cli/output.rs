//! The printer: the one value that writes to the terminal. Standard output carries the
//! command's result, standard error its messages; colour follows `--color` and `NO_COLOR`.
//! `-q` and `-v` mean the same for every command and combine: `-q` drops the progress bar and
//! the notes (lines that only say what keyrot did or is doing), never a warning, an error or
//! a result; `-v` adds every retry and every pause for a rate limit, and drops the progress
//! bar, which those lines would tear.
//!
//! A reader that went away (a closed pipe, as in `keyrot plan | head`) is not an error: the
//! rest of the output is dropped and the command runs to its end, so an apply is never cut
//! short by its own output. Any other failure to write standard output (a full disk behind a
//! redirect) is remembered and turns a successful run into exit 1 at its end.

use std::io::{ErrorKind, IsTerminal, Write};
use std::sync::{Arc, OnceLock};

use super::args::{ColorChoice, GlobalArgs};
use crate::render::Style;

/// Writes everything keyrot prints; cheap to clone, every clone the same printer.
#[derive(Clone)]
pub struct Printer(Arc<Shared>);

struct Shared {
    style: Style,
    quiet: bool,
    verbose: bool,
    /// The first failure to write standard output other than a closed pipe.
    stdout_failure: OnceLock<String>,
}

impl Printer {
    /// The printer the global flags ask for.
    pub fn new(global: &GlobalArgs) -> Self {
        Self::with(global.color, global.quiet, global.verbose)
    }

    /// A printer with colour by `color`, `-q` when `quiet`, `-v` when `verbose`.
    pub fn with(color: ColorChoice, quiet: bool, verbose: bool) -> Self {
        Self(Arc::new(Shared {
            style: stdout_style(color),
            quiet,
            verbose,
            stdout_failure: OnceLock::new(),
        }))
    }

    /// The style of standard output.
    pub fn style(&self) -> Style {
        self.0.style
    }

    /// `-v`: every retry and pause is shown.
    pub fn verbose(&self) -> bool {
        self.0.verbose
    }

    /// Writes `text` to stdout.
    pub fn say(&self, text: &str) {
        self.write_stdout(&[text.as_bytes()]);
    }

    /// Writes `line` and a newline to stdout.
    pub fn sayln(&self, line: &str) {
        self.write_stdout(&[line.as_bytes(), b"\n"]);
    }

    /// Writes text chunk by chunk through one buffered, locked stdout.
    pub fn say_chunks(&self, chunks: impl Iterator<Item = String>) {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        for chunk in chunks {
            if let Err(error) = out.write_all(chunk.as_bytes()) {
                return self.remember(&error);
            }
        }
        if let Err(error) = out.flush() {
            self.remember(&error);
        }
    }

    /// Flushes stdout, as before a prompt.
    pub fn flush(&self) {
        if let Err(error) = std::io::stdout().flush() {
            self.remember(&error);
        }
    }

    /// Writes a warning or an error, and a newline, to stderr, whatever `-q` says.
    pub fn warn(&self, line: &str) {
        write_stderr(&[line.as_bytes(), b"\n"]);
    }

    /// Writes a note (what keyrot did or is doing) to stderr, unless `-q`.
    pub fn note(&self, line: &str) {
        if !self.0.quiet {
            self.warn(line);
        }
    }

    /// Writes one retry or pause to stderr, with `-v` only.
    pub fn event(&self, line: &str) {
        if self.0.verbose {
            self.warn(line);
        }
    }

    /// Writes `text` to stderr at once, without a newline (a question waiting for its answer).
    pub fn ask(&self, text: &str) {
        write_stderr(&[text.as_bytes()]);
    }

    /// Whether a progress bar may be drawn: neither `-q` nor `-v` is given (the bar itself,
    /// `cli/progress.rs`, draws only on a terminal and prints its lines through this printer).
    pub fn shows_progress(&self) -> bool {
        !self.0.quiet && !self.0.verbose
    }

    /// Why standard output could not be written, if it could not for a reason other than a
    /// reader that went away.
    pub fn stdout_failure(&self) -> Option<&str> {
        self.0.stdout_failure.get().map(String::as_str)
    }

    fn write_stdout(&self, parts: &[&[u8]]) {
        let mut out = std::io::stdout().lock();
        for part in parts {
            if let Err(error) = out.write_all(part) {
                return self.remember(&error);
            }
        }
    }

    fn remember(&self, error: &std::io::Error) {
        if error.kind() != ErrorKind::BrokenPipe {
            let _ = self.0.stdout_failure.set(error.to_string());
        }
    }
}

/// Writes to stderr at once, ignoring a stderr that went away.
fn write_stderr(parts: &[&[u8]]) {
    let mut err = std::io::stderr().lock();
    for part in parts {
        let _ = err.write_all(part);
    }
    let _ = err.flush();
}

/// The style for standard output under `--color` and `NO_COLOR`.
fn stdout_style(choice: ColorChoice) -> Style {
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stdout().is_terminal() && !no_color_requested(),
    };
    Style { color }
}

/// Whether what goes to stderr is colored, as `--color` asks.
pub fn stderr_colored(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stderr().is_terminal() && !no_color_requested(),
    }
}

/// `NO_COLOR` set to anything but the empty string (no-color.org).
fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

/// Looks an environment variable up; unset and non-UTF-8 both read as unset.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
