//! Properties of the pure planner over random desired states, live states and instants.

use jiff::{SignedDuration, Timestamp};
use keyrot::config::{DesiredState, Resource, RotationPolicy};
use keyrot::plan::{Action, LiveState, Observation, Plan, PlanOptions, Schedule, plan};
use keyrot::vendor::cloudflare;
use proptest::prelude::*;

/// Around 2026-11-24: every instant the strategies produce is within a few years of it.
const EPOCH_SECONDS: i64 = 1_795_521_600;
const YEAR_SECONDS: i64 = 365 * 86_400;

fn instant() -> impl Strategy<Value = Timestamp> {
    (-2 * YEAR_SECONDS..2 * YEAR_SECONDS)
        .prop_map(|offset| Timestamp::from_second(EPOCH_SECONDS + offset).unwrap())
}

fn duration(max_days: i64) -> impl Strategy<Value = SignedDuration> {
    (0..max_days * 86_400).prop_map(SignedDuration::from_secs)
}

fn policy() -> impl Strategy<Value = RotationPolicy> {
    (
        prop::option::of(duration(400).prop_map(|d| d + SignedDuration::from_secs(1))),
        prop::option::of(instant()),
        duration(60),
        duration(30),
    )
        .prop_map(
            |(max_key_age, rotate_by, rotation_window, min_rotation_gap)| RotationPolicy {
                max_key_age,
                rotate_by,
                rotation_window,
                min_rotation_gap,
            },
        )
}

/// An account that names no ID yet, keeping `interval` days; the rest is its policy.
fn account(interval: Option<u16>, rotation: RotationPolicy) -> Resource {
    Resource {
        name: String::new(),
        vendor: &cloudflare::VENDOR,
        id: "023e105f4ecef8ad9ca31a8372d0c353".to_owned(),
        rotation,
        sink: None,
        interval_days: interval,
    }
}

/// An account's live state: rotated at `last`, every `interval_days` by Cloudflare.
fn account_live(interval_days: f64, last: Option<Timestamp>) -> Observation {
    Observation {
        last_rotation: last,
        expires_at: None,
        schedule: Some(Schedule {
            interval_days,
            days_until_next: None,
        }),
        ..Observation::default()
    }
}

fn account_and_live() -> impl Strategy<Value = (Resource, Observation)> {
    (
        prop::option::of(21u16..=365),
        policy(),
        21u16..=365,
        prop::option::of(instant()),
    )
        .prop_map(|(interval, rotation, live_interval, last)| {
            let live = account_live(f64::from(live_interval), last);
            (account(interval, rotation), live)
        })
}

/// A desired state of up to eight accounts and the live state of each.
fn world() -> impl Strategy<Value = (DesiredState, LiveState)> {
    prop::collection::vec(account_and_live(), 1..8).prop_map(|pairs| {
        let mut desired = DesiredState::empty("keyrot.yaml");
        let mut live = LiveState::default();
        for (index, (mut account, state)) in pairs.into_iter().enumerate() {
            account.name = format!("account-{index}");
            live.resources.insert(account.name.clone(), state);
            desired.resources.push(account);
        }
        (desired, live)
    })
}

/// An instant, and accounts last rotated less than their `min_rotation_gap` before it whose
/// rules want a rotation (the key is older than `max_key_age`, or `rotate_by` is due): every
/// account is one the gap must hold back.
fn inside_the_gap() -> impl Strategy<Value = (DesiredState, LiveState, Timestamp)> {
    let shares = (2i64..30 * 86_400, 0u32..1_000, 0u32..1_000, any::<bool>());
    (instant(), prop::collection::vec(shares, 1..8)).prop_map(|(now, accounts)| {
        let mut desired = DesiredState::empty("keyrot.yaml");
        let mut live = LiveState::default();
        for (index, (gap, since_share, age_share, by_deadline)) in accounts.into_iter().enumerate()
        {
            // Rotated `since` ago, 1 s <= since < gap; due by age (max_key_age <= since) or by
            // a deadline whose window opened at `now`, after the last rotation.
            let since = 1 + (gap - 1) * i64::from(since_share) / 1_000;
            let last = now - SignedDuration::from_secs(since);
            let age_limit = 1 + (since - 1) * i64::from(age_share) / 1_000;
            let rotation = RotationPolicy {
                max_key_age: (!by_deadline).then(|| SignedDuration::from_secs(age_limit)),
                rotate_by: by_deadline.then(|| now + SignedDuration::from_hours(1)),
                rotation_window: SignedDuration::from_hours(1),
                min_rotation_gap: SignedDuration::from_secs(gap),
            };
            let mut account = account(None, rotation);
            account.name = format!("account-{index}");
            live.resources
                .insert(account.name.clone(), account_live(90.0, Some(last)));
            desired.resources.push(account);
        }
        (desired, live, now)
    })
}

fn options(allow_rapid_rotation: bool) -> PlanOptions {
    PlanOptions {
        allow_rapid_rotation,
        max_rotations: None,
        replace: Vec::new(),
    }
}

/// The live state after a plan's actions: intervals set, rotated keys rotated at `now`.
fn applied(plan: &Plan, live: &LiveState) -> LiveState {
    let mut after = live.clone();
    for resource in &plan.resources {
        let state = after.resources.get_mut(&resource.name).unwrap();
        for action in &resource.actions {
            match action {
                Action::UpdateInterval { to, .. } => {
                    state.schedule.as_mut().unwrap().interval_days = f64::from(*to);
                }
                Action::Rotate { .. } => state.last_rotation = Some(plan.now),
            }
        }
    }
    after
}

proptest! {
    // No failure persistence: a failing case is printed, never saved into tests/.
    #![proptest_config(ProptestConfig {
        cases: 1_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn never_two_rotates_for_one_resource(
        (desired, live) in world(),
        now in instant(),
        rapid in any::<bool>(),
    ) {
        let plan = plan(&desired, &live, now, options(rapid)).unwrap();
        for resource in &plan.resources {
            prop_assert!(resource.rotations() <= 1);
            let positions: Vec<usize> = resource.actions.iter().enumerate()
                .filter(|(_, action)| matches!(action, Action::Rotate { .. }))
                .map(|(index, _)| index)
                .collect();
            if let Some(rotate) = positions.first() {
                prop_assert_eq!(*rotate, resource.actions.len() - 1, "the update comes first");
            }
        }
    }

    #[test]
    fn never_rotates_inside_the_gap_without_the_override(
        (desired, live) in world(),
        now in instant(),
    ) {
        let plan = plan(&desired, &live, now, options(false)).unwrap();
        for (resource, account) in plan.resources.iter().zip(&desired.resources) {
            let last = live.resources[&resource.name].last_rotation;
            if let (1, Some(last)) = (resource.rotations(), last) {
                let since = now.duration_since(last.min(now));
                prop_assert!(since >= account.rotation.min_rotation_gap);
            }
        }
    }

    #[test]
    fn a_wanted_rotation_inside_the_gap_is_deferred_unless_overridden(
        (desired, live, now) in inside_the_gap(),
    ) {
        let held = plan(&desired, &live, now, options(false)).unwrap();
        for resource in &held.resources {
            prop_assert_eq!(resource.rotations(), 0, "rotated inside the gap: {:?}", resource);
            prop_assert!(resource.deferral.is_some(), "not deferred: {:?}", resource);
        }
        let overridden = plan(&desired, &live, now, options(true)).unwrap();
        for resource in &overridden.resources {
            prop_assert_eq!(resource.rotations(), 1, "the override did not rotate: {:?}", resource);
        }
    }

    #[test]
    fn planning_again_after_applying_rotates_nothing(
        (desired, live) in world(),
        now in instant(),
        rapid in any::<bool>(),
    ) {
        let first = plan(&desired, &live, now, options(rapid)).unwrap();
        let after = applied(&first, &live);
        let second = plan(&desired, &after, now, options(rapid)).unwrap();
        for resource in &second.resources {
            prop_assert!(resource.actions.is_empty(), "{:?}", resource.actions);
        }
    }

    #[test]
    fn planning_is_deterministic(
        (desired, live) in world(),
        now in instant(),
        rapid in any::<bool>(),
    ) {
        let first = plan(&desired, &live, now, options(rapid)).unwrap();
        let second = plan(&desired, &live, now, options(rapid)).unwrap();
        prop_assert_eq!(first, second);
    }
}
