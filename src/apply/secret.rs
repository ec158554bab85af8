//! A rotation's new secret, from the moment it arrives: to its sink before anything else, or to
//! a recovery file, never dropped.

use std::path::Path;

use jiff::Timestamp;
use secrecy::SecretString;

use super::clock::Clock;
use super::report::{ActionFailure, Outcome};
use super::sink::{SinkError, deliver, recover};
use crate::config::SecretSink;
use crate::plan::ResourcePlan;
use crate::provider::Executed;

/// Delivers an action's new secret (if it issued one) to the resource's sink; a secret the sink
/// refuses is saved to a recovery file. The delivery runs off the async workers, so a slow sink
/// command never holds up other resources' requests.
pub(super) async fn settle_secret(
    resource: &ResourcePlan,
    executed: Executed,
    recovery_dir: &Path,
    clock: &dyn Clock,
    run_id: &str,
) -> Outcome {
    let Executed { mut effect, secret } = executed;
    let Some(secret) = secret else {
        return Outcome::Done(effect);
    };
    let sink = resource.target.sink.clone();
    let shown = sink.as_ref().map(ToString::to_string);
    let name = resource.name.clone();
    let directory = recovery_dir.to_owned();
    let now = clock.now();
    let run_id = run_id.to_owned();
    let delivered = tokio::task::spawn_blocking(move || {
        deliver_or_recover(sink.as_ref(), &secret, &directory, &name, now, &run_id)
    })
    .await;
    match delivered {
        Ok(Ok(())) => {
            effect.secret_delivered_to = shown;
            Outcome::Done(effect)
        }
        Ok(Err(failure)) => Outcome::Failed(failure),
        Err(crashed) => Outcome::Failed(ActionFailure::SecretUndelivered {
            error: SinkError {
                sink: shown.unwrap_or_default(),
                reason: format!("the delivery crashed ({crashed})"),
            },
            recovered_to: Err("the delivery crashed before saving it".to_owned()),
        }),
    }
}

fn deliver_or_recover(
    sink: Option<&SecretSink>,
    secret: &SecretString,
    recovery_dir: &Path,
    resource: &str,
    at: Timestamp,
    run_id: &str,
) -> Result<(), ActionFailure> {
    let error = match sink {
        Some(sink) => match deliver(sink, secret, run_id) {
            Ok(()) => return Ok(()),
            Err(error) => error,
        },
        // A provider that issues secrets always has a sink; never drop one silently.
        None => SinkError {
            sink: "(none)".to_owned(),
            reason: "this resource has no secret sink".to_owned(),
        },
    };
    let recovered_to = recover(recovery_dir, resource, secret, at).map_err(|e| e.to_string());
    Err(ActionFailure::SecretUndelivered {
        error,
        recovered_to,
    })
}
