//! Secrets waiting in recovery files. The journal says which rotation's secret went to a
//! recovery file; until it is delivered to its sink (by the next apply, or `keyrot deliver`)
//! or acknowledged, plan, drift and their metrics show it; and a recovery file that is gone
//! is a lost secret, recovered by rotating again.

use std::fs;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use secrecy::SecretString;

use super::checks::not_protected;
use super::journal::Journal;
use super::secret::printable;
use super::sink::{SinkError, check_sink, deliver};
use crate::config::SecretSink;
use crate::plan::{AwaitingDelivery, LostSecret, Target};
use crate::provider::LiveReader;
use crate::state::{Ledger, StateError, WriteOutcome};
use crate::vendor::Vendor;

/// A secret in a recovery file, with the write that put it there.
#[derive(Clone, Debug)]
pub struct WaitingSecret {
    /// What plans show.
    pub entry: AwaitingDelivery,
    /// The recovery file, in this desired-state file's recovery directory.
    pub file: PathBuf,
    /// The run and intent of the rotation that issued it.
    pub intent: (String, u64),
    /// The key, as the intent names it.
    pub target: Option<Target>,
    /// The key's rotation that issued it (its answer's `created_at`), when recorded; else when
    /// the secret was saved, by the journal's clock: a later rotation is someone else's.
    pub issued: Issued,
}

/// What tells the rotation that issued a waiting secret from a later one.
#[derive(Clone, Copy, Debug)]
pub enum Issued {
    /// The rotation's own time, as its answer reported it.
    At(Timestamp),
    /// The rotation happened no later than this.
    NoLaterThan(Timestamp),
}

impl Issued {
    /// True when `current` (the key's last rotation now) is that rotation, not a later one.
    fn is_current(self, current: Option<Timestamp>) -> bool {
        match (self, current) {
            (Self::At(at), Some(current)) => current == at,
            (Self::NoLaterThan(at), Some(current)) => current <= at,
            (_, None) => false,
        }
    }
}

/// The secrets the journal says wait in recovery files under `recovery_dir`; those whose file
/// is gone are lost secrets.
pub fn waiting_secrets(
    ledger: &Ledger,
    recovery_dir: &Path,
) -> (Vec<WaitingSecret>, Vec<LostSecret>) {
    let mut waiting = Vec::new();
    let mut lost = Vec::new();
    for (write, entry) in ledger.awaiting_delivery() {
        // Recovery files live beside the desired-state file, whatever directory the run that
        // wrote one was started from.
        let name = Path::new(&entry.path).file_name().unwrap_or_default();
        let file = recovery_dir.join(name);
        if file.is_file() {
            let intent = (write.run_id.clone(), write.intent.seq);
            let target = Vendor::by_key(&write.intent.vendor).map(|vendor| Target {
                vendor,
                id: write.intent.id.clone(),
                sink: None,
            });
            let issued = match &write.outcome {
                Some((
                    WriteOutcome::SecretRecovered {
                        last_rotation: Some(at),
                        ..
                    },
                    _,
                    _,
                )) => Issued::At(*at),
                // Waiting secrets come from recorded outcomes: the outcome's time bounds it.
                Some((_, _, recorded)) => Issued::NoLaterThan(*recorded),
                None => continue,
            };
            waiting.push(WaitingSecret {
                entry,
                file,
                intent,
                target,
                issued,
            });
        } else {
            lost.push(LostSecret {
                resource: entry.resource,
                run_id: write.run_id.clone(),
                at: write.at,
            });
        }
    }
    (waiting, lost)
}

/// Why a waiting secret could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// The recovery file could not be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// The sink refused it; it stays in its recovery file.
    #[error("{0}; the secret stays in its recovery file")]
    Sink(SinkError),
    /// The key was rotated again since: the secret in the file no longer works.
    #[error(
        "the key was rotated again since this secret was issued (its last rotation is now \
         {now}), so the secret in the recovery file no longer works and was not delivered; the \
         file was removed, and the journal records the key's secret as lost: the next `keyrot \
         apply` rotates it and delivers the new one"
    )]
    Superseded {
        /// The key's last rotation now.
        now: String,
    },
    /// The key's current state could not be read, so the secret was not delivered.
    #[error(
        "cannot check that the key was not rotated since: {0}; the secret stays in its \
         recovery file"
    )]
    Unchecked(String),
    /// The journal could not record it.
    #[error(transparent)]
    Journal(#[from] StateError),
}

/// Delivers `waiting` from its recovery file to `sink`, records that in `journal`, then removes
/// the file; first checks with `reader` that the key was not rotated again since, for then the
/// secret is revoked and would overwrite a working one.
pub async fn deliver_waiting(
    waiting: &WaitingSecret,
    sink: &SecretSink,
    protected: &[(PathBuf, &'static str)],
    reader: &impl LiveReader,
    journal: &Journal<'_>,
    run_id: &str,
) -> Result<(), DeliverError> {
    // The checks a fresh secret's sink gets before the first rotate.
    let recovery_dir = waiting.file.parent().unwrap_or(Path::new("."));
    check_sink(sink)
        .and_then(|()| not_protected(sink, recovery_dir, protected))
        .map_err(DeliverError::Sink)?;
    let Some(target) = &waiting.target else {
        return Err(DeliverError::Unchecked(
            "the journal names an unknown vendor".to_owned(),
        ));
    };
    let current = reader
        .read_current(&waiting.entry.resource, target)
        .await
        .map_err(|error| DeliverError::Unchecked(error.to_string()))?;
    if current.last_rotation.is_none() {
        return Err(DeliverError::Unchecked(
            "the API reports no last rotation for the key".to_owned(),
        ));
    }
    if !waiting.issued.is_current(current.last_rotation) {
        let now = current
            .last_rotation
            .map_or_else(|| "unknown".to_owned(), |at| at.to_string());
        let lost = WriteOutcome::SecretLost {
            last_rotation: current.last_rotation,
            reason: format!(
                "the key was rotated again (last rotation {now}) while its secret waited in a \
                 recovery file"
            ),
        };
        close(waiting, journal, lost).await?;
        return Err(DeliverError::Superseded { now });
    }
    let path = waiting.file.display().to_string();
    let text = fs::read_to_string(&waiting.file).map_err(|error| DeliverError::Read {
        path: path.clone(),
        error,
    })?;
    // A recovery file holds the secret and one newline.
    let secret = SecretString::from(text.strip_suffix('\n').unwrap_or(&text).to_owned());
    if !printable(&secret) {
        return Err(DeliverError::Sink(SinkError {
            sink: sink.to_string(),
            reason: "the secret in the recovery file is blank or holds a control character, \
                     so it is not handed to a sink"
                .to_owned(),
        }));
    }
    let sink_shown = sink.to_string();
    let sink = sink.clone();
    let run_id = run_id.to_owned();
    let delivered = tokio::task::spawn_blocking(move || deliver(&sink, &secret, &run_id))
        .await
        .map_err(|crashed| {
            DeliverError::Sink(SinkError {
                sink: sink_shown.clone(),
                reason: format!("the delivery crashed ({crashed})"),
            })
        })?;
    delivered.map_err(DeliverError::Sink)?;
    let outcome = WriteOutcome::SecretDelivered {
        last_rotation: None,
        sink: format!("{sink_shown} (from {path})"),
    };
    close(waiting, journal, outcome).await
}

/// Records that the operator put `waiting`'s secret where it belongs, then removes its file.
pub async fn acknowledge(
    waiting: &WaitingSecret,
    journal: &Journal<'_>,
    by: &str,
) -> Result<(), DeliverError> {
    let outcome = WriteOutcome::SecretDelivered {
        last_rotation: None,
        sink: format!(
            "its sink by hand, from {} (acknowledged by {by})",
            waiting.file.display()
        ),
    };
    close(waiting, journal, outcome).await
}

async fn close(
    waiting: &WaitingSecret,
    journal: &Journal<'_>,
    outcome: WriteOutcome,
) -> Result<(), DeliverError> {
    let (run, seq) = &waiting.intent;
    let resource = &waiting.entry.resource;
    journal.settle((run, *seq), resource, outcome).await?;
    // The journal says it is delivered: the copy is a secret lying around, and goes.
    let _ = fs::remove_file(&waiting.file);
    Ok(())
}
