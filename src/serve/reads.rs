//! What each cycle of `keyrot serve` reads: everything on the first cycle and every
//! `--full-every` after it (drift made by others), and in between only the resources whose
//! plan can change by then: one that drifted, failed, was just acted on, or whose secret is
//! lost or waits for its sink (read again next cycle), or whose [`next_change`] has come.
//! Resources due at the same instant are read in the same cycle, never spread over several:
//! the guardrail (`max_rotations_per_apply`) sees them together, as it would in one `keyrot
//! apply`. Pure: instants and randomness come in.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::cycle::CycleReport;
use super::status::Status;
use crate::config::DesiredState;
use crate::plan::next_change;

/// What a cycle reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Every resource of the file.
    Full,
    /// These resources only, by name.
    Due(Vec<String>),
    /// Nothing is due: the cycle is skipped.
    Nothing,
}

/// When each resource is next read.
#[derive(Debug)]
pub struct ReadSchedule {
    /// `--full-every`.
    full_every: Duration,
    /// When the next full read is due; `None` before the first.
    next_full: Option<Timestamp>,
    /// When each resource is next read, between full reads; absent: at the next full read.
    next: BTreeMap<String, Timestamp>,
}

impl ReadSchedule {
    /// A schedule whose first cycle reads everything.
    pub fn new(full_every: Duration) -> Self {
        Self {
            full_every,
            next_full: None,
            next: BTreeMap::new(),
        }
    }

    /// What the cycle starting at `now` reads of `desired`.
    pub fn reading(&self, desired: &DesiredState, now: Timestamp) -> Reading {
        if self.next_full.is_none_or(|full| full <= now) {
            return Reading::Full;
        }
        let due: Vec<String> = desired
            .resources
            .iter()
            .filter(|resource| self.next.get(&resource.name).is_some_and(|at| *at <= now))
            .map(|resource| resource.name.clone())
            .collect();
        match due.is_empty() {
            true => Reading::Nothing,
            false => Reading::Due(due),
        }
    }

    /// When `resource` is next read, if before the next full read.
    pub fn next_read(&self, resource: &str) -> Option<Timestamp> {
        self.next.get(resource).copied()
    }

    /// Shows when each resource, and everything, is next read.
    pub fn show_in(&self, status: &mut Status) {
        status.next_full_read_at = self.next_full;
        for (name, state) in &mut status.resources {
            state.next_read_at = self.next_read(name);
        }
    }

    /// Takes in a cycle that started at `now` (this machine's clock) and read as `reading`, from
    /// which `report` came; `unit` gives the full read's jitter, a number in `[0, 1)`.
    pub fn after_cycle(
        &mut self,
        desired: &DesiredState,
        (reading, report): (&Reading, &CycleReport),
        now: Timestamp,
        unit: impl FnOnce() -> f64,
    ) {
        // Never sooner than `--full-every`, so a request budget planned for one full read per
        // period holds; up to 10% later, so replicas and restarts do not fall into step.
        if *reading == Reading::Full && report.plan.is_some() {
            self.next_full = Some(later(now, self.full_every.mul_f64(1.0 + 0.1 * unit())));
        }
        let Some(plan) = &report.plan else {
            return;
        };
        self.next.retain(|name, _| desired.resource(name).is_some());
        // next_change speaks the API's clock (the plan's); the schedule, this machine's.
        let to_local = report.local_ahead_of_api;
        for resource in &desired.resources {
            let name = &resource.name;
            let failed = report.unread.contains(name) || report.failure_of(name).is_some();
            let waiting = report.awaits_delivery(name);
            let next = match report.planned(name) {
                _ if failed || waiting => Some(now),
                Some(planned) if needs_another_look(report, planned) => Some(now),
                Some(planned) => next_change(resource, planned, plan.now)
                    .and_then(|at| at.checked_add(to_local).ok()),
                None => continue,
            };
            match next {
                Some(at) => self.next.insert(name.clone(), at),
                None => self.next.remove(name),
            };
        }
    }
}

/// Whether `planned` must be read again next cycle: it drifted, its secret is lost, or the
/// cycle acted on it (the next read confirms it).
fn needs_another_look(report: &CycleReport, planned: &crate::plan::ResourcePlan) -> bool {
    planned.is_drifted() || planned.recovers_lost_secret() || report.acted_on(&planned.name, false)
}

/// `at` plus `span`, saturating.
fn later(at: Timestamp, span: Duration) -> Timestamp {
    SignedDuration::try_from(span)
        .ok()
        .and_then(|span| at.checked_add(span).ok())
        .unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::fixtures::{days, desired, now, read_at};

    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn the_first_cycle_reads_everything_then_only_what_can_change() {
        let desired = desired();
        let mut schedule = ReadSchedule::new(DAY);
        assert_eq!(schedule.reading(&desired, now()), Reading::Full);
        let report = read_at(&desired, now(), &[("fresh", 10), ("stale", 70)]);
        schedule.after_cycle(&desired, (&Reading::Full, &report), now(), || 0.5);
        assert_eq!(
            schedule.next_full,
            Some(now() + SignedDuration::from_secs(90_720))
        );
        // The stale key drifted: read again next cycle. The fresh one when it reaches 60 days.
        let soon = now() + SignedDuration::from_mins(15);
        assert_eq!(
            schedule.reading(&desired, soon),
            Reading::Due(vec!["stale".to_owned()])
        );
        assert_eq!(schedule.next_read("fresh"), Some(now() + days(50)));
    }

    #[test]
    fn a_long_read_schedules_from_the_plans_instant_and_a_clock_offset_moves_it_onto_this_machine()
    {
        let desired = desired();
        let mut schedule = ReadSchedule::new(DAY);
        // A full read that took 40 minutes: the plan's instant is its end, not the cycle's start.
        let planned_at = now() + SignedDuration::from_mins(40);
        let report = read_at(&desired, planned_at, &[("fresh", 10), ("stale", 10)]);
        schedule.after_cycle(&desired, (&Reading::Full, &report), now(), || 0.5);
        assert_eq!(schedule.next_read("fresh"), Some(planned_at + days(50)));
        // This machine's clock 5 minutes ahead of the API's: its reads come 5 minutes later by it.
        let mut report = read_at(&desired, planned_at, &[("fresh", 10)]);
        report.local_ahead_of_api = SignedDuration::from_mins(5);
        schedule.after_cycle(&desired, (&Reading::Full, &report), now(), || 0.5);
        let local = planned_at + days(50) + SignedDuration::from_mins(5);
        assert_eq!(schedule.next_read("fresh"), Some(local));
    }

    #[test]
    fn a_resource_with_nothing_to_change_waits_for_the_full_read_and_a_quiet_cycle_reads_nothing() {
        let desired = desired();
        let mut schedule = ReadSchedule::new(DAY);
        let report = read_at(&desired, now(), &[("fresh", 10), ("stale", 20)]);
        schedule.after_cycle(&desired, (&Reading::Full, &report), now(), || 0.0);
        let hour = now() + SignedDuration::from_hours(1);
        assert_eq!(schedule.reading(&desired, hour), Reading::Nothing);
        // The full read comes a day later with this jitter (never sooner), whatever is due.
        let full = now() + days(1);
        assert_eq!(schedule.next_full, Some(full));
        assert_eq!(schedule.reading(&desired, full), Reading::Full);
    }

    #[test]
    fn a_resource_that_could_not_be_read_is_read_again_next_cycle_and_a_failed_full_read_is_retried()
     {
        let desired = desired();
        let mut schedule = ReadSchedule::new(DAY);
        schedule.after_cycle(
            &desired,
            (&Reading::Full, &CycleReport::default()),
            now(),
            || 0.5,
        );
        assert_eq!(schedule.reading(&desired, now()), Reading::Full);
        let mut report = read_at(&desired, now(), &[("fresh", 10)]);
        report.unread = vec!["stale".to_owned()];
        schedule.after_cycle(&desired, (&Reading::Full, &report), now(), || 0.5);
        assert_eq!(
            schedule.reading(&desired, now()),
            Reading::Due(vec!["stale".to_owned()])
        );
    }
}
