//! `keyrot history`: every write the journal recorded, newest first, as text or JSON.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::style::Style;
use crate::plan::instant_in_words;
use crate::state::{Write, WriteAction, WriteOutcome};
use crate::vendor::Vendor;

/// The history as text: one block per write, newest first.
pub fn render_history(writes: &[&Write], style: Style) -> String {
    if writes.is_empty() {
        return "No writes recorded.\n".to_owned();
    }
    let mut out = String::new();
    for write in writes {
        let intent = &write.intent;
        let outcome = match &write.outcome {
            Some((outcome, _, _)) => outcome_text(outcome),
            None => {
                "no outcome recorded (the run ended first; the next plan settles it)".to_owned()
            }
        };
        let headline = format!(
            "{}  {}  {}",
            instant_in_words(write.at),
            intent.resource,
            action_text(&intent.action, &intent.vendor)
        );
        let _ = writeln!(
            out,
            "{}: {}",
            style.bold(&headline),
            outcome_color(write, &outcome, style)
        );
        let _ = writeln!(
            out,
            "    run {} by {}: {}",
            write.run_id, intent.by, intent.command
        );
        if let Some((_, settled_by, at)) = &write.outcome
            && *settled_by != write.run_id
        {
            let _ = writeln!(
                out,
                "    settled by run {settled_by} on {}",
                instant_in_words(*at)
            );
        }
        let _ = writeln!(
            out,
            "    {}",
            style.dimmed(&format!("reason: {}", intent.reason))
        );
    }
    out
}

fn outcome_color(write: &Write, text: &str, style: Style) -> String {
    match write.outcome.as_ref().map(|(outcome, _, _)| outcome) {
        Some(WriteOutcome::Done { .. } | WriteOutcome::SecretDelivered { .. }) => style.green(text),
        Some(WriteOutcome::SecretRecovered { .. } | WriteOutcome::Unknown { .. }) | None => {
            style.yellow(text)
        }
        Some(WriteOutcome::SecretLost { .. } | WriteOutcome::Failed { .. }) => style.red(text),
    }
}

/// What a write did, the interval named as the write's vendor (by key) names it.
fn action_text(action: &WriteAction, vendor: &str) -> String {
    match action {
        WriteAction::UpdateInterval { from, to } => {
            let interval = Vendor::by_key(vendor).map_or("interval_days", Vendor::interval_name);
            format!("update {interval} {from} -> {to}")
        }
        WriteAction::Rotate => "rotate".to_owned(),
    }
}

fn outcome_text(outcome: &WriteOutcome) -> String {
    match outcome {
        WriteOutcome::Done { .. } => "done".to_owned(),
        WriteOutcome::SecretDelivered { sink, .. } => {
            format!("done; new secret delivered to {sink}")
        }
        WriteOutcome::SecretRecovered { path, .. } => {
            format!("done; its sink refused the new secret, saved to {path}")
        }
        WriteOutcome::SecretLost { reason, .. } => format!("secret lost: {reason}"),
        WriteOutcome::Failed { error } => format!("failed: {error}"),
        WriteOutcome::Unknown { error } => format!("unknown: {error}"),
    }
}

/// The history as one JSON document.
pub fn history_document(writes: &[&Write]) -> Value {
    json!({
        "format_version": 1,
        "command": "history",
        "writes": writes.iter().map(|write| write_json(write)).collect::<Vec<_>>(),
    })
}

fn write_json(write: &Write) -> Value {
    let intent = &write.intent;
    let (outcome, settled_by, settled_at) = match &write.outcome {
        Some((outcome, by, at)) => (json!(outcome), json!(by), json!(at)),
        None => (Value::Null, Value::Null, Value::Null),
    };
    json!({
        "run_id": write.run_id,
        "at": write.at,
        "resource": intent.resource,
        "provider": intent.vendor,
        "id": intent.id,
        "action": intent.action,
        "observed_last_rotation": intent.observed_last_rotation,
        "reason": intent.reason,
        "by": intent.by,
        "command": intent.command,
        "outcome": outcome,
        "outcome_recorded_by": settled_by,
        "outcome_recorded_at": settled_at,
    })
}
