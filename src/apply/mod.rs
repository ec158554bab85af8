//! The apply engine: takes a plan (fresh or saved), checks it, holds back what the real clock
//! forbids, executes it in order with concurrency, delivers secrets, settles unknown outcomes,
//! honours a stop request and produces the report. Clock, providers, stop signal and the
//! person running it are inputs ([`Engine`]).

mod checks;
mod clock;
mod engine;
mod error;
mod execute;
mod journal;
mod observe;
mod recovery;
mod report;
mod saved_plan;
mod secret;
mod secret_file;
mod settle;
mod sink;
mod sink_command;
mod sink_problem;
mod stop;
mod ui;
mod unjournaled;
mod waiting;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::state::LockHolder;

pub use checks::unusable_sinks;
pub use clock::{Clock, FixedClock, PRESENT};
pub use engine::{Applied, Approval, Engine, PlanSource};
pub use error::ApplyError;
pub use journal::Journal;
pub use observe::{Observed, Observer};
pub use recovery::{SecretsToRecover, Settling};
pub use report::{
    ActionFailure, ActionReport, ApplyCounts, ApplyReport, NotStartedBecause, Outcome,
};
pub use saved_plan::{SAVED_PLAN_VERSION, SavedOptions, SavedPlan, SavedSource, VerifiedPlan};
pub use sink::SinkError;
pub use stop::{Signal, StopReason, StopSignal};
pub use ui::{ApplyUi, Ticker};
pub use unjournaled::{kept_records, unjournaled_dir};
pub use waiting::{DeliverError, WaitingSecret, acknowledge, deliver_waiting, waiting_secrets};

/// How apply runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Resources worked on at once.
    pub parallelism: usize,
    /// Stop starting new actions after the first failure.
    pub fail_fast: bool,
    /// Where a secret its sink refused is saved (`.keyrot/recovered/` beside the file).
    pub recovery_dir: PathBuf,
    /// Rotate even within `min_rotation_gap` of the last rotation (`--allow-rapid-rotation`).
    pub allow_rapid_rotation: bool,
    /// Who this apply is, as the lock and the journal record it.
    pub holder: LockHolder,
    /// How long to wait for another apply's lock (`--lock-timeout`).
    pub lock_timeout: Duration,
    /// Files no secret may overwrite, with what they are: the desired-state file, the saved
    /// plan being applied.
    pub protected_files: Vec<(PathBuf, &'static str)>,
}

/// `.keyrot/recovered/` beside the desired-state file.
pub fn recovery_dir(desired_file: &Path) -> PathBuf {
    let directory = match desired_file.parent() {
        Some(directory) if !directory.as_os_str().is_empty() => directory,
        _ => Path::new("."),
    };
    directory.join(".keyrot").join("recovered")
}
