//! Each resource's state after a cycle: from the plan of what was read, the actions' outcomes
//! and the resources that could not be read, carrying over how many cycles in a row each one
//! has failed.

use std::collections::BTreeMap;

use crate::config::DesiredState;
use crate::plan::ResourcePlan;

use super::cycle::CycleReport;
use super::status::ResourceState;

/// The state of every resource of `desired` after `report`, given the states before it.
pub fn after_cycle(
    before: &BTreeMap<String, ResourceState>,
    desired: &DesiredState,
    report: &CycleReport,
) -> BTreeMap<String, ResourceState> {
    desired
        .resources
        .iter()
        .map(|resource| {
            let earlier = before.get(&resource.name);
            let mut state = match report.planned(&resource.name) {
                Some(planned) => planned_state(report, planned),
                None if report.unread.contains(&resource.name) => ResourceState {
                    last_error: Some("its live state could not be read".to_owned()),
                    ..ResourceState::default()
                },
                // Not planned and not unread: the cycle ended before it; as it was.
                None => earlier.cloned().unwrap_or_default(),
            };
            state.vendor = resource.vendor.key;
            let failure = report
                .failure_of(&resource.name)
                .map(ToString::to_string)
                .or(state.last_error.clone());
            state.failing_cycles = match &failure {
                Some(_) => earlier.map_or(0, |e| e.failing_cycles).saturating_add(1),
                None => 0,
            };
            state.last_error = failure;
            (resource.name.clone(), state)
        })
        .collect()
}

fn planned_state(report: &CycleReport, planned: &ResourcePlan) -> ResourceState {
    let acted = report.acted_on(&planned.name, false);
    ResourceState {
        vendor: planned.target.vendor.key,
        read: true,
        // What a cycle did is no longer drift.
        drift: planned.is_drifted() && !acted,
        overdue: planned.is_overdue() && !acted,
        last_rotation: planned.last_rotation,
        deadline: planned.deadline.as_ref().map(|status| status.deadline()),
        expiry_warning: !planned.warnings.is_empty(),
        lost_secret: planned.recovers_lost_secret() && !acted,
        awaiting_delivery: report.awaits_delivery(&planned.name),
        failing_cycles: 0,
        last_error: None,
        next_read_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::fixtures::{desired, now, read_at};

    #[test]
    fn a_resource_keeps_its_state_until_a_cycle_reads_it_and_counts_its_failures_in_a_row() {
        let desired = desired();
        let first = read_at(&desired, now(), &[("fresh", 10), ("stale", 70)]);
        let states = after_cycle(&BTreeMap::new(), &desired, &first);
        assert!(
            states["stale"].drift && !states["fresh"].drift,
            "{states:?}"
        );
        assert_eq!(states["fresh"].vendor, "rixl");

        // A cycle that read only `fresh` leaves `stale` as it was.
        let partial = read_at(&desired, now(), &[("fresh", 10)]);
        let states = after_cycle(&states, &desired, &partial);
        assert!(states["stale"].drift && states["stale"].read, "{states:?}");

        let mut unread = read_at(&desired, now(), &[("fresh", 10)]);
        unread.unread = vec!["stale".to_owned()];
        let once = after_cycle(&states, &desired, &unread);
        let twice = after_cycle(&once, &desired, &unread);
        assert_eq!(
            (once["stale"].failing_cycles, twice["stale"].failing_cycles),
            (1, 2)
        );
        assert!(!twice["stale"].read && twice["stale"].last_error.is_some());
        let read_again = after_cycle(&twice, &desired, &first);
        assert_eq!(read_again["stale"].failing_cycles, 0);
        assert_eq!(read_again["stale"].last_error, None);
    }
}
