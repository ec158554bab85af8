//! The rotation rules shared by every provider: deadline, key age, and the safety gap.

use jiff::{SignedDuration, Timestamp};

use super::deadline::{DeadlineStatus, deadline_status};
use super::reason::{DEFAULT_GAP_RISK, Deferral, GapStart, RotationReason};
use crate::config::RotationPolicy;

/// What the rules see of one resource's key.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyFacts<'a> {
    /// The resource's desired rotation policy.
    pub policy: &'a RotationPolicy,
    /// The last rotation as the API reported it.
    pub last_rotation: Option<Timestamp>,
    /// The provider's own rotation interval once this plan is applied (`None` when the provider
    /// never rotates by itself).
    pub automatic_interval: Option<SignedDuration>,
    /// Rotate whatever the age and deadline say (`--replace`); the gap still applies.
    pub replace: bool,
    /// What a second rotation within the gap would break, for the deferral's reason.
    pub gap_risk: &'static str,
    /// For vendors whose API does not show rotations: when the key last changed at all, and
    /// the attribute that says so (`modified_on`). The gap counts from it when it is later
    /// than the last rotation keyrot knows of: the change may be a rotation made by someone
    /// else, or by a keyrot with another journal.
    pub last_change: Option<(Timestamp, &'static str)>,
}

/// What the rules decide for one resource's key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RotationDecision {
    /// Nothing to do.
    Keep,
    /// Rotate now, for these reasons (never empty).
    Rotate(Vec<RotationReason>),
    /// A rotation is wanted but the last one was too recent.
    Defer(Deferral),
}

/// Decides whether a key must be rotated at `now`, and where it stands against its deadline.
/// A last rotation after `now` (the API's clock runs ahead) counts as just rotated.
pub(crate) fn decide(
    key: KeyFacts<'_>,
    now: Timestamp,
    allow_rapid_rotation: bool,
) -> (RotationDecision, Option<DeadlineStatus>) {
    let last_rotation = key.last_rotation.map(|last| last.min(now));
    let deadline = deadline_status(key.policy, last_rotation, key.automatic_interval, now);
    let mut wanted = Vec::new();
    if key.replace {
        wanted.push(RotationReason::ReplaceRequested);
    }
    if let Some(DeadlineStatus::Due(due)) = &deadline {
        wanted.push(RotationReason::Deadline(due.clone()));
    }
    wanted.extend(wanted_by_age(key.policy, last_rotation, now));
    let decision = if wanted.is_empty() {
        RotationDecision::Keep
    } else {
        let gap_from = gap_start(last_rotation, key.last_change, now);
        let decision = gap_check(key.policy, gap_from, now, allow_rapid_rotation, wanted);
        with_risk(decision, key.gap_risk)
    };
    (decision, deadline)
}

/// The age rule: `now - last >= max_key_age`, or the last rotation is unknown.
fn wanted_by_age(
    policy: &RotationPolicy,
    last_rotation: Option<Timestamp>,
    now: Timestamp,
) -> Option<RotationReason> {
    let max_key_age = policy.max_key_age?;
    let Some(last) = last_rotation else {
        return Some(RotationReason::LastRotationUnknown { max_key_age });
    };
    let age = now.duration_since(last);
    (age >= max_key_age).then_some(RotationReason::KeyAge { age, max_key_age })
}

/// A deferral that says what rotating now would break.
fn with_risk(decision: RotationDecision, risk: &'static str) -> RotationDecision {
    match decision {
        RotationDecision::Defer(deferral) => RotationDecision::Defer(Deferral {
            risk: risk.into(),
            ..deferral
        }),
        other => other,
    }
}

/// A change recorded this soon after the last rotation keyrot knows of is that rotation: the
/// journal notes it just before the request, the API when it processes it.
const SAME_CHANGE: SignedDuration = SignedDuration::from_mins(2);

/// Where the safety gap counts from at `now`: the last rotation, or a later change of a key
/// whose API does not show its rotations (the planner's, and apply's at the real clock).
pub fn gap_start(
    last_rotation: Option<Timestamp>,
    last_change: Option<(Timestamp, &'static str)>,
    now: Timestamp,
) -> Option<(Timestamp, GapStart)> {
    let rotated = last_rotation.map(|at| (at, GapStart::LastRotation));
    let changed = last_change
        .map(|(at, attribute)| (at.min(now), GapStart::LastChange(attribute.into())))
        .filter(|(at, _)| last_rotation.is_none_or(|rotated| *at > rotated + SAME_CHANGE));
    changed.or(rotated)
}

/// The safety gap: a wanted rotation within `min_rotation_gap` of the last one (or of the
/// key's last change, `gap_from`) waits.
fn gap_check(
    policy: &RotationPolicy,
    gap_from: Option<(Timestamp, GapStart)>,
    now: Timestamp,
    allow_rapid_rotation: bool,
    wanted: Vec<RotationReason>,
) -> RotationDecision {
    let Some((last, counted_from)) = gap_from else {
        return RotationDecision::Rotate(wanted);
    };
    let since_last_rotation = now.duration_since(last);
    if allow_rapid_rotation || since_last_rotation >= policy.min_rotation_gap {
        return RotationDecision::Rotate(wanted);
    }
    RotationDecision::Defer(Deferral {
        wanted,
        since_last_rotation,
        min_rotation_gap: policy.min_rotation_gap,
        allowed_from: last.saturating_add(policy.min_rotation_gap).unwrap_or(last),
        risk: DEFAULT_GAP_RISK.into(),
        counted_from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::deadline::DueDeadline;

    const NOW: &str = "2026-11-24T12:00:00Z";

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn days(n: i64) -> SignedDuration {
        SignedDuration::from_hours(24 * n)
    }

    fn seconds(n: i64) -> SignedDuration {
        SignedDuration::from_secs(n)
    }

    /// One row of a rule table: the policy knobs, the live facts, and the expected outcome.
    struct Case {
        name: &'static str,
        max_key_age: Option<SignedDuration>,
        rotate_by: Option<&'static str>,
        window: SignedDuration,
        gap: SignedDuration,
        last_rotation: Option<&'static str>,
        automatic_interval: Option<SignedDuration>,
        now: &'static str,
        expected: Expected,
    }

    #[derive(Debug, PartialEq)]
    enum Expected {
        Keep,
        Rotate,
        Defer,
    }

    const fn case(name: &'static str) -> Case {
        Case {
            name,
            max_key_age: None,
            rotate_by: None,
            window: SignedDuration::from_hours(7 * 24),
            gap: SignedDuration::from_hours(7 * 24),
            last_rotation: None,
            automatic_interval: None,
            now: NOW,
            expected: Expected::Keep,
        }
    }

    fn run(case: &Case, allow_rapid_rotation: bool) -> (RotationDecision, Option<DeadlineStatus>) {
        let policy = RotationPolicy {
            max_key_age: case.max_key_age,
            rotate_by: case.rotate_by.map(at),
            rotation_window: case.window,
            min_rotation_gap: case.gap,
        };
        let key = KeyFacts {
            policy: &policy,
            last_rotation: case.last_rotation.map(at),
            automatic_interval: case.automatic_interval,
            replace: false,
            gap_risk: DEFAULT_GAP_RISK,
            last_change: None,
        };
        decide(key, at(case.now), allow_rapid_rotation)
    }

    fn check(cases: &[Case]) {
        for case in cases {
            let (decision, _) = run(case, false);
            let got = match decision {
                RotationDecision::Keep => Expected::Keep,
                RotationDecision::Rotate(_) => Expected::Rotate,
                RotationDecision::Defer(_) => Expected::Defer,
            };
            assert_eq!(got, case.expected, "{}", case.name);
        }
    }

    #[test]
    fn age_rule_table() {
        check(&[
            Case {
                last_rotation: Some("2026-07-27T12:00:00Z"),
                max_key_age: Some(days(120)),
                expected: Expected::Rotate,
                ..case("exactly max_key_age old rotates")
            },
            Case {
                last_rotation: Some("2026-07-27T12:00:01Z"),
                max_key_age: Some(days(120)),
                ..case("one second younger is kept")
            },
            Case {
                max_key_age: Some(days(120)),
                expected: Expected::Rotate,
                ..case("unknown last rotation rotates, with no gap to wait for")
            },
            Case {
                last_rotation: Some("2026-01-01T00:00:00Z"),
                ..case("no max_key_age, no deadline: never rotates")
            },
            Case {
                last_rotation: Some("2026-12-24T12:00:00Z"),
                max_key_age: Some(days(1)),
                ..case("a last rotation in the future counts as just rotated")
            },
        ]);
    }

    #[test]
    fn deadline_rule_table() {
        let deadline = Some("2026-12-01T00:00:00Z");
        check(&[
            Case {
                rotate_by: deadline,
                now: "2026-11-23T23:59:59Z",
                last_rotation: Some("2026-10-01T00:00:00Z"),
                ..case("a second before the window opens: upcoming")
            },
            Case {
                rotate_by: deadline,
                now: "2026-11-24T00:00:00Z",
                last_rotation: Some("2026-10-01T00:00:00Z"),
                expected: Expected::Rotate,
                ..case("exactly at the window opening: due")
            },
            Case {
                rotate_by: deadline,
                now: "2026-12-01T00:00:00Z",
                last_rotation: Some("2026-10-01T00:00:00Z"),
                expected: Expected::Rotate,
                ..case("exactly at the deadline: overdue")
            },
            Case {
                rotate_by: deadline,
                last_rotation: Some("2026-11-24T00:00:00Z"),
                now: "2026-12-05T00:00:00Z",
                ..case("rotated exactly at the window opening: satisfied")
            },
            Case {
                rotate_by: deadline,
                last_rotation: Some("2026-11-23T23:59:59Z"),
                now: "2026-12-05T00:00:00Z",
                expected: Expected::Rotate,
                ..case("rotated a second before the window: overdue")
            },
            Case {
                rotate_by: Some("2026-12-01T09:00:00+09:00"),
                now: "2026-11-23T23:59:59Z",
                last_rotation: Some("2026-10-01T00:00:00Z"),
                ..case("offsets other than Z: 09:00+09:00 is 00:00Z")
            },
            Case {
                rotate_by: Some("2026-11-30T19:00:00-05:00"),
                now: "2026-11-24T00:00:00Z",
                last_rotation: Some("2026-10-01T00:00:00Z"),
                expected: Expected::Rotate,
                ..case("offsets other than Z: 19:00-05:00 is the next day 00:00Z")
            },
        ]);
    }

    #[test]
    fn scheduled_rotation_table() {
        let deadline = Some("2026-12-01T00:00:00Z");
        check(&[
            Case {
                rotate_by: deadline,
                last_rotation: Some("2026-10-31T23:59:59Z"),
                automatic_interval: Some(days(30)),
                ..case("scheduled rotation a second before the deadline meets it")
            },
            Case {
                rotate_by: deadline,
                last_rotation: Some("2026-11-01T00:00:00Z"),
                automatic_interval: Some(days(30)),
                expected: Expected::Rotate,
                ..case("scheduled rotation exactly at the deadline is too late")
            },
            Case {
                rotate_by: deadline,
                last_rotation: Some("2026-10-01T00:00:00Z"),
                automatic_interval: Some(days(90)),
                expected: Expected::Rotate,
                ..case("a 90-day interval lands after the deadline")
            },
            Case {
                rotate_by: deadline,
                last_rotation: Some("2026-10-20T00:00:00Z"),
                automatic_interval: Some(days(30)),
                expected: Expected::Rotate,
                ..case("a scheduled rotation already in the past does not count")
            },
            Case {
                rotate_by: deadline,
                automatic_interval: Some(days(30)),
                expected: Expected::Rotate,
                ..case("unknown last rotation: no schedule to rely on")
            },
        ]);
    }

    #[test]
    fn gap_rule_table() {
        check(&[
            Case {
                max_key_age: Some(days(1)),
                last_rotation: Some("2026-11-17T12:00:00Z"),
                expected: Expected::Rotate,
                ..case("exactly min_rotation_gap since the last rotation: allowed")
            },
            Case {
                max_key_age: Some(days(1)),
                last_rotation: Some("2026-11-17T12:00:01Z"),
                expected: Expected::Defer,
                ..case("a second inside the gap: deferred")
            },
            Case {
                rotate_by: Some("2026-12-01T00:00:00Z"),
                window: days(1),
                last_rotation: Some("2026-11-24T00:00:00Z"),
                now: "2026-11-30T00:00:00Z",
                expected: Expected::Defer,
                ..case("a deadline rotation inside the gap is deferred too")
            },
            Case {
                max_key_age: Some(days(1)),
                gap: seconds(0),
                last_rotation: Some("2026-11-23T12:00:00Z"),
                expected: Expected::Rotate,
                ..case("a zero gap never defers")
            },
        ]);
    }

    #[test]
    fn deferral_names_the_instant_it_ends() {
        let deferred = Case {
            max_key_age: Some(days(1)),
            last_rotation: Some("2026-11-22T18:00:00Z"),
            ..case("deferred")
        };
        let (RotationDecision::Defer(deferral), _) = run(&deferred, false) else {
            panic!("expected a deferral");
        };
        assert_eq!(deferral.allowed_from, at("2026-11-29T18:00:00Z"));
        assert_eq!(
            deferral.to_string(),
            "deferred: last rotated 1 day ago; a second rotation within 7 days drops the \
             previous key while tokens signed with it are still valid; allowed from \
             2026-11-29 18:00 UTC"
        );
        let (lifted, _) = run(&deferred, true);
        assert!(matches!(lifted, RotationDecision::Rotate(_)));
    }

    #[test]
    fn age_and_deadline_together_give_one_rotate_with_both_reasons() {
        let both = Case {
            max_key_age: Some(days(30)),
            rotate_by: Some("2026-11-22T00:00:00Z"),
            last_rotation: Some("2026-09-15T12:00:00Z"),
            ..case("both")
        };
        let (RotationDecision::Rotate(reasons), status) = run(&both, false) else {
            panic!("expected a rotate");
        };
        let texts: Vec<String> = reasons.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "deadline 2026-11-22 00:00 UTC, window opened 2026-11-15 00:00 UTC; \
                 overdue by 2 days",
                "key is 70 days old (max_key_age 30d)",
            ]
        );
        assert!(status.is_some_and(|status| status.is_overdue()));
    }

    #[test]
    fn due_reasons_count_down_and_overdue_ones_up() {
        let due = DueDeadline {
            deadline: at("2026-12-01T00:00:00Z"),
            window_opened: at("2026-11-24T00:00:00Z"),
            until_deadline: days(6) + SignedDuration::from_hours(12),
        };
        assert_eq!(
            due.to_string(),
            "deadline 2026-12-01 00:00 UTC, window opened 2026-11-24 00:00 UTC; due in 6 days"
        );
        let now_due = DueDeadline {
            until_deadline: SignedDuration::ZERO,
            ..due.clone()
        };
        assert!(
            now_due
                .to_string()
                .ends_with("overdue: the deadline is now")
        );
        assert!(now_due.is_overdue());
    }

    #[test]
    fn a_change_the_journal_does_not_know_of_holds_a_rotation_back_for_the_gap() {
        let policy = RotationPolicy {
            max_key_age: Some(days(90)),
            ..RotationPolicy::default()
        };
        let now = at("2026-11-24T12:00:00Z");
        // 100 days old by its last known rotation, but it changed a minute ago: perhaps a
        // roll by another keyrot. The gap counts from the change.
        let changed = KeyFacts {
            policy: &policy,
            last_rotation: Some(at("2026-08-16T12:00:00Z")),
            automatic_interval: None,
            replace: false,
            gap_risk: DEFAULT_GAP_RISK,
            last_change: Some((at("2026-11-24T11:59:00Z"), "modified_on")),
        };
        let (held, _) = decide(changed, now, false);
        let RotationDecision::Defer(deferral) = held else {
            panic!("not held back: {held:?}");
        };
        assert_eq!(deferral.allowed_from, at("2026-12-01T11:59:00Z"));
        let text = deferral.to_string();
        assert!(
            text.starts_with("deferred: modified_on moved 1 minute ago"),
            "{text}"
        );
        // A change long ago, or the last rotation's own (within two minutes), does not.
        for change in ["2026-11-01T00:00:00Z", "2026-08-16T12:01:30Z"] {
            let old = KeyFacts {
                last_change: Some((at(change), "modified_on")),
                ..changed
            };
            assert!(matches!(
                decide(old, now, false).0,
                RotationDecision::Rotate(_)
            ));
        }
    }

    #[test]
    fn a_replace_is_wanted_whatever_the_age_and_the_gap_still_holds_it() {
        let policy = RotationPolicy::default();
        let young = KeyFacts {
            policy: &policy,
            last_rotation: Some(at("2026-11-20T00:00:00Z")),
            automatic_interval: None,
            replace: true,
            gap_risk: DEFAULT_GAP_RISK,
            last_change: None,
        };
        let now = at("2026-11-24T12:00:00Z");
        let (held, _) = decide(young, now, false);
        assert!(matches!(
            held,
            RotationDecision::Defer(deferral) if deferral.wanted == [RotationReason::ReplaceRequested]
        ));
        let (rapid, _) = decide(young, now, true);
        assert_eq!(
            rapid,
            RotationDecision::Rotate(vec![RotationReason::ReplaceRequested])
        );
        let old = KeyFacts {
            last_rotation: Some(at("2026-10-01T00:00:00Z")),
            ..young
        };
        assert_eq!(
            decide(old, now, false).0,
            RotationDecision::Rotate(vec![RotationReason::ReplaceRequested])
        );
    }
}
