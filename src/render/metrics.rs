//! Drift as Prometheus text exposition, for node_exporter's textfile collector.

use std::fmt::Write;

use jiff::Timestamp;

use super::json::identity;
use crate::plan::{Plan, ResourcePlan};

/// A resource whose live state a drift run could not read.
pub struct UnreadResource {
    /// Its name in the desired-state file.
    pub name: String,
    /// Its vendor's key: `cloudflare`.
    pub provider: &'static str,
}

/// The metrics of a drift run that finished at `finished`: `plan` covers the resources it
/// read, and `unread` lists those whose read failed (the run then did not succeed).
pub fn render_metrics(plan: &Plan, unread: &[UnreadResource], finished: Timestamp) -> String {
    let mut out = String::new();
    gauge(
        &mut out,
        "keyrot_drift_resources",
        "Resources that drifted: an action would be planned, or a deadline is overdue.",
    );
    let _ = writeln!(out, "keyrot_drift_resources {}", plan.drifted_resources());
    gauge(
        &mut out,
        "keyrot_clock_skew_seconds",
        "How far the API's clock (its answers' Date) was from this machine's, or jumped within \
         the run, when beyond settings.max_clock_skew: positive when ahead; 0 within it.",
    );
    let skew = plan.clock_trouble.as_ref().map_or(0, |t| t.skew_seconds);
    let _ = writeln!(out, "keyrot_clock_skew_seconds {skew}");
    gauge(
        &mut out,
        "keyrot_secrets_awaiting_delivery",
        "New secrets waiting in recovery files for their sinks (the journal says).",
    );
    let waiting = plan.awaiting_delivery.len();
    let _ = writeln!(out, "keyrot_secrets_awaiting_delivery {waiting}");
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
                .map(|status| status.deadline().duration_since(plan.now).as_secs())
        },
    );
    per_resource(
        &mut out,
        plan,
        "keyrot_key_expiry_warning",
        "1 when the plan warns that the key expires: soon, before its next rotation is due, or already; else 0.",
        |r| Some(i64::from(!r.warnings.is_empty())),
    );
    read_errors(&mut out, plan, unread);
    out.push_str(&run_metrics(finished, unread.is_empty()));
    out
}

/// `keyrot_resource_read_error`: 0 for each resource read, 1 for each that was not.
fn read_errors(out: &mut String, plan: &Plan, unread: &[UnreadResource]) {
    let name = "keyrot_resource_read_error";
    gauge(
        out,
        name,
        "1 when the resource's live state could not be read (its other metrics are then absent), else 0.",
    );
    let read = plan.resources.iter().map(|resource| {
        let (_, provider, _, _) = identity(resource);
        (resource.name.as_str(), provider, 0)
    });
    let failed = unread
        .iter()
        .map(|resource| (resource.name.as_str(), resource.provider, 1));
    for (resource, provider, value) in read.chain(failed) {
        sample(out, name, resource, provider, value);
    }
}

/// One resource's sample: `name{resource="…",provider="…"} value`.
fn sample(out: &mut String, name: &str, resource: &str, provider: &str, value: i64) {
    let _ = writeln!(
        out,
        "{name}{{resource=\"{}\",provider=\"{provider}\"}} {value}",
        escape(resource)
    );
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
            sample(out, name, &resource.name, provider, value);
        }
    }
}

/// Label values escape backslash, double quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
