//! How a command ended, and the exit code each ending maps to. Every failure is a typed value
//! here, rendered in one place as `error: ` followed by what happened, what keyrot expected,
//! and what to do about it.

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::apply::{ApplyError, Signal};
use crate::config::{ConfigError, UnknownResources};
use crate::plan::PlanError;
use crate::provider::ProviderError;

/// A command that ran to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Exit 0.
    Success,
    /// Exit 2: `plan --detailed-exitcode` found changes.
    Changes,
    /// Exit 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP): a
    /// signal stopped the run; the report was printed.
    Interrupted(Signal),
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        match exit {
            Exit::Success => ExitCode::SUCCESS,
            Exit::Changes => ExitCode::from(2),
            Exit::Interrupted(signal) => ExitCode::from(128 + signal.number()),
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
    /// Some resources could not be read: the plan (or apply) went on without them.
    LeftOut {
        /// `plan`, `apply` or `drift check`.
        command: &'static str,
        /// What became of the rest: `planned`, `applied`, `checked`.
        rest: &'static str,
        /// How many resources were left out, of how many.
        left_out: (usize, usize),
        /// Why they could not be read.
        errors: Vec<ProviderError>,
    },
    /// The apply engine refused or could not run the plan; a guardrail's refusal exits 3.
    Apply(ApplyError),
    /// The planner was given states that do not belong together.
    Plan(PlanError),
    /// Flags that cannot go together, or a `--target` the file does not have.
    Usage(String),
    /// A file keyrot reads could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file keyrot writes (a saved plan, metrics, an import) could not be written; nothing
    /// was written there.
    Write {
        /// What the file is, for the message: `cannot write metrics`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `import --out` would overwrite a file without `--force`.
    WouldOverwrite(PathBuf),
    /// Something keyrot needs from the machine (a temporary directory, a port, signals) failed.
    Environment(String),
    /// Some actions of an apply failed; the report says which.
    ActionsFailed {
        /// The desired-state file.
        source: String,
    },
    /// The API's clock was not to be trusted: no rotation that depends on the time was sent.
    ClockInDoubt(String),
    /// New secrets still wait in recovery files: their sinks refused them again.
    SecretsWaiting(usize),
    /// A check keyrot makes of its own work failed: the demo did not converge, an import did
    /// not validate.
    SelfCheck(String),
    /// Standard output could not be written (other than a reader that went away).
    Stdout(String),
}

impl CliError {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Apply(error) if error.is_guardrail() => ExitCode::from(3),
            _ => ExitCode::FAILURE,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::Config(error) => return write!(f, "{error}"),
            Self::Provider(errors) => {
                for (index, error) in errors.iter().enumerate() {
                    if index > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "error: {error}")?;
                }
                return Ok(());
            }
            Self::LeftOut {
                command,
                rest,
                left_out: (left_out, total),
                errors,
            } => {
                for error in errors {
                    writeln!(f, "error: {error}")?;
                }
                let were = if *left_out == 1 { "was" } else { "were" };
                return write!(
                    f,
                    "error: {left_out} of {} could not be read and {were} left out of this \
                     {command}; the rest was {rest}",
                    crate::render::counted(*total, "resource")
                );
            }
            _ => {}
        }
        f.write_str("error: ")?;
        match self {
            Self::Config(_) | Self::Provider(_) | Self::LeftOut { .. } => Ok(()),
            Self::Apply(error) => write!(f, "{error}"),
            Self::Plan(error) => write!(f, "{error}"),
            Self::Usage(message) | Self::Environment(message) | Self::SelfCheck(message) => {
                f.write_str(message)
            }
            Self::Read { path, reason } => write!(f, "{}: cannot read: {reason}", path.display()),
            Self::Write {
                what: "",
                path,
                reason,
            } => write!(f, "{}: {reason}", path.display()),
            Self::Write { what, path, reason } => {
                write!(f, "{}: {what}: {reason}", path.display())
            }
            Self::WouldOverwrite(path) => write!(
                f,
                "{} exists; nothing was written. Pass --force to overwrite it",
                path.display()
            ),
            Self::SecretsWaiting(count) => write!(
                f,
                "{} still in recovery files (see above): fix the sink, then run `keyrot apply` \
                 or `keyrot deliver NAME` again",
                crate::render::counted(*count, "new secret")
            ),
            Self::ClockInDoubt(message) => write!(
                f,
                "{message}. keyrot sent no rotation that depends on the time; what did not \
                 depend on it was applied"
            ),
            Self::ActionsFailed { source } => write!(
                f,
                "some actions failed (see above); `keyrot plan` shows what is left to bring \
                 the live state to {source}"
            ),
            Self::Stdout(reason) => write!(f, "cannot write to stdout: {reason}"),
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(error: ConfigError) -> Self {
        Self::Config(error)
    }
}

/// Names a flag gave that no resource has: a mistake in the command line.
impl From<UnknownResources> for CliError {
    fn from(error: UnknownResources) -> Self {
        Self::Usage(error.to_string())
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

impl From<ApplyError> for CliError {
    fn from(error: ApplyError) -> Self {
        match error {
            ApplyError::Provider(errors) => Self::Provider(errors),
            other => Self::Apply(other),
        }
    }
}

impl From<PlanError> for CliError {
    fn from(error: PlanError) -> Self {
        Self::Plan(error)
    }
}
