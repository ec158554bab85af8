//! A rotation's new secret, from the moment it arrives: to its sink before anything else, or to
//! a recovery file, never dropped.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};

use super::clock::Clock;
use super::report::{ActionFailure, Outcome};
use super::sink::{SinkError, deliver_within, recover};
use crate::config::SecretSink;
use crate::http::LockLost;
use crate::plan::ResourcePlan;
use crate::provider::Executed;

/// Delivers an action's new secret (if it issued one) to the resource's sink; a secret the sink
/// refuses is saved to a recovery file. The delivery runs off the async workers, so a slow sink
/// command never holds up other resources' requests.
/// How a new secret is delivered.
pub(super) struct Delivery<'a> {
    /// Where a secret its sink refuses is saved.
    pub recovery_dir: &'a Path,
    /// Stamps recovery files.
    pub clock: &'a dyn Clock,
    /// The run delivering, carried by a sink command's processes.
    pub run_id: &'a str,
    /// Whether the apply lock is still held and for how long (`None`: no bound), or why not.
    pub lock: Result<Option<Duration>, LockLost>,
}

/// Delivers the secret a rotation issued to its sink while the lock is held, else saves it to a
/// recovery file, and reports the action's outcome.
pub(super) async fn settle_secret(
    resource: &ResourcePlan,
    executed: Executed,
    delivery: Delivery<'_>,
) -> Outcome {
    let Executed { mut effect, secret } = executed;
    let Some(secret) = secret else {
        return Outcome::Done(effect);
    };
    let sink = resource.target.sink.clone();
    let shown = sink.as_ref().map(ToString::to_string);
    let name = resource.name.clone();
    let directory = delivery.recovery_dir.to_owned();
    let now = delivery.clock.now();
    let run_id = delivery.run_id.to_owned();
    let lock = delivery.lock;
    let delivered = tokio::task::spawn_blocking(move || {
        let to = SinkWhileLocked {
            sink: sink.as_deref(),
            lock,
        };
        deliver_or_recover(to, &secret, &directory, &name, now, &run_id)
    })
    .await;
    match delivered {
        Ok(Ok(())) => {
            effect.secret_delivered_to = shown;
            Outcome::Done(effect)
        }
        Ok(Err(ActionFailure::SecretUndelivered {
            resource,
            error,
            recovered_to,
            ..
        })) => Outcome::Failed(ActionFailure::SecretUndelivered {
            resource,
            error,
            recovered_to,
            issued_at: effect.last_rotation_at,
        }),
        Ok(Err(failure)) => Outcome::Failed(failure),
        Err(crashed) => Outcome::Failed(ActionFailure::SecretUndelivered {
            resource: resource.name.clone(),
            error: Box::new(SinkError {
                sink: shown.unwrap_or_default(),
                reason: format!("the delivery crashed ({crashed})"),
            }),
            recovered_to: Err("the delivery crashed before saving it".to_owned()),
            issued_at: effect.last_rotation_at,
        }),
    }
}

/// Whether `secret` is one non-blank line of printable characters.
pub(super) fn printable(secret: &SecretString) -> bool {
    let text = secret.expose_secret();
    !text.trim().is_empty() && !text.chars().any(char::is_control)
}

/// Where a new secret may go: its sink, while the lock is held.
struct SinkWhileLocked<'a> {
    sink: Option<&'a SecretSink>,
    lock: Result<Option<Duration>, LockLost>,
}

fn deliver_or_recover(
    to: SinkWhileLocked<'_>,
    secret: &SecretString,
    recovery_dir: &Path,
    resource: &str,
    at: Timestamp,
    run_id: &str,
) -> Result<(), ActionFailure> {
    let error = match (to.sink, to.lock) {
        // Another apply may hold the lock now and rotate this key again: the secret goes to a
        // recovery file, which is delivered only once the key is seen not to have moved.
        (Some(sink), Err(lost)) => SinkError {
            sink: sink.to_string(),
            reason: format!("not delivered, since {lost}"),
        },
        (Some(sink), Ok(_)) if !printable(secret) => SinkError {
            sink: sink.to_string(),
            reason: "the vendor issued a secret that is blank or holds a control character (a \
                     newline, a tab, an escape): a sink could take it for two values or a \
                     terminal could act on it, so it was not delivered"
                .to_owned(),
        },
        (Some(sink), Ok(within)) => match deliver_within(sink, secret, run_id, within) {
            Ok(()) => return Ok(()),
            Err(error) => error,
        },
        // A provider that issues secrets always has a sink; never drop one silently.
        (None, _) => SinkError {
            sink: "(none)".to_owned(),
            reason: "this resource has no secret sink".to_owned(),
        },
    };
    let recovered_to = recover(recovery_dir, resource, secret, at).map_err(|e| e.to_string());
    Err(ActionFailure::SecretUndelivered {
        resource: resource.to_owned(),
        error: Box::new(error),
        recovered_to,
        issued_at: None,
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn held(sink: &SecretSink) -> SinkWhileLocked<'_> {
        SinkWhileLocked {
            sink: Some(sink),
            lock: Ok(None),
        }
    }

    /// A file sink `ci.key` in `directory`, and its path.
    fn file_sink_in(directory: &Path) -> (SecretSink, PathBuf) {
        let path = directory.join("ci.key");
        let sink = SecretSink::File {
            shown: "ci.key".to_owned(),
            path: path.clone(),
        };
        (sink, path)
    }

    /// The sink's error and where the secret went instead.
    fn undelivered(failure: ActionFailure) -> (SinkError, Result<PathBuf, String>) {
        let ActionFailure::SecretUndelivered {
            error,
            recovered_to,
            ..
        } = failure
        else {
            panic!("not an undelivered secret");
        };
        (*error, recovered_to)
    }

    #[test]
    fn a_secret_received_after_the_lock_was_lost_goes_to_a_recovery_file() {
        let directory = tempfile::tempdir().unwrap();
        let (sink, sink_path) = file_sink_in(directory.path());
        let lost = SinkWhileLocked {
            sink: Some(&sink),
            lock: Err(LockLost("the apply lock was lost".to_owned())),
        };
        let secret: SecretString = "rxl_good".to_owned().into();
        let at = "2026-11-24T12:00:00Z".parse().unwrap();
        let recovery = directory.path().join("recovered");
        let failure = deliver_or_recover(lost, &secret, &recovery, "ci", at, "run1").unwrap_err();
        let (error, recovered_to) = undelivered(failure);
        assert!(error.reason.contains("the apply lock was lost"), "{error}");
        assert!(recovered_to.is_ok());
        assert!(!sink_path.exists());
    }

    #[test]
    fn a_secret_with_a_control_character_goes_to_a_recovery_file_never_to_its_sink() {
        let directory = tempfile::tempdir().unwrap();
        let (sink, sink_path) = file_sink_in(directory.path());
        let recovery = directory.path().join("recovered");
        for issued in ["rxl_abc\nrxl_def", "rxl_\u{1b}[2J", "  ", "tab\there"] {
            let secret: SecretString = issued.to_owned().into();
            let at = "2026-11-24T12:00:00Z".parse().unwrap();
            let failure =
                deliver_or_recover(held(&sink), &secret, &recovery, "ci", at, "run1").unwrap_err();
            let (error, recovered_to) = undelivered(failure);
            assert!(error.reason.contains("control character"), "{error}");
            let saved = std::fs::read_to_string(recovered_to.unwrap()).unwrap();
            assert_eq!(saved.trim_end_matches('\n'), issued);
            assert!(!sink_path.exists(), "{issued:?} reached the sink");
        }
        let good: SecretString = "rxl_good".to_owned().into();
        let at = "2026-11-24T12:00:00Z".parse().unwrap();
        deliver_or_recover(held(&sink), &good, &recovery, "ci", at, "run1").unwrap();
        assert_eq!(std::fs::read_to_string(&sink_path).unwrap(), "rxl_good\n");
    }
}
