//! What each cycle of `keyrot serve` reads: everything on the first cycle and every
//! `--full-every` after it (drift made by others), and in between only the resources whose
//! plan can change by then: one that drifted, failed or was just acted on (read again next
//! cycle), or whose [`next_change`] has come, each moved by jitter so that resources due at
//! the same instant spread over a cycle's period. Pure: instants and randomness come in.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::cycle::CycleReport;
use super::status::Status;
use crate::apply::Outcome;
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
    /// `--every`: the spread of the jitter on a resource's next read.
    every: Duration,
    /// When the next full read is due; `None` before the first.
    next_full: Option<Timestamp>,
    /// When each resource is next read, between full reads; absent: at the next full read.
    next: BTreeMap<String, Timestamp>,
}

impl ReadSchedule {
    /// A schedule whose first cycle reads everything.
    pub fn new(every: Duration, full_every: Duration) -> Self {
        Self {
            full_every,
            every,
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

    /// Takes in a cycle that started at `now` and read as `reading`, from which `report` came;
    /// `unit` gives the jitter, a number in `[0, 1)` for each resource.
    pub fn after_cycle(
        &mut self,
        desired: &DesiredState,
        (reading, report): (&Reading, &CycleReport),
        now: Timestamp,
        mut unit: impl FnMut() -> f64,
    ) {
        if *reading == Reading::Full && report.plan.is_some() {
            self.next_full = Some(later(now, self.full_every.mul_f64(0.9 + 0.2 * unit())));
        }
        let Some(plan) = &report.plan else {
            return;
        };
        self.next.retain(|name, _| desired.resource(name).is_some());
        for resource in &desired.resources {
            let name = &resource.name;
            let read = plan.resources.iter().find(|planned| planned.name == *name);
            let failed = report.unread.contains(name) || acted(report, name, false);
            let next = match read {
                _ if failed => Some(now),
                Some(planned) if planned.is_drifted() || acted(report, name, true) => Some(now),
                Some(planned) => next_change(resource, planned, plan.now)
                    .map(|at| later(at, self.every.mul_f64(unit()))),
                None => continue,
            };
            match next {
                Some(at) => self.next.insert(name.clone(), at),
                None => self.next.remove(name),
            };
        }
    }
}

/// Whether an action of `name` in `report` succeeded (`done`) or failed.
fn acted(report: &CycleReport, name: &str, done: bool) -> bool {
    report.actions.iter().any(|action| {
        action.resource == name
            && match action.outcome {
                Outcome::Done(_) => done,
                Outcome::Failed(_) => !done,
                _ => false,
            }
    })
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

    const MINUTE: Duration = Duration::from_secs(60);
    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn the_first_cycle_reads_everything_then_only_what_can_change() {
        let desired = desired();
        let mut schedule = ReadSchedule::new(15 * MINUTE, DAY);
        assert_eq!(schedule.reading(&desired, now()), Reading::Full);
        let report = read_at(&desired, now(), &[("fresh", 10), ("stale", 70)]);
        schedule.after_cycle(&desired, (&Reading::Full, &report), now(), || 0.5);
        assert_eq!(schedule.next_full, Some(now() + days(1)));
        // The stale key drifted: read again next cycle. The fresh one when it reaches 60 days.
        let soon = now() + SignedDuration::from_mins(15);
        assert_eq!(
            schedule.reading(&desired, soon),
            Reading::Due(vec!["stale".to_owned()])
        );
        let fresh_due = now() + days(50) + SignedDuration::from_secs(450);
        assert_eq!(schedule.next_read("fresh"), Some(fresh_due));
    }

    #[test]
    fn a_resource_with_nothing_to_change_waits_for_the_full_read_and_a_quiet_cycle_reads_nothing() {
        let desired = desired();
        let mut schedule = ReadSchedule::new(15 * MINUTE, DAY);
        let report = read_at(&desired, now(), &[("fresh", 10), ("stale", 20)]);
        schedule.after_cycle(&desired, (&Reading::Full, &report), now(), || 0.0);
        let hour = now() + SignedDuration::from_hours(1);
        assert_eq!(schedule.reading(&desired, hour), Reading::Nothing);
        // The full read comes 0.9 days later with this jitter, whatever is due.
        let full = now() + SignedDuration::from_secs(77_760);
        assert_eq!(schedule.next_full, Some(full));
        assert_eq!(schedule.reading(&desired, full), Reading::Full);
    }

    #[test]
    fn a_resource_that_could_not_be_read_is_read_again_next_cycle_and_a_failed_full_read_is_retried()
     {
        let desired = desired();
        let mut schedule = ReadSchedule::new(15 * MINUTE, DAY);
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
