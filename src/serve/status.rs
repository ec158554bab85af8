//! What `keyrot serve` knows of itself, shared by its loop and its HTTP endpoints: whether it
//! leads, whether its desired-state file is valid, the last and next cycle, and each resource's
//! state as the last cycle that read it left it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde::Serialize;

/// With no sign of life from the loop for this long, `/healthz` says it is stuck: a cycle
/// advances at least once per resource read, and standing by checks the lead every second.
pub const STUCK_AFTER: Duration = Duration::from_secs(300);

/// This replica's part among those sharing the state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Role {
    /// Not yet known: the first attempt to lead has not answered.
    Starting,
    /// It runs the cycles.
    Leader,
    /// Another replica leads; this one takes over when that one is gone.
    Standby {
        /// The leader, as it recorded itself.
        leader: String,
    },
}

/// Whether the desired-state file in use is the one on disk.
#[derive(Clone, Debug, Serialize)]
pub struct FileHealth {
    /// Its path.
    pub path: String,
    /// False when the last (re)load failed: the file loaded before it is still in use.
    pub valid: bool,
    /// Why the last load failed.
    pub error: Option<String>,
    /// When the file in use was loaded.
    pub loaded_at: Timestamp,
}

/// How a cycle ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleOutcome {
    /// Everything was read, and every action (with `--apply`) succeeded.
    Success,
    /// Some resources could not be read, or some actions failed.
    Partial,
    /// Nothing could be read, or the cycle could not run.
    Failed,
    /// The guardrail (`max_rotations_per_apply`) refused the plan: nothing was written.
    Refused,
    /// Nothing was due: the cycle read nothing (`--full-every`).
    Idle,
}

impl CycleOutcome {
    /// Every outcome, for metrics that list each.
    pub const ALL: [Self; 5] = [
        Self::Success,
        Self::Partial,
        Self::Failed,
        Self::Refused,
        Self::Idle,
    ];

    /// Its name in metrics, logs and `/status`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Partial => "partial",
            Self::Failed => "failed",
            Self::Refused => "refused",
            Self::Idle => "idle",
        }
    }
}

/// One finished cycle.
#[derive(Clone, Debug, Serialize)]
pub struct CycleRecord {
    /// When it started.
    pub started_at: Timestamp,
    /// How long it ran.
    pub duration_seconds: f64,
    /// How it ended.
    pub outcome: CycleOutcome,
    /// Whether it read the live state (of some resources at least): what `/readyz` asks of
    /// the last cycle.
    pub read: bool,
    /// Why it failed or was refused.
    pub error: Option<String>,
    /// Keys rotated.
    pub rotated: usize,
    /// Intervals updated.
    pub updated: usize,
    /// Actions that failed.
    pub failed_actions: usize,
}

/// One resource as the last cycle that planned it saw it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ResourceState {
    /// Its vendor's key: `cloudflare`.
    pub vendor: &'static str,
    /// Whether the last cycle read it.
    pub read: bool,
    /// An action is planned for it, or its deadline is overdue.
    pub drift: bool,
    /// Its `rotate_by` passed unmet.
    pub overdue: bool,
    /// The last rotation the API reported.
    pub last_rotation: Option<Timestamp>,
    /// Its `rotate_by`, if it has one.
    pub deadline: Option<Timestamp>,
    /// The plan warns that its key expires: soon, before its next rotation, or already.
    pub expiry_warning: bool,
    /// Its current secret reached neither a sink nor a recovery file (the journal says).
    pub lost_secret: bool,
    /// A new secret of it waits in a recovery file for its sink.
    pub awaiting_delivery: bool,
    /// Cycles in a row in which reading it or acting on it failed.
    pub failing_cycles: u32,
    /// The last failure, while it keeps failing.
    pub last_error: Option<String>,
    /// When it is read next, if before the next full read.
    pub next_read_at: Option<Timestamp>,
}

/// Why a replica is not ready (`/readyz` 503).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotReady {
    /// The last (re)load of the desired-state file failed.
    #[error("the desired-state file is not valid: {0}")]
    InvalidFile(String),
    /// The first attempt to lead has not answered.
    #[error("not yet known whether it leads")]
    Starting,
    /// It leads, and no cycle has finished.
    #[error("no cycle has finished yet")]
    NoCycleYet,
    /// It leads, and its last cycle read nothing.
    #[error("the last cycle could not read the live state: {0}")]
    LastCycleUnread(String),
}

/// Everything `/status` shows.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    /// `read-only`, or `apply` with `--apply`.
    pub mode: &'static str,
    /// Whether this replica leads.
    pub role: Role,
    /// The desired-state file.
    pub desired_state: FileHealth,
    /// The last cycle that ran.
    pub last_cycle: Option<CycleRecord>,
    /// When the last cycle that read everything and succeeded started.
    pub last_successful_cycle_at: Option<Timestamp>,
    /// When the next cycle is to start, while one is planned.
    pub next_cycle_at: Option<Timestamp>,
    /// When the next cycle that reads every resource is due.
    pub next_full_read_at: Option<Timestamp>,
    /// Each resource of the file in use, by name.
    pub resources: BTreeMap<String, ResourceState>,
    /// The last error of a cycle or a reload, until a cycle succeeds.
    pub last_error: Option<String>,
    /// When the loop last showed it is alive.
    #[serde(skip)]
    pub heartbeat: Instant,
}

impl Status {
    /// A replica starting on the file at `path`, loaded at `loaded_at`.
    pub fn starting(mode: &'static str, path: String, loaded_at: Timestamp) -> Self {
        Self {
            mode,
            role: Role::Starting,
            desired_state: FileHealth {
                path,
                valid: true,
                error: None,
                loaded_at,
            },
            last_cycle: None,
            last_successful_cycle_at: None,
            next_cycle_at: None,
            next_full_read_at: None,
            resources: BTreeMap::new(),
            last_error: None,
            heartbeat: Instant::now(),
        }
    }

    /// `Ok` when this replica is ready: its file is valid, and (as leader) its last cycle read
    /// the live state; why not, otherwise.
    pub fn ready(&self) -> Result<(), NotReady> {
        if let Some(error) = &self.desired_state.error {
            return Err(NotReady::InvalidFile(error.clone()));
        }
        match (&self.role, &self.last_cycle) {
            (Role::Starting, _) => Err(NotReady::Starting),
            (Role::Standby { .. }, _) => Ok(()),
            (Role::Leader, None) => Err(NotReady::NoCycleYet),
            (Role::Leader, Some(cycle)) if !cycle.read => Err(NotReady::LastCycleUnread(
                cycle
                    .error
                    .clone()
                    .unwrap_or_else(|| "no reason was recorded".to_owned()),
            )),
            (Role::Leader, Some(_)) => Ok(()),
        }
    }

    /// `Ok` while the loop shows signs of life at `now`; how long it has not, otherwise.
    pub fn alive(&self, now: Instant) -> Result<(), Duration> {
        let silent = now.saturating_duration_since(self.heartbeat);
        match silent > STUCK_AFTER {
            true => Err(silent),
            false => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> Status {
        Status::starting("apply", "keyrot.yaml".to_owned(), Timestamp::UNIX_EPOCH)
    }

    fn cycle(outcome: CycleOutcome) -> CycleRecord {
        CycleRecord {
            started_at: Timestamp::UNIX_EPOCH,
            duration_seconds: 1.0,
            read: outcome != CycleOutcome::Failed,
            outcome,
            error: Some("the API did not answer".to_owned()),
            rotated: 0,
            updated: 0,
            failed_actions: 0,
        }
    }

    #[test]
    fn a_leader_is_ready_once_a_cycle_read_and_while_its_file_is_valid() {
        let mut status = status();
        assert!(status.ready().is_err());
        status.role = Role::Leader;
        assert_eq!(status.ready(), Err(NotReady::NoCycleYet));
        status.last_cycle = Some(cycle(CycleOutcome::Failed));
        let unread = status.ready().unwrap_err().to_string();
        assert_eq!(
            unread,
            "the last cycle could not read the live state: the API did not answer"
        );
        status.last_cycle = Some(cycle(CycleOutcome::Partial));
        assert_eq!(status.ready(), Ok(()));
        status.desired_state.error = Some("keyrot.yaml:3:5: unknown field".to_owned());
        assert!(
            status
                .ready()
                .unwrap_err()
                .to_string()
                .contains("keyrot.yaml:3:5")
        );
    }

    #[test]
    fn a_standby_is_ready_with_a_valid_file_and_a_silent_loop_is_stuck() {
        let mut status = status();
        status.role = Role::Standby {
            leader: "ops@host".to_owned(),
        };
        assert_eq!(status.ready(), Ok(()));
        let later = status.heartbeat + STUCK_AFTER + Duration::from_secs(1);
        assert!(status.alive(status.heartbeat).is_ok());
        assert_eq!(
            status.alive(later),
            Err(STUCK_AFTER + Duration::from_secs(1))
        );
    }
}
