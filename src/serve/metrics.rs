//! `/metrics`: Prometheus's text exposition (OpenMetrics) of the replica and of each resource,
//! encoded by `prometheus-client`. Counters and the cycle histogram live as long as the
//! process; the gauges are taken from the status at each scrape, so a resource removed from
//! the file leaves no stale series behind.

use std::time::Duration;

use jiff::Timestamp;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::status::{CycleOutcome, ResourceState, Role, Status};

/// The content type of OpenMetrics, which Prometheus asks for first.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The content type of Prometheus's older text format, for every other client (`curl`,
/// `promtool check metrics`).
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Cycle durations' buckets, in seconds: a sandbox's cycle to a full read of 10,000 accounts.
const DURATION_BUCKETS: [f64; 12] = [
    0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0,
];

/// A cycle's outcome, as a label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// A resource, as labels: the same as `keyrot drift --metrics-file` uses.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResourceLabels {
    resource: String,
    provider: &'static str,
}

/// The metrics that count over the process's life.
#[derive(Debug)]
pub struct Metrics {
    cycles: Family<OutcomeLabels, Counter>,
    duration: Histogram,
    overruns: Counter,
    reload_failures: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let cycles = Family::<OutcomeLabels, Counter>::default();
        for outcome in CycleOutcome::ALL {
            drop(cycles.get_or_create(&OutcomeLabels {
                outcome: outcome.name(),
            }));
        }
        Self {
            cycles,
            duration: Histogram::new(DURATION_BUCKETS),
            overruns: Counter::default(),
            reload_failures: Counter::default(),
        }
    }
}

impl Metrics {
    /// A cycle ended as `outcome` after `duration`.
    pub fn cycle_finished(&self, outcome: CycleOutcome, duration: Duration) {
        let labels = OutcomeLabels {
            outcome: outcome.name(),
        };
        self.cycles.get_or_create(&labels).inc();
        self.duration.observe(duration.as_secs_f64());
    }

    /// A cycle found nothing due and read nothing.
    pub fn cycle_idle(&self) {
        let labels = OutcomeLabels {
            outcome: CycleOutcome::Idle.name(),
        };
        self.cycles.get_or_create(&labels).inc();
    }

    /// A cycle ran past the next cycle's start.
    pub fn cycle_overran(&self) {
        self.overruns.inc();
    }

    /// A reload of the desired-state file (SIGHUP) failed.
    pub fn reload_failed(&self) {
        self.reload_failures.inc();
    }

    /// The exposition of these metrics and of `status`, in OpenMetrics when `openmetrics`,
    /// else in Prometheus's text format; with its content type.
    pub fn exposition(&self, status: &Status, openmetrics: bool) -> (&'static str, String) {
        let text = self.encode(status);
        match openmetrics {
            true => (OPENMETRICS, text),
            false => (PROMETHEUS_TEXT, prometheus_text(&text)),
        }
    }

    /// The OpenMetrics exposition of these metrics and of `status`.
    fn encode(&self, status: &Status) -> String {
        let mut registry = Registry::default();
        self.register_counters(&mut registry);
        register_replica(&mut registry, status);
        register_resources(&mut registry, status);
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &registry);
        text
    }

    fn register_counters(&self, registry: &mut Registry) {
        registry.register(
            "keyrot_cycles",
            "Cycles run, by outcome: success, partial (some resources unread, actions failed or \
             a secret still waiting for its sink), failed (nothing read), refused (the guardrail \
             refused the plan), idle (nothing was due, nothing was read)",
            self.cycles.clone(),
        );
        registry.register_with_unit(
            "keyrot_cycle_duration",
            "How long cycles ran",
            Unit::Seconds,
            self.duration.clone(),
        );
        registry.register(
            "keyrot_cycle_overruns",
            "Cycles that ran past the next cycle's start (the next one started when they ended)",
            self.overruns.clone(),
        );
        registry.register(
            "keyrot_desired_state_reload_failures",
            "Reloads of the desired-state file (SIGHUP) that failed: the file before it runs on",
            self.reload_failures.clone(),
        );
    }
}

/// OpenMetrics `text` in Prometheus's text format: a counter's HELP and TYPE name its sample
/// (`x_total`, where OpenMetrics names the family `x`), and the UNIT and EOF lines, which that
/// format does not have, are left out.
fn prometheus_text(text: &str) -> String {
    let counters: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(&name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// A gauge set to `value`.
fn gauge(value: i64) -> Gauge {
    let gauge = Gauge::default();
    gauge.set(value);
    gauge
}

fn seconds(at: Timestamp) -> i64 {
    at.as_second()
}

fn register_replica(registry: &mut Registry, status: &Status) {
    registry.register(
        "keyrot_leader",
        "1 when this replica leads (runs the cycles), 0 while it stands by",
        gauge(i64::from(status.role == Role::Leader)),
    );
    registry.register(
        "keyrot_desired_state_valid",
        "1 when the desired-state file on disk loaded; 0 when the last (re)load failed and the \
         file loaded before it still runs",
        gauge(i64::from(status.desired_state.error.is_none())),
    );
    if let Some(at) = status.last_successful_cycle_at {
        registry.register(
            "keyrot_last_successful_cycle_timestamp_seconds",
            "When the last cycle that read everything and succeeded started (Unix time)",
            gauge(seconds(at)),
        );
    }
    if let Some(at) = status.next_cycle_at {
        registry.register(
            "keyrot_next_cycle_timestamp_seconds",
            "When the next cycle is to start (Unix time)",
            gauge(seconds(at)),
        );
    }
}

/// One per-resource gauge family: `value` of each resource, where it has one.
fn per_resource(
    registry: &mut Registry,
    status: &Status,
    (name, help): (&str, &str),
    value: impl Fn(&ResourceState) -> Option<i64>,
) {
    let family = Family::<ResourceLabels, Gauge>::default();
    for (resource, state) in &status.resources {
        if let Some(value) = value(state) {
            let labels = ResourceLabels {
                resource: resource.clone(),
                provider: state.vendor,
            };
            family.get_or_create(&labels).set(value);
        }
    }
    registry.register(name, help, family);
}

/// A resource's value in one gauge family, where it has one.
type ResourceValue = dyn Fn(&ResourceState) -> Option<i64>;

fn register_resources(registry: &mut Registry, status: &Status) {
    fn flag(on: bool) -> Option<i64> {
        Some(i64::from(on))
    }
    /// A value only where the resource was read.
    fn read(state: &ResourceState, value: Option<i64>) -> Option<i64> {
        value.filter(|_| state.read)
    }
    let families: [(&str, &str, &ResourceValue); 9] = [
        (
            "keyrot_resource_drift",
            "1 when an action is planned for the resource or its deadline is overdue, else 0",
            &|s| read(s, flag(s.drift)),
        ),
        (
            "keyrot_rotation_overdue",
            "1 when the resource's rotate_by deadline passed unmet, else 0",
            &|s| read(s, flag(s.overdue)),
        ),
        (
            "keyrot_last_rotation_timestamp_seconds",
            "When the resource's key was last rotated, as the API reports it (Unix time)",
            &|s| read(s, s.last_rotation.map(seconds)),
        ),
        (
            "keyrot_rotation_deadline_timestamp_seconds",
            "The resource's rotate_by deadline (Unix time)",
            &|s| read(s, s.deadline.map(seconds)),
        ),
        (
            "keyrot_key_expiry_warning",
            "1 when the plan warns that the key expires: soon, before its next rotation, or already",
            &|s| read(s, flag(s.expiry_warning)),
        ),
        (
            "keyrot_lost_secret",
            "1 when the resource's current secret reached neither a sink nor a recovery file",
            &|s| read(s, flag(s.lost_secret)),
        ),
        (
            "keyrot_secret_awaiting_delivery",
            "1 when a new secret of the resource waits in a recovery file for its sink",
            &|s| flag(s.awaiting_delivery),
        ),
        (
            "keyrot_resource_read_error",
            "1 when the last cycle could not read the resource (its other gauges are then absent)",
            &|s| flag(!s.read),
        ),
        (
            "keyrot_resource_failing_cycles",
            "Cycles in a row in which reading or acting on the resource failed; 0 once one works",
            &|s| Some(i64::from(s.failing_cycles)),
        ),
    ];
    for (name, help, value) in families {
        per_resource(registry, status, (name, help), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::status::CycleOutcome;

    #[test]
    fn a_scrape_names_every_outcome_and_only_the_resources_in_the_status() {
        let metrics = Metrics::default();
        metrics.cycle_finished(CycleOutcome::Success, Duration::from_millis(250));
        metrics.cycle_finished(CycleOutcome::Refused, Duration::from_secs(1));
        metrics.cycle_overran();
        let mut status = Status::starting("apply", "keyrot.yaml".to_owned(), Timestamp::UNIX_EPOCH);
        status.role = Role::Leader;
        status.resources.insert(
            "ci-uploader".to_owned(),
            ResourceState {
                vendor: "rixl",
                read: true,
                drift: true,
                expiry_warning: true,
                failing_cycles: 2,
                ..ResourceState::default()
            },
        );
        let text = metrics.encode(&status);
        let (_, prometheus) = metrics.exposition(&status, false);
        assert!(
            prometheus.contains("# TYPE keyrot_cycles_total counter\n"),
            "{prometheus}"
        );
        assert!(
            !prometheus.contains("# EOF") && !prometheus.contains("# UNIT"),
            "{prometheus}"
        );
        for line in [
            "keyrot_leader 1",
            "keyrot_cycles_total{outcome=\"success\"} 1",
            "keyrot_cycles_total{outcome=\"refused\"} 1",
            "keyrot_cycles_total{outcome=\"failed\"} 0",
            "keyrot_cycle_overruns_total 1",
            "keyrot_cycle_duration_seconds_count 2",
            "keyrot_resource_drift{resource=\"ci-uploader\",provider=\"rixl\"} 1",
            "keyrot_resource_failing_cycles{resource=\"ci-uploader\",provider=\"rixl\"} 2",
            "keyrot_key_expiry_warning{resource=\"ci-uploader\",provider=\"rixl\"} 1",
            "keyrot_desired_state_valid 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        assert!(
            !text.contains("keyrot_last_rotation_timestamp_seconds{"),
            "{text}"
        );
    }
}
