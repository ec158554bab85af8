//! How a command ended, and the exit code each ending maps to.

use std::fmt;
use std::process::ExitCode;

use crate::config::ConfigError;
use crate::plan::PlanError;
use crate::provider::ProviderError;

/// A command that ran to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Exit 0.
    Success,
    /// Exit 2: `plan --detailed-exitcode` found changes.
    Changes,
    /// Exit 130: Ctrl-C stopped the run; the report was printed.
    Interrupted,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        match exit {
            Exit::Success => ExitCode::SUCCESS,
            Exit::Changes => ExitCode::from(2),
            Exit::Interrupted => ExitCode::from(130),
        }
    }
}

/// A command that failed: exit 1, or 3 for a guardrail's refusal.
#[derive(Debug)]
pub enum CliError {
    /// The desired-state file is unusable; its diagnostics carry `FILE:LINE:COL`.
    Config(ConfigError),
    /// One or more API calls failed.
    Provider(Vec<ProviderError>),
    /// A guardrail refused the run before any write: exit 3.
    Refused(String),
    /// Anything else, in words.
    Message(String),
}

impl CliError {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Refused(_) => ExitCode::from(3),
            _ => ExitCode::FAILURE,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::Config(error) => write!(f, "{error}"),
            Self::Provider(errors) => {
                for (index, error) in errors.iter().enumerate() {
                    if index > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "error: {error}")?;
                }
                Ok(())
            }
            Self::Refused(message) | Self::Message(message) => write!(f, "error: {message}"),
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(error: ConfigError) -> Self {
        Self::Config(error)
    }
}

impl From<ProviderError> for CliError {
    fn from(error: ProviderError) -> Self {
        Self::Provider(vec![error])
    }
}

impl From<Vec<ProviderError>> for CliError {
    fn from(errors: Vec<ProviderError>) -> Self {
        Self::Provider(errors)
    }
}

impl From<PlanError> for CliError {
    fn from(error: PlanError) -> Self {
        Self::Message(error.to_string())
    }
}
