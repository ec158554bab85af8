//! `keyrot serve`'s log: one line per event on stderr, as text or as JSON (`--log-format`),
//! through `tracing`. Lines carry names, outcomes and error messages, never a secret.

use std::time::Duration;

use jiff::SignedDuration;

use super::events::ServeEvent;
use crate::config::format_duration;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// `2026-12-06T21:00:00.000000Z  INFO rotated resource=ci-uploader`.
    Text,
    /// One JSON object a line: `timestamp`, `level`, `message` and the fields.
    Json,
}

/// Sends this process's log lines to stderr in `format`, colored when `color`.
pub fn init(format: LogFormat, color: bool) {
    // A log reader that went away (a closed pipe, a restarting shipper) must not stop the
    // reconciler: a line that cannot be written is dropped, never reported on stderr (which
    // would panic on the same closed pipe).
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .log_internal_errors(false)
        .with_target(false);
    // Another subscriber may already be installed (tests in one process): keep it.
    let _ = match format {
        LogFormat::Text => builder.with_ansi(color).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
    };
}

/// A period in the log's words: `15m`, `1d`, `100ms`.
pub fn duration_in_words(span: Duration) -> String {
    match span.as_secs() {
        0 => format!("{}ms", span.as_millis()),
        seconds => SignedDuration::try_from(span)
            .map(format_duration)
            .unwrap_or_else(|_| format!("{seconds}s")),
    }
}

/// Writes `event` as one line.
pub fn event(event: &ServeEvent) {
    match event {
        ServeEvent::Rotated { resource } => tracing::info!(resource, "rotated"),
        ServeEvent::IntervalUpdated { resource, to } => {
            tracing::info!(resource, days = to, "interval updated");
        }
        ServeEvent::ActionFailed { resource, error } => {
            tracing::error!(resource, error, "action failed");
        }
        ServeEvent::Drift { resource } => tracing::warn!(resource, "drift"),
        ServeEvent::LostSecret { resource } => tracing::error!(resource, "secret lost"),
        ServeEvent::SecretRecovered { resource } => tracing::info!(resource, "secret recovered"),
        ServeEvent::ReadFailed { resource } => tracing::error!(resource, "read failed"),
        ServeEvent::GuardrailRefused { error } => tracing::error!(error, "guardrail refused"),
        ServeEvent::CycleFailed { error } => tracing::error!(error, "cycle failed"),
    }
}
