//! The JSON document of plan, show, apply and drift (`--format json`): one versioned shape,
//! documented in docs/json-format.md. It never holds a secret or a credential.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::document::{Command, UPCOMING_HORIZON};

use crate::apply::{ActionReport, ApplyReport, NotStartedBecause, Outcome, StopReason};
use crate::plan::{
    Action, AttributeValue, DeadlineStatus, Plan, PlanWarning, ResourcePlan, RotationReason,
};

/// Bumped whenever a field changes meaning or disappears; new fields do not bump it.
pub const FORMAT_VERSION: u32 = 1;

/// The desired-state file a document was made from.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    /// The file's name as given.
    pub file: &'a str,
    /// SHA-256 of its bytes.
    pub sha256: &'a str,
}

/// The document for a plan (plan, show and drift).
pub fn plan_document(plan: &Plan, source: Source<'_>, command: Command) -> Value {
    let resources: Vec<Value> = plan
        .resources
        .iter()
        .map(|resource| resource_json(resource, plan.now))
        .collect();
    let mut document = json!({
        "format_version": FORMAT_VERSION,
        "command": command,
        "now": plan.now,
        "desired_state": {"file": source.file, "sha256": source.sha256},
        "summary": summary_json(plan),
        "resources": resources,
        "upcoming_deadlines": upcoming_json(plan),
    });
    if !plan.awaiting_delivery.is_empty() {
        document["awaiting_delivery"] = json!(plan.awaiting_delivery);
    }
    if let Some(trouble) = &plan.clock_trouble {
        document["clock_trouble"] = json!({
            "message": trouble.message,
            "skew_seconds": trouble.skew_seconds,
        });
    }
    if let Some(partial) = &plan.partial {
        document["partial"] = json!({
            "covered": partial.covered,
            "of": partial.of,
            "why": partial.why,
        });
    }
    if command == Command::Drift {
        document["drift"] = json!({
            "in_sync": !plan.has_drift(),
            "drifted_resources": plan.drifted_resources(),
        });
    }
    document
}

/// The document for an apply: the plan, each action's outcome, and the apply's summary.
pub fn apply_document(plan: &Plan, report: &ApplyReport, source: Source<'_>) -> Value {
    let mut document = plan_document(plan, source, Command::Apply);
    if let Some(resources) = document["resources"].as_array_mut() {
        for resource in resources {
            let name = resource["name"].as_str().unwrap_or_default().to_owned();
            let outcomes: Vec<Value> = report
                .actions
                .iter()
                .filter(|entry| entry.resource == name)
                .map(outcome_json)
                .collect();
            resource["outcomes"] = json!(outcomes);
        }
    }
    let counts = report.counts();
    document["apply"] = json!({
        "succeeded": report.succeeded() && !report.interrupted(),
        "interrupted": report.interrupted(),
        "done": counts.done,
        "failed": counts.failed,
        "not_started": counts.not_started,
        "skipped": counts.skipped,
    });
    document
}

fn summary_json(plan: &Plan) -> Value {
    let counts = plan.counts();
    json!({
        "updates": counts.updates,
        "rotations": counts.rotations,
        "deferred": counts.deferred,
        "unchanged": counts.unchanged,
        "overdue": plan.resources.iter().filter(|r| r.is_overdue()).count(),
        "warnings": plan.resources.iter().map(|r| r.warnings.len()).sum::<usize>(),
        "max_rotations_per_apply": plan.max_rotations_per_apply,
        "exceeds_rotation_limit": plan.exceeds_rotation_limit(),
    })
}

/// The resource's address, provider, kind and identifier as the documents name them.
pub fn identity(resource: &ResourcePlan) -> (String, &'static str, &'static str, String) {
    let target = &resource.target;
    (
        target.address(&resource.name),
        target.vendor.key,
        target.vendor.kind,
        target.id.clone(),
    )
}

/// A value known at plan time: a number as a JSON number (`90`, `90.5`), anything else (an
/// instant) as the text the human plan shows.
fn known_value(text: &str) -> Value {
    text.parse::<u64>()
        .map(Value::from)
        .or_else(|_| text.parse::<f64>().map(Value::from))
        .ok()
        .filter(|number| number.is_number())
        .unwrap_or_else(|| json!(text))
}

fn resource_json(resource: &ResourcePlan, now: Timestamp) -> Value {
    let (address, provider, kind, id) = identity(resource);
    let attributes = |list: &[crate::plan::Attribute]| {
        let mut map = serde_json::Map::new();
        for attribute in list {
            let value = match &attribute.value {
                AttributeValue::Known(text) => known_value(text),
                AttributeValue::Unknown
                | AttributeValue::Never
                | AttributeValue::KnownAfterApply => Value::Null,
            };
            map.insert(attribute.name.to_string(), value);
        }
        Value::Object(map)
    };
    let after_unknown: Vec<&str> = resource
        .after
        .iter()
        .filter(|attribute| attribute.value == AttributeValue::KnownAfterApply)
        .map(|attribute| &*attribute.name)
        .collect();
    json!({
        "address": address,
        "name": resource.name,
        "provider": provider,
        "kind": kind,
        "id": id,
        "before": attributes(&resource.before),
        "after": attributes(&resource.after),
        "after_unknown": after_unknown,
        "actions": resource.actions.iter().map(|action| action_json(resource, action)).collect::<Vec<_>>(),
        "deferral": resource.deferral.as_ref().map(|deferral| json!({
            "text": deferral.to_string(),
            "allowed_from": deferral.allowed_from,
            "seconds_since_last_rotation": deferral.since_last_rotation.as_secs(),
            "min_rotation_gap_seconds": deferral.min_rotation_gap.as_secs(),
            "wanted": deferral.wanted.iter().map(reason_json).collect::<Vec<_>>(),
        })),
        "deadline": resource.deadline.as_ref().map(|status| deadline_json(status, now)),
        "overdue": resource.is_overdue(),
        "warnings": resource.warnings.iter().map(warning_json).collect::<Vec<_>>(),
    })
}

fn action_json(resource: &ResourcePlan, action: &Action) -> Value {
    match action {
        Action::UpdateInterval { from, to } => json!({
            "type": "update",
            "attribute": resource.target.vendor.interval_name(),
            "from": whole_if_possible(*from),
            "to": to,
        }),
        Action::Rotate { reasons } => {
            let sink = resource.target.sink.as_ref().map(ToString::to_string);
            json!({
                "type": "rotate",
                "reasons": reasons.iter().map(reason_json).collect::<Vec<_>>(),
                "secret_sink": sink,
            })
        }
    }
}

/// `90` rather than `90.0` for the whole numbers APIs send as floats.
fn whole_if_possible(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}

fn reason_json(reason: &RotationReason) -> Value {
    let kind = match reason {
        RotationReason::KeyAge { .. } => "key_age",
        RotationReason::LastRotationUnknown { .. } => "last_rotation_unknown",
        RotationReason::Deadline(due) if due.is_overdue() => "deadline_overdue",
        RotationReason::Deadline(_) => "deadline_due",
        RotationReason::LostSecret { .. } => "lost_secret",
        RotationReason::ReplaceRequested => "replace_requested",
    };
    json!({"kind": kind, "text": reason.to_string()})
}

fn deadline_json(status: &DeadlineStatus, now: Timestamp) -> Value {
    let until = |deadline: Timestamp| deadline.duration_since(now).as_secs();
    match status {
        DeadlineStatus::Satisfied {
            deadline,
            last_rotation,
        } => json!({"status": "satisfied", "deadline": deadline, "last_rotation": last_rotation,
                    "seconds_until_deadline": until(*deadline)}),
        DeadlineStatus::Upcoming {
            deadline,
            window_opens,
        } => json!({"status": "upcoming", "deadline": deadline, "window_opens": window_opens,
                    "seconds_until_deadline": until(*deadline)}),
        DeadlineStatus::MetByScheduledRotation {
            deadline,
            scheduled,
        } => json!({"status": "met_by_scheduled_rotation", "deadline": deadline,
                    "scheduled_rotation": scheduled, "seconds_until_deadline": until(*deadline)}),
        DeadlineStatus::Due(due) => json!({
            "status": if due.is_overdue() { "overdue" } else { "due" },
            "deadline": due.deadline,
            "window_opened": due.window_opened,
            "seconds_until_deadline": due.until_deadline.as_secs(),
        }),
    }
}

fn warning_json(warning: &PlanWarning) -> Value {
    match warning {
        PlanWarning::KeyExpiresSoon { expiring_at, .. } => json!({
            "kind": "key_expires_soon",
            "expiring_at": expiring_at,
            "text": warning.to_string(),
        }),
        PlanWarning::KeyExpiresBeforeRotation {
            expiring_at,
            next_rotation,
        } => json!({
            "kind": "key_expires_before_rotation",
            "expiring_at": expiring_at,
            "next_rotation": next_rotation,
            "text": warning.to_string(),
        }),
    }
}

fn upcoming_json(plan: &Plan) -> Vec<Value> {
    plan.upcoming_deadlines(UPCOMING_HORIZON)
        .into_iter()
        .map(|entry| {
            json!({
                "address": identity(entry.resource).0,
                "window_opens": entry.window_opens,
                "deadline": entry.deadline,
            })
        })
        .collect()
}

fn outcome_json(entry: &ActionReport) -> Value {
    let kind = match entry.action {
        Action::UpdateInterval { .. } => "update",
        Action::Rotate { .. } => "rotate",
    };
    let (status, message) = match &entry.outcome {
        Outcome::Done(effect) => {
            return json!({
                "type": kind,
                "status": "done",
                "last_rotation": effect.last_rotation_at,
                "secret_delivered_to": effect.secret_delivered_to,
                "confirmed_after": effect.confirmed_after,
            });
        }
        Outcome::Failed(failure) => ("failed", failure.to_string()),
        Outcome::Abandoned => (
            "unknown",
            "a second signal stopped the wait for its answer".to_owned(),
        ),
        Outcome::NotStarted(NotStartedBecause::EarlierActionFailed) => (
            "not_started",
            "an earlier action of this resource failed".to_owned(),
        ),
        Outcome::NotStarted(NotStartedBecause::Stopped(StopReason::Interrupted(_))) => {
            ("not_started", "interrupted".to_owned())
        }
        Outcome::NotStarted(NotStartedBecause::Stopped(StopReason::FailFast)) => {
            ("not_started", "--fail-fast".to_owned())
        }
        Outcome::NotStarted(NotStartedBecause::Stopped(StopReason::JournalFailed)) => {
            ("not_started", "the journal could not be written".to_owned())
        }
        Outcome::SkippedChangedSincePlan { changes } => {
            ("skipped", format!("changed since the plan: {changes}"))
        }
        Outcome::SkippedTooSoon { allowed_from, .. } => (
            "skipped",
            format!("within min_rotation_gap by the API's clock; allowed from {allowed_from}"),
        ),
        Outcome::SkippedRotatedMeanwhile { at } => (
            "skipped",
            format!("the key was rotated at {at} after the plan read it"),
        ),
    };
    json!({"type": kind, "status": status, "message": message})
}
