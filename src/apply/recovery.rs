//! What a crash left open, settled at the start of every plan, apply and drift: each write the
//! journal announced without an outcome (or with an unknown one) is settled by reading its
//! resource, and the keys whose new secret reached neither a sink nor a recovery file are found.

use std::collections::HashSet;

use futures_util::{StreamExt, stream};
use jiff::Timestamp;
use std::path::Path;

use super::journal::Journal;
use super::settle::change_evidence;
use super::sink_command::end_sink_survivors;
use super::unjournaled::{kept_records, merge};
use super::waiting::{WaitingSecret, waiting_secrets};
use crate::plan::{LostSecret, Target};
use crate::provider::{CurrentState, LiveReader};
use crate::state::{
    JournalEntry, JournalRecord, Ledger, StateBackend, StateError, Write, WriteAction, WriteOutcome,
};
use crate::vendor::Vendor;

/// What the journal says needs doing about secrets: the lost ones (a recovery file that is gone
/// included), and those waiting in recovery files.
#[derive(Debug, Default)]
pub struct SecretsToRecover {
    /// Keys whose current secret nobody has: rotate again.
    pub lost: Vec<LostSecret>,
    /// Secrets in recovery files, to deliver to their sinks.
    pub waiting: Vec<WaitingSecret>,
}

impl SecretsToRecover {
    fn from(ledger: &Ledger, recovery_dir: &Path) -> Self {
        let (waiting, mut lost) = waiting_secrets(ledger, recovery_dir);
        lost.extend(ledger.lost_secrets());
        Self { lost, waiting }
    }
}

/// How a command settles the writes the journal left open.
pub enum Settling<'a> {
    /// Records each settlement in the journal, after moving the records kept beside the file
    /// into it: apply, which holds the lock.
    Record(&'a Journal<'a>),
    /// Works the settlements out in memory and writes nothing, so that a database role that
    /// may only read is enough: plan, drift. The records kept beside the desired-state file
    /// under `unjournaled` count as journaled; `now` dates the settlements of run `run_id`.
    Read {
        /// `.keyrot/unjournaled/` beside the desired-state file.
        unjournaled: &'a Path,
        /// This run.
        run_id: &'a str,
        /// When it settles.
        now: Timestamp,
    },
}

/// Settles every open write except those of `running` (the run holding the lock, whose writes
/// are still in flight), as `settling` says; then returns every lost secret and every secret
/// waiting in a recovery file under `recovery_dir`. At most `parallelism` resources are read at
/// once; a write whose resource cannot be read stays open for a later run.
pub async fn settle_journal(
    reader: &impl LiveReader,
    backend: &dyn StateBackend,
    settling: Settling<'_>,
    (running, recovery_dir): (Option<&str>, &Path),
    parallelism: usize,
) -> Result<SecretsToRecover, StateError> {
    let mut records = match &settling {
        Settling::Record(journal) => {
            if let Some(directory) = journal.unjournaled_dir() {
                merge(directory, backend).await?;
            }
            backend.records().await?
        }
        Settling::Read { unjournaled, .. } => {
            let mut records = backend.records().await?;
            records.extend(kept_records(unjournaled));
            records
        }
    };
    let ledger = Ledger::new(&records);
    let settled: Vec<(&Write, WriteOutcome)> = stream::iter(ledger.open_writes(running))
        .map(|write| settle_write(reader, write))
        .buffer_unordered(parallelism.max(1))
        .filter_map(std::future::ready)
        .collect()
        .await;
    if settled.is_empty() {
        return Ok(SecretsToRecover::from(&ledger, recovery_dir));
    }
    match settling {
        Settling::Record(journal) => {
            for (write, outcome) in settled {
                let intent = (write.run_id.as_str(), write.intent.seq);
                journal
                    .settle(intent, &write.intent.resource, outcome)
                    .await?;
            }
            records = backend.records().await?;
        }
        Settling::Read { run_id, now, .. } => {
            let outcomes = settled
                .into_iter()
                .map(|(write, outcome)| settlement_record(write, outcome, run_id, now));
            records.extend(outcomes.collect::<Vec<_>>());
        }
    }
    Ok(SecretsToRecover::from(&Ledger::new(&records), recovery_dir))
}

/// What reading the resource of `write` says became of it; `None` when it cannot be read, or
/// its vendor is not one this keyrot knows: it stays open.
async fn settle_write<'w>(
    reader: &impl LiveReader,
    write: &'w Write,
) -> Option<(&'w Write, WriteOutcome)> {
    let vendor = Vendor::by_key(&write.intent.vendor)?;
    let target = Target {
        vendor,
        id: write.intent.id.clone(),
        sink: None,
    };
    let current = reader
        .read_current(&write.intent.resource, &target)
        .await
        .ok()?;
    Some((write, settled(write, current)))
}

/// An open rotate of a key whose API does not show its rotations: its secret is lost, for only
/// the answer the run never recorded held it. `attribute` (`modified_on`) at or after the
/// second the intent was recorded is evidence that it went through; an unmoved one proves
/// nothing, since the vendor does not document that a rotation moves it.
fn answer_lost(write: &Write, current: CurrentState, attribute: &str) -> WriteOutcome {
    // APIs tell times to the second: a change in the second the intent was recorded counts.
    let sent = Timestamp::from_second(write.at.as_second() - 1).unwrap_or(write.at);
    let evidence = change_evidence(attribute, current.changed_at, Some(sent));
    WriteOutcome::SecretLost {
        last_rotation: None,
        reason: format!(
            "the run ended before the journal recorded where the rotation's new secret went, \
             so the secret is taken for lost; {evidence}"
        ),
    }
}

/// The outcome record run `run_id` would journal for `write` at `now`.
fn settlement_record(
    write: &Write,
    outcome: WriteOutcome,
    run_id: &str,
    now: Timestamp,
) -> JournalRecord {
    JournalRecord {
        run_id: run_id.to_owned(),
        at: now,
        entry: JournalEntry::outcome_of(
            (&write.run_id, write.intent.seq),
            &write.intent.resource,
            outcome,
        ),
    }
}

/// Ends the sink commands (and their children) that earlier runs of this journal left running
/// when they were killed (runs with a write still open or a secret lost), so that none can
/// deliver a secret after this run recovers it; called with the lock held, so no other run of
/// this state is delivering. Returns how many it ended.
pub async fn end_sink_survivors_of(
    backend: &dyn StateBackend,
    running: &str,
) -> Result<usize, StateError> {
    let ledger = Ledger::new(&backend.records().await?);
    // Only runs that may have left a delivery unfinished: a write still open, or a secret the
    // journal calls lost. A process a finished delivery started on purpose is left alone.
    let runs: HashSet<String> = ledger
        .writes
        .iter()
        .filter(|write| {
            let lost = matches!(write.outcome, Some((WriteOutcome::SecretLost { .. }, _, _)));
            write.is_open() || lost
        })
        .map(|write| write.run_id.clone())
        .filter(|run| run != running)
        .collect();
    if runs.is_empty() {
        return Ok(0);
    }
    let ended = tokio::task::spawn_blocking(move || {
        end_sink_survivors(&runs.iter().map(String::as_str).collect())
    })
    .await;
    Ok(ended.unwrap_or(0))
}

/// What the resource as it is now says about an open write.
fn settled(write: &Write, current: CurrentState) -> WriteOutcome {
    let vendor = Vendor::by_key(&write.intent.vendor);
    if let Some(attribute) = vendor.and_then(|vendor| vendor.changed_attribute)
        && write.intent.action == WriteAction::Rotate
    {
        return answer_lost(write, current, attribute);
    }
    match write.intent.action {
        WriteAction::Rotate => {
            let rotated = match (write.intent.observed_last_rotation, current.last_rotation) {
                (Some(before), Some(now)) => now > before,
                (None, Some(_)) => true,
                (_, None) => false,
            };
            match (rotated, write.intent.issues_secret) {
                (true, true) => WriteOutcome::SecretLost {
                    last_rotation: current.last_rotation,
                    reason: "the run ended before the journal recorded where the rotation's new \
                             secret went"
                        .to_owned(),
                },
                (true, false) => WriteOutcome::Done {
                    last_rotation: current.last_rotation,
                },
                (false, _) => WriteOutcome::Failed {
                    error: "not rotated: the run ended before the rotate took effect".to_owned(),
                },
            }
        }
        WriteAction::UpdateInterval { to, .. } => {
            if current.interval_days == Some(f64::from(to)) {
                WriteOutcome::Done {
                    last_rotation: current.last_rotation,
                }
            } else {
                WriteOutcome::Failed {
                    error: "not applied: the run ended before the update took effect".to_owned(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::state::Intent;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn open_rotate(issues_secret: bool) -> Write {
        Write {
            run_id: "dead".to_owned(),
            at: at("2026-11-24T12:00:00Z"),
            intent: Intent {
                seq: 1,
                resource: "ci".to_owned(),
                vendor: "rixl".to_owned(),
                id: "K1".to_owned(),
                action: WriteAction::Rotate,
                observed_last_rotation: Some(at("2026-10-01T00:00:00Z")),
                issues_secret,
                reason: "key is 54 days old".to_owned(),
                by: "ops@host".to_owned(),
                command: "keyrot apply".to_owned(),
            },
            outcome: None,
        }
    }

    fn now_at(text: &str) -> CurrentState {
        CurrentState {
            last_rotation: Some(at(text)),
            interval_days: None,
            changed_at: None,
        }
    }

    #[test]
    fn a_rotation_that_happened_after_its_run_died_lost_its_secret() {
        let outcome = settled(&open_rotate(true), now_at("2026-11-24T12:00:01Z"));
        assert!(matches!(outcome, WriteOutcome::SecretLost { .. }));
    }

    #[test]
    fn a_rotation_without_a_secret_that_happened_is_done() {
        let outcome = settled(&open_rotate(false), now_at("2026-11-24T12:00:01Z"));
        assert!(matches!(outcome, WriteOutcome::Done { .. }));
    }

    #[test]
    fn an_update_is_done_only_when_the_interval_is_the_one_it_sent() {
        let mut write = open_rotate(false);
        write.intent.action = WriteAction::UpdateInterval { from: 90.0, to: 30 };
        let interval = |days: f64| CurrentState {
            last_rotation: None,
            interval_days: Some(days),
            changed_at: None,
        };
        assert!(matches!(
            settled(&write, interval(30.0)),
            WriteOutcome::Done { .. }
        ));
        assert!(matches!(
            settled(&write, interval(90.0)),
            WriteOutcome::Failed { .. }
        ));
    }

    #[test]
    fn a_rotation_that_never_happened_failed() {
        let outcome = settled(&open_rotate(true), now_at("2026-10-01T00:00:00Z"));
        assert!(matches!(outcome, WriteOutcome::Failed { .. }));
    }
}
