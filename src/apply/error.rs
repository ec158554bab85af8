//! Why the apply engine refused or could not run a plan. Every refusal says that nothing was
//! changed and what to do next.

use std::fmt;
use std::path::PathBuf;

use super::sink::SinkError;
use crate::config::UnknownResources;
use crate::plan::PlanError;
use crate::provider::ProviderError;
use crate::state::StateError;

/// An apply that did not write anything, and why.
#[derive(Debug)]
pub enum ApplyError {
    /// Reading the live state failed.
    Provider(Vec<ProviderError>),
    /// The lock is held, or the state (lock, journal) could not be read or written.
    State(StateError),
    /// The desired and live states do not belong together.
    Plan(PlanError),
    /// A `--target` names no resource of the file.
    Targets(UnknownResources),
    /// The saved plan could not be read, or is not a saved plan of this keyrot.
    SavedPlan(String),
    /// The desired-state file, or a resource the saved plan touches, changed since it was made.
    Stale {
        /// The saved plan.
        plan_file: PathBuf,
        /// What changed, one line each.
        reasons: Vec<String>,
    },
    /// `--now` is later than the clock: apply would judge today's state by an instant that
    /// has not come (and could not count what happens until then).
    NowNotYet {
        /// The instant asked for.
        now: jiff::Timestamp,
        /// The time by the API's clock.
        clock: jiff::Timestamp,
    },
    /// The saved plan is not what this keyrot computes from the state it recorded.
    NotReproducible {
        /// The saved plan.
        plan_file: PathBuf,
    },
    /// More rotations than allowed: a guardrail, exit 3.
    OverLimit {
        /// The plan's rotations.
        rotations: usize,
        /// The limit in force.
        limit: u32,
        /// Where it was set: `settings.max_rotations_per_apply` or `--max-rotations`.
        from: &'static str,
    },
    /// A sink (or the recovery directory) cannot take a secret, so no key was rotated.
    UnusableSinks(Vec<(String, SinkError)>),
    /// Approval was needed and there was no terminal to ask on.
    NoTerminal,
    /// The prompt could not be written or answered.
    Prompt(String),
    /// The answer was not `yes`.
    Cancelled,
    /// The plan rotates keys whose previous new secret still waits in a recovery file: the
    /// rotation would revoke it unseen.
    SecretsStillWaiting(Vec<String>),
    /// The journal stopped taking records mid-run: the writes after that were not sent, and
    /// the outcomes it refused were kept in files.
    JournalIncomplete {
        /// Where the refused outcomes are.
        kept_in: PathBuf,
    },
    /// The live state changed while the prompt was open.
    ChangedWhileWaiting(Vec<String>),
}

impl ApplyError {
    /// True for a guardrail's refusal, which has its own exit code.
    pub fn is_guardrail(&self) -> bool {
        matches!(self, Self::OverLimit { .. })
    }
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::Provider(errors) => {
                for (index, error) in errors.iter().enumerate() {
                    if index > 0 {
                        f.write_str("\nerror: ")?;
                    }
                    write!(f, "{error}")?;
                }
                Ok(())
            }
            Self::Plan(error) => write!(f, "{error}"),
            Self::State(error) => write!(f, "{error}"),
            Self::Targets(unknown) => write!(f, "{unknown}"),
            Self::SavedPlan(message) => f.write_str(message),
            Self::Stale { plan_file, reasons } => write!(
                f,
                "plan is stale: {} no longer matches what it was made from; nothing was changed. \
                 Run `keyrot plan --out` again.\n  {}",
                plan_file.display(),
                reasons.join("\n  ")
            ),
            Self::NowNotYet { now, clock } => write!(
                f,
                "refusing to apply at {} (--now): by the API's clock it is {}, and apply acts on \
                 the live state as it is now; nothing was changed. Preview that instant with \
                 `keyrot plan --now`, or rehearse it against a sandbox started with the same --now",
                crate::plan::instant_in_words(*now),
                crate::plan::instant_in_words(*clock)
            ),
            Self::NotReproducible { plan_file } => write!(
                f,
                "{}: the saved plan is not what this keyrot computes from the state it recorded \
                 (was it edited, or made by another version?); nothing was changed. Run `keyrot \
                 plan --out` again",
                plan_file.display()
            ),
            Self::OverLimit {
                rotations,
                limit,
                from,
            } => write!(
                f,
                "refusing to apply: the plan rotates {rotations} keys, more than the limit of \
                 {limit} ({from}); nothing was changed. To apply it anyway, run apply with --max-rotations {rotations}, or \
                 target fewer resources."
            ),
            Self::UnusableSinks(unusable) => {
                let list: Vec<String> = unusable
                    .iter()
                    .map(|(resource, error)| format!("  {resource}: {error}"))
                    .collect();
                write!(
                    f,
                    "refusing to apply: {} cannot take a new secret, so no key was rotated:\n{}",
                    if unusable.len() == 1 {
                        "a secret sink"
                    } else {
                        "secret sinks"
                    },
                    list.join("\n")
                )
            }
            Self::NoTerminal => f.write_str(
                "apply needs approval, and there is no terminal to ask on; nothing was changed. \
                 Pass --auto-approve to apply without asking.",
            ),
            Self::Prompt(message) => f.write_str(message),
            Self::SecretsStillWaiting(names) => write!(
                f,
                "{}: a new secret still waits in a recovery file (its sink refused it again), and \
                 rotating now would revoke it; nothing was changed. Fix the sink and run `keyrot \
                 deliver NAME`, or `keyrot deliver NAME --acknowledge` once it is where it belongs",
                names.join(", ")
            ),
            Self::JournalIncomplete { kept_in } => write!(
                f,
                "the journal stopped taking records during this apply, so no write was sent after \
                 that; the outcomes it refused are kept in {} on this machine, and the next \
                 plan, drift or apply run here moves them into the journal. Run keyrot here \
                 next: elsewhere, a delivered secret would be taken for a lost one",
                kept_in.display()
            ),
            Self::Cancelled => {
                f.write_str("apply cancelled: only 'yes' approves; nothing was changed")
            }
            Self::ChangedWhileWaiting(changes) => write!(
                f,
                "the live state changed while waiting for approval; nothing was changed. Run \
                 `keyrot apply` again to see a fresh plan.\n  {}",
                changes.join("\n  ")
            ),
        }
    }
}

impl std::error::Error for ApplyError {}

impl From<Vec<ProviderError>> for ApplyError {
    fn from(errors: Vec<ProviderError>) -> Self {
        Self::Provider(errors)
    }
}

impl From<StateError> for ApplyError {
    fn from(error: StateError) -> Self {
        Self::State(error)
    }
}

impl From<PlanError> for ApplyError {
    fn from(error: PlanError) -> Self {
        Self::Plan(error)
    }
}
