//! Drift as Prometheus text exposition, for node_exporter's textfile collector.

use std::fmt::Write;

use jiff::Timestamp;

use super::json::identity;
use crate::plan::{DeadlineStatus, Plan, ResourcePlan};

/// The metrics of a drift run that produced `plan`, finished at `finished`.
pub fn render_metrics(plan: &Plan, finished: Timestamp) -> String {
    let mut out = String::new();
    gauge(
        &mut out,
        "keyrot_drift_resources",
        "Resources that drifted: an action would be planned, or a deadline is overdue.",
    );
    let _ = writeln!(out, "keyrot_drift_resources {}", plan.drifted_resources());
    gauge(
        &mut out,
        "keyrot_lost_secrets",
        "Keys whose current secret reached neither a sink nor a recovery file (the journal says).",
    );
    let _ = writeln!(out, "keyrot_lost_secrets {}", plan.lost_secrets());
    per_resource(
        &mut out,
        plan,
        "keyrot_resource_drift",
        "1 when the resource drifted, else 0.",
        |r| Some(i64::from(r.is_drifted())),
    );
    per_resource(
        &mut out,
        plan,
        "keyrot_key_age_seconds",
        "Seconds since the key's last rotation, when the API reports it.",
        |r| {
            r.last_rotation
                .map(|last| plan.now.duration_since(last.min(plan.now)).as_secs())
        },
    );
    per_resource(
        &mut out,
        plan,
        "keyrot_rotation_overdue",
        "1 when the resource's rotate_by deadline passed unmet, else 0.",
        |r| Some(i64::from(r.is_overdue())),
    );
    per_resource(
        &mut out,
        plan,
        "keyrot_seconds_until_deadline",
        "Seconds until the resource's rotate_by deadline (negative once passed).",
        |r| {
            r.deadline
                .as_ref()
                .map(|status| deadline(status).duration_since(plan.now).as_secs())
        },
    );
    out.push_str(&run_metrics(finished, true));
    out
}

/// The metrics of a drift run that failed: only when it ran and that it failed.
pub fn render_failed_run_metrics(finished: Timestamp) -> String {
    run_metrics(finished, false)
}

fn run_metrics(finished: Timestamp, success: bool) -> String {
    let mut out = String::new();
    gauge(
        &mut out,
        "keyrot_last_run_timestamp_seconds",
        "When the last drift run finished.",
    );
    let _ = writeln!(
        out,
        "keyrot_last_run_timestamp_seconds {}",
        finished.as_second()
    );
    gauge(
        &mut out,
        "keyrot_last_run_success",
        "1 when the last drift run succeeded, else 0.",
    );
    let _ = writeln!(out, "keyrot_last_run_success {}", i64::from(success));
    out
}

fn gauge(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

fn per_resource(
    out: &mut String,
    plan: &Plan,
    name: &str,
    help: &str,
    value: impl Fn(&ResourcePlan) -> Option<i64>,
) {
    gauge(out, name, help);
    for resource in &plan.resources {
        if let Some(value) = value(resource) {
            let (_, provider, _, _) = identity(resource);
            let _ = writeln!(
                out,
                "{name}{{resource=\"{}\",provider=\"{provider}\"}} {value}",
                escape(&resource.name)
            );
        }
    }
}

fn deadline(status: &DeadlineStatus) -> Timestamp {
    match status {
        DeadlineStatus::Satisfied { deadline, .. }
        | DeadlineStatus::Upcoming { deadline, .. }
        | DeadlineStatus::MetByScheduledRotation { deadline, .. } => *deadline,
        DeadlineStatus::Due(due) => due.deadline,
    }
}

/// Label values escape backslash, double quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
