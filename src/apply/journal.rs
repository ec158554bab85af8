//! The apply engine's side of the write-ahead journal: an intent recorded (and durable) before
//! each write is sent, and its outcome after, in the state backend. Never a secret.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;

use super::clock::Clock;
use super::report::{ActionFailure, Outcome};
use super::unjournaled::keep;
use crate::plan::{Action, ResourcePlan};
use crate::provider::ProviderError;
use crate::state::{
    Intent, JournalEntry, JournalRecord, StateBackend, StateError, WriteAction, WriteOutcome,
};

/// One run's journal.
pub struct Journal<'a> {
    backend: &'a dyn StateBackend,
    clock: &'a dyn Clock,
    run_id: String,
    by: String,
    command: String,
    next_seq: AtomicU64,
    /// Where outcomes the backend cannot take are kept for the next run.
    unjournaled: Option<PathBuf>,
}

impl<'a> Journal<'a> {
    /// The journal of run `run_id`, by `by` (`user@host`), running `command`.
    pub fn new(
        backend: &'a dyn StateBackend,
        clock: &'a dyn Clock,
        run_id: &str,
        by: &str,
        command: &str,
    ) -> Self {
        Self {
            backend,
            clock,
            run_id: run_id.to_owned(),
            by: by.to_owned(),
            command: command.to_owned(),
            next_seq: AtomicU64::new(1),
            unjournaled: None,
        }
    }

    /// The same journal, keeping outcomes the backend cannot take under `directory`.
    pub fn keeping_unjournaled_in(mut self, directory: PathBuf) -> Self {
        self.unjournaled = Some(directory);
        self
    }

    /// Where outcomes the backend could not take are kept, if anywhere.
    pub fn unjournaled_dir(&self) -> Option<&Path> {
        self.unjournaled.as_deref()
    }

    /// Records that `action` of `resource` is about to be sent, planned from a last rotation of
    /// `observed`; returns the intent's number once it is durable.
    pub async fn intent(
        &self,
        resource: &ResourcePlan,
        action: &Action,
        observed: Option<Timestamp>,
    ) -> Result<u64, StateError> {
        let seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
        let (action, reason) = match action {
            Action::UpdateInterval { from, to } => (
                WriteAction::UpdateInterval {
                    from: *from,
                    to: *to,
                },
                format!("{} {from} -> {to}", resource.target.vendor.interval_name()),
            ),
            Action::Rotate { reasons } => (
                WriteAction::Rotate,
                reasons
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        };
        let intent = Intent {
            seq,
            resource: resource.name.clone(),
            vendor: resource.target.vendor.key.to_owned(),
            id: resource.target.id.clone(),
            action,
            observed_last_rotation: observed,
            issues_secret: resource.target.issues_secrets(),
            reason,
            by: self.by.clone(),
            command: self.command.clone(),
        };
        self.append(JournalEntry::Intent(intent)).await?;
        Ok(seq)
    }

    /// Records what became of this run's intent `seq`. Where a new secret went is durable
    /// before this returns: read back as an open write, a delivered secret would be taken for
    /// a lost one. Other outcomes may wait for [`Journal::flush`]: lost in a crash, they are
    /// settled by reading the resource. An outcome the backend refuses is kept in a file for
    /// the next run (and the error returned, so the run stops).
    pub async fn outcome(
        &self,
        seq: u64,
        resource: &str,
        outcome: WriteOutcome,
    ) -> Result<(), StateError> {
        let secret_fate = outcome.concerns_a_secret();
        let entry = JournalEntry::outcome_of((&self.run_id, seq), resource, outcome);
        let record = self.record(entry);
        let records = std::slice::from_ref(&record);
        let appended = match secret_fate {
            true => self.backend.append(records).await,
            false => self.backend.append_soon(records).await,
        };
        if let (Err(_), Some(directory)) = (&appended, &self.unjournaled) {
            let _ = keep(directory, &record);
        }
        appended
    }

    /// Returns once every record of this run is durable.
    pub async fn flush(&self) -> Result<(), StateError> {
        self.backend.flush().await
    }

    /// Records what became of intent `seq` of run `intent_run` (this run's or a dead one's),
    /// a write to `resource`.
    pub async fn settle(
        &self,
        intent: (&str, u64),
        resource: &str,
        outcome: WriteOutcome,
    ) -> Result<(), StateError> {
        self.append(JournalEntry::outcome_of(intent, resource, outcome))
            .await
    }

    async fn append(&self, entry: JournalEntry) -> Result<(), StateError> {
        let record = self.record(entry);
        self.backend.append(std::slice::from_ref(&record)).await
    }

    fn record(&self, entry: JournalEntry) -> JournalRecord {
        JournalRecord {
            run_id: self.run_id.clone(),
            at: self.clock.now(),
            entry,
        }
    }
}

/// What the journal records of an action's outcome; `None` for an action that was not sent.
pub fn journaled(outcome: &Outcome) -> Option<WriteOutcome> {
    Some(match outcome {
        Outcome::Done(effect) => match &effect.secret_delivered_to {
            Some(sink) => WriteOutcome::SecretDelivered {
                last_rotation: effect.last_rotation_at,
                sink: sink.clone(),
            },
            None => WriteOutcome::Done {
                last_rotation: effect.last_rotation_at,
            },
        },
        Outcome::Failed(ActionFailure::SecretUndelivered {
            recovered_to: Ok(path),
            issued_at,
            ..
        }) => WriteOutcome::SecretRecovered {
            last_rotation: *issued_at,
            path: path.display().to_string(),
        },
        Outcome::Failed(
            failure @ ActionFailure::SecretUndelivered {
                issued_at: last_rotation,
                ..
            },
        ) => WriteOutcome::SecretLost {
            last_rotation: *last_rotation,
            reason: failure.to_string(),
        },
        Outcome::Failed(ActionFailure::Provider(error)) => provider_outcome(error),
        Outcome::Abandoned => WriteOutcome::Unknown {
            error: "a second signal stopped the wait for its answer".to_owned(),
        },
        Outcome::Failed(ActionFailure::Journal(_) | ActionFailure::ClockInDoubt(_))
        | Outcome::NotStarted(_)
        | Outcome::SkippedRotatedMeanwhile { .. }
        | Outcome::SkippedTooSoon { .. }
        | Outcome::SkippedChangedSincePlan { .. } => return None,
    })
}

fn provider_outcome(error: &ProviderError) -> WriteOutcome {
    match error {
        ProviderError::SecretLost { created_at, .. } => WriteOutcome::SecretLost {
            last_rotation: created_at.parse().ok(),
            reason: error.to_string(),
        },
        ProviderError::SecretMissing { .. } | ProviderError::AnswerLost { .. } => {
            WriteOutcome::SecretLost {
                last_rotation: None,
                reason: error.to_string(),
            }
        }
        ProviderError::RotationOutcomeUnknown { .. } => WriteOutcome::Unknown {
            error: error.to_string(),
        },
        _ => WriteOutcome::Failed {
            error: error.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ResourceLabel;

    fn refused() -> ProviderError {
        ProviderError::Status {
            resource: ResourceLabel("ci".to_owned()),
            operation: "rotate".to_owned(),
            status: 500,
            detail: "boom".to_owned(),
        }
    }

    #[test]
    fn a_failure_is_journaled_as_what_it_means_for_the_secret() {
        let lost = ProviderError::SecretLost {
            failure: Box::new(refused()),
            created_at: "2026-11-24T12:00:00Z".to_owned(),
        };
        assert!(matches!(
            provider_outcome(&lost),
            WriteOutcome::SecretLost {
                last_rotation: Some(_),
                ..
            }
        ));
        let missing = ProviderError::SecretMissing {
            resource: ResourceLabel("ci".to_owned()),
            operation: "rotate".to_owned(),
        };
        assert!(matches!(
            provider_outcome(&missing),
            WriteOutcome::SecretLost {
                last_rotation: None,
                ..
            }
        ));
        let unknown = ProviderError::RotationOutcomeUnknown {
            failure: Box::new(refused()),
            read_error: "timeout".to_owned(),
        };
        assert!(matches!(
            provider_outcome(&unknown),
            WriteOutcome::Unknown { .. }
        ));
        assert!(matches!(
            provider_outcome(&refused()),
            WriteOutcome::Failed { .. }
        ));
    }
}
