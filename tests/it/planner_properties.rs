//! Properties of the pure planner over random desired states, live states and instants.

use jiff::{SignedDuration, Timestamp};
use keyrot::config::{AccountId, CloudflareAccount, DesiredState, RotationPolicy};
use keyrot::plan::{Action, CloudflareLive, LiveState, Plan, PlanOptions, plan};
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

fn account_and_live() -> impl Strategy<Value = (CloudflareAccount, CloudflareLive)> {
    (
        prop::option::of(21u16..=365),
        policy(),
        21u16..=365,
        prop::option::of(instant()),
    )
        .prop_map(|(interval, rotation, live_interval, last)| {
            let account = CloudflareAccount {
                name: String::new(),
                account_id: AccountId::parse("023e105f4ecef8ad9ca31a8372d0c353").unwrap(),
                key_rotation_interval_days: interval,
                rotation,
            };
            let live = CloudflareLive {
                key_rotation_interval_days: f64::from(live_interval),
                last_key_rotation_at: last,
                days_until_next_rotation: None,
            };
            (account, live)
        })
}

/// A desired state of up to eight accounts and the live state of each.
fn world() -> impl Strategy<Value = (DesiredState, LiveState)> {
    prop::collection::vec(account_and_live(), 1..8).prop_map(|pairs| {
        let mut desired = DesiredState::empty("keyrot.yaml");
        let mut live = LiveState::default();
        for (index, (mut account, state)) in pairs.into_iter().enumerate() {
            account.name = format!("account-{index}");
            live.cloudflare.insert(account.name.clone(), state);
            desired.cloudflare_accounts.push(account);
        }
        (desired, live)
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
        let state = after.cloudflare.get_mut(&resource.name).unwrap();
        for action in &resource.actions {
            match action {
                Action::UpdateInterval { to, .. } => {
                    state.key_rotation_interval_days = f64::from(*to);
                }
                Action::Rotate { .. } => state.last_key_rotation_at = Some(plan.now),
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
        for (resource, account) in plan.resources.iter().zip(&desired.cloudflare_accounts) {
            let last = live.cloudflare[&resource.name].last_key_rotation_at;
            if let (1, Some(last)) = (resource.rotations(), last) {
                let since = now.duration_since(last.min(now));
                prop_assert!(since >= account.rotation.min_rotation_gap);
            }
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
