//! What `keyrot serve` tells of each cycle, one event at a time: rotations and updates,
//! failures, lost and recovered secrets, guardrail refusals and new drift. The log writes each
//! as a line; none ever carries a secret (only names, actions and the APIs' error messages).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::apply::Outcome;
use crate::plan::Action;

use super::cycle::{CycleFailure, CycleReport};
use super::status::ResourceState;

/// One thing worth telling.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ServeEvent {
    /// A key was rotated and its new secret delivered.
    Rotated {
        /// The resource's name.
        resource: String,
    },
    /// The interval a vendor rotates a key on by itself was set.
    IntervalUpdated {
        /// The resource's name.
        resource: String,
        /// The new interval in days.
        to: u16,
    },
    /// An action failed.
    ActionFailed {
        /// The resource's name.
        resource: String,
        /// Why, in the API's or the sink's words.
        error: String,
    },
    /// A resource drifted that had not in the cycle before.
    Drift {
        /// The resource's name.
        resource: String,
    },
    /// A resource's secret was found lost (the journal says).
    LostSecret {
        /// The resource's name.
        resource: String,
    },
    /// A resource whose secret was lost has a delivered one again.
    SecretRecovered {
        /// The resource's name.
        resource: String,
    },
    /// A resource's live state could not be read.
    ReadFailed {
        /// The resource's name.
        resource: String,
    },
    /// The guardrail refused the cycle's plan; nothing was written.
    GuardrailRefused {
        /// The refusal.
        error: String,
    },
    /// The cycle could not run.
    CycleFailed {
        /// Why.
        error: String,
    },
}

impl ServeEvent {
    /// Whether it tells of the cycle as a whole (a refusal, a failure), which the next cycle
    /// may tell again in the same words.
    pub fn repeats_its_cycle(&self) -> bool {
        matches!(
            self,
            Self::GuardrailRefused { .. } | Self::CycleFailed { .. }
        )
    }
}

/// The events of a cycle that left the resources as `after`, from `before`.
pub fn of_cycle(
    before: &BTreeMap<String, ResourceState>,
    after: &BTreeMap<String, ResourceState>,
    report: &CycleReport,
) -> Vec<ServeEvent> {
    let mut events = Vec::new();
    match &report.failure {
        Some(CycleFailure::Refused(error)) => events.push(ServeEvent::GuardrailRefused {
            error: error.clone(),
        }),
        Some(CycleFailure::Failed(error)) => events.push(ServeEvent::CycleFailed {
            error: error.clone(),
        }),
        None => {}
    }
    for (name, state) in after {
        let earlier = before.get(name);
        let was = |flag: fn(&ResourceState) -> bool| earlier.is_some_and(flag);
        let resource = name.clone();
        if report.unread.contains(name) {
            events.push(ServeEvent::ReadFailed {
                resource: resource.clone(),
            });
        }
        if state.drift && !was(|s| s.drift) {
            events.push(ServeEvent::Drift {
                resource: resource.clone(),
            });
        }
        if state.lost_secret && !was(|s| s.lost_secret) {
            events.push(ServeEvent::LostSecret {
                resource: resource.clone(),
            });
        }
        let recovered = report
            .planned(name)
            .is_some_and(|planned| planned.recovers_lost_secret());
        if recovered && report.acted_on(name, true) {
            events.push(ServeEvent::SecretRecovered { resource });
        }
    }
    events.extend(report.actions.iter().filter_map(|action| {
        let resource = action.resource.clone();
        match (&action.outcome, &action.action) {
            (Outcome::Done(_), Action::Rotate { .. }) => Some(ServeEvent::Rotated { resource }),
            (Outcome::Done(_), Action::UpdateInterval { to, .. }) => {
                Some(ServeEvent::IntervalUpdated { resource, to: *to })
            }
            (Outcome::Failed(failure), _) => Some(ServeEvent::ActionFailed {
                resource,
                error: failure.to_string(),
            }),
            _ => None,
        }
    }));
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::fixtures::{desired, now, read_at};
    use crate::serve::resources::after_cycle;

    #[test]
    fn drift_is_told_once_when_it_starts_and_a_read_failure_each_time() {
        let desired = desired();
        let report = read_at(&desired, now(), &[("fresh", 10), ("stale", 70)]);
        let first = after_cycle(&BTreeMap::new(), &desired, &report);
        assert_eq!(
            of_cycle(&BTreeMap::new(), &first, &report),
            [ServeEvent::Drift {
                resource: "stale".to_owned()
            }]
        );
        let second = after_cycle(&first, &desired, &report);
        assert_eq!(of_cycle(&first, &second, &report), []);

        let mut unread = read_at(&desired, now(), &[("fresh", 10)]);
        unread.unread = vec!["stale".to_owned()];
        let third = after_cycle(&second, &desired, &unread);
        let events = of_cycle(&second, &third, &unread);
        assert_eq!(
            events,
            [ServeEvent::ReadFailed {
                resource: "stale".to_owned()
            }]
        );
    }

    #[test]
    fn a_refused_plan_is_one_alarm() {
        let desired = desired();
        let mut report = read_at(&desired, now(), &[("fresh", 10)]);
        report.failure = Some(CycleFailure::Refused("over the limit".to_owned()));
        let states = after_cycle(&BTreeMap::new(), &desired, &report);
        let events = of_cycle(&states, &states, &report);
        assert_eq!(
            events,
            [ServeEvent::GuardrailRefused {
                error: "over the limit".to_owned()
            }]
        );
    }
}
