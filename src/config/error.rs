//! Errors in the desired-state file, each pointing at `FILE:LINE:COL`.

use std::fmt;

/// One problem at one place in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
    /// What is wrong and what was expected.
    pub message: String,
}

/// Why the desired-state file could not be used. Nothing was sent to any API.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read at all.
    #[error("{file}: {reason}")]
    Unreadable {
        /// The file's name as the user gave it.
        file: String,
        /// What went wrong, in words.
        reason: String,
    },
    /// The file was read and is wrong in one or more places.
    #[error("{}", DiagnosticList { file, diagnostics })]
    Invalid {
        /// The file's name as the user gave it.
        file: String,
        /// Every problem found, in file order.
        diagnostics: Vec<Diagnostic>,
    },
}

impl ConfigError {
    /// A single problem at one place.
    pub(crate) fn at(file: &str, line: u64, column: u64, message: impl Into<String>) -> Self {
        Self::Invalid {
            file: file.to_owned(),
            diagnostics: vec![Diagnostic {
                line,
                column,
                message: message.into(),
            }],
        }
    }
}

struct DiagnosticList<'a> {
    file: &'a str,
    diagnostics: &'a [Diagnostic],
}

impl fmt::Display for DiagnosticList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (index, diagnostic) in self.diagnostics.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            let Diagnostic {
                line,
                column,
                message,
            } = diagnostic;
            write!(f, "{}:{line}:{column}: {message}", self.file)?;
        }
        Ok(())
    }
}
