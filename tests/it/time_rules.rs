//! The planner's time rules through the real binary: deadlines, scheduled rotations, key age,
//! the safety gap, `--now`, the rotation guardrail, and what a deferral does to exit codes.

use crate::harness::{
    NOW, TestSandbox, account, at, days, desired_file, id, now, snapshot_settings, stderr, stdout,
};

/// Every time rule once, evaluated at 2026-11-24 12:00 UTC (the sandbox's clock and `--now`);
/// the deadlines still ahead of it are written as days after it.
fn every_time_rule() -> String {
    format!(
        "\
version: 1
cloudflare:
  defaults:
    rotation_window: 7d
  accounts:
    due:                      # window opened 11-21; Cloudflare's own rotation (12-30) is too late
      account_id: 00000000000000000000000000000001
      rotate_by: 2026-11-28
    overdue:                  # deadline 11-22 passed; last rotated 09-01
      account_id: 00000000000000000000000000000002
      rotate_by: 2026-11-22T09:00:00+09:00
    scheduled:                # Cloudflare rotates on 11-29 06:00, before the deadline
      account_id: 00000000000000000000000000000003
      rotate_by: 2026-12-01
    interval-moves-schedule:  # only the new 30-day interval brings the rotation before 12-01
      account_id: 00000000000000000000000000000004
      key_rotation_interval_days: 30
      rotate_by: 2026-12-01
    satisfied:                # rotated at 06:00 today, after the window opened
      account_id: 00000000000000000000000000000005
      rotate_by: 2026-12-01
    upcoming:                 # window opens 12-13: listed as upcoming
      account_id: 00000000000000000000000000000006
      rotate_by: {upcoming}
    far-off:                  # window opens in 2027: not listed
      account_id: 00000000000000000000000000000007
      rotate_by: {far_off}
    deferred-overdue:         # overdue, but rotated 4 days ago: deferred by the safety gap
      account_id: 00000000000000000000000000000008
      rotate_by: 2026-11-23
      rotation_window: 1d
    old-key:                  # 131 days old
      account_id: 00000000000000000000000000000009
      max_key_age: 120d
    age-and-deadline:         # both rules want it: one rotate, two reasons
      account_id: 0000000000000000000000000000000a
      max_key_age: 30d
      rotate_by: 2026-11-22
",
        upcoming = date_after_now(26),
        far_off = date_after_now(189),
    )
}

/// The date `count` days after the tests' instant: `2026-12-20` for 26.
fn date_after_now(count: i64) -> jiff::civil::Date {
    jiff::tz::TimeZone::UTC
        .to_datetime(now() + days(count))
        .date()
}

fn every_time_rule_sandbox() -> TestSandbox {
    TestSandbox::start(vec![
        account(&id(1), 90, at("2026-10-01T00:00:00Z")),
        account(&id(2), 90, at("2026-09-01T00:00:00Z")),
        account(&id(3), 30, at("2026-10-30T06:00:00Z")),
        account(&id(4), 90, at("2026-10-28T00:00:00Z")),
        account(&id(5), 90, at("2026-11-24T06:00:00Z")),
        account(&id(6), 90, at("2026-11-01T00:00:00Z")),
        account(&id(7), 90, at("2026-11-01T00:00:00Z")),
        account(&id(8), 90, at("2026-11-20T00:00:00Z")),
        account(&id(9), 180, at("2026-07-16T12:00:00Z")),
        account(&id(10), 90, at("2026-09-20T00:00:00Z")),
    ])
}

#[test]
fn every_time_rule_reads_as_a_checkable_sentence() {
    let sandbox = every_time_rule_sandbox();
    let (_dir, file) = desired_file(every_time_rule());
    let output = sandbox.run(&file, &["plan", "--detailed-exitcode"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("plan_every_time_rule_human", stdout(&output));
    });
}

#[test]
fn applying_every_time_rule_converges_and_keeps_the_deferral() {
    let sandbox = every_time_rule_sandbox();
    let (_dir, file) = desired_file(every_time_rule());
    let apply = sandbox.run(&file, &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let rotations = sandbox
        .writes()
        .iter()
        .filter(|request| request.path.ends_with("/rotate"))
        .count();
    assert_eq!(rotations, 4, "due, overdue, old-key, age-and-deadline");

    let again = sandbox.run(&file, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert!(stdout(&again).contains("No changes to apply now: 1 rotation deferred"));
}

#[test]
fn only_a_deadline_passed_unmet_counts_as_overdue() {
    let sandbox = every_time_rule_sandbox();
    let (_dir, file) = desired_file(every_time_rule());
    let drift = sandbox.run(&file, &["drift", "--format", "json"]);
    assert_eq!(drift.status.code(), Some(2), "{}", stderr(&drift));
    let document: serde_json::Value = serde_json::from_str(&stdout(&drift)).unwrap();
    let resources = document["resources"].as_array().unwrap();
    let overdue: Vec<&str> = resources
        .iter()
        .filter(|resource| resource["overdue"] == true)
        .map(|resource| resource["name"].as_str().unwrap())
        .collect();
    assert_eq!(overdue, ["overdue", "deferred-overdue", "age-and-deadline"]);
    assert_eq!(document["summary"]["overdue"], 3);
    let due = resources
        .iter()
        .find(|resource| resource["name"] == "due")
        .unwrap();
    assert_eq!(due["deadline"]["status"], "due", "{due}");
}

#[test]
fn now_previews_a_later_day() {
    let sandbox = every_time_rule_sandbox();
    let (_dir, file) = desired_file(every_time_rule());
    let output = sandbox
        .keyrot(&file)
        .args(["--now", "2026-12-14", "plan"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let plan = stdout(&output);
    assert!(
        plan.contains(
            "reason: deadline 2026-12-20 00:00 UTC, window opened 2026-12-13 00:00 UTC; due in 6 days"
        ),
        "{plan}"
    );
}

/// Three accounts whose keys are all over age.
fn three_old_keys(max_rotations: u32) -> String {
    let mut file = format!(
        "version: 1\nsettings:\n  max_rotations_per_apply: {max_rotations}\ncloudflare:\n  defaults:\n    max_key_age: 30d\n  accounts:\n"
    );
    for n in 1..=3 {
        file.push_str(&format!("    key-{n}:\n      account_id: {}\n", id(n)));
    }
    file
}

fn three_old_keys_sandbox() -> TestSandbox {
    let old = at("2026-09-01T00:00:00Z");
    TestSandbox::start((1..=3).map(|n| account(&id(n), 90, old)).collect())
}

#[test]
fn the_guardrail_refuses_too_many_rotations_before_any_write() {
    let sandbox = three_old_keys_sandbox();
    let (_dir, file) = desired_file(three_old_keys(2));

    let plan = sandbox.run(&file, &["plan"]);
    assert_eq!(plan.status.code(), Some(0));
    assert!(stdout(&plan).contains(
        "Warning: this plan rotates 3 keys, more than the limit of 2 \
         (settings.max_rotations_per_apply); apply will refuse it unless run with \
         --max-rotations 3."
    ));

    let refused = sandbox.run(&file, &["apply", "--auto-approve"]);
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("the plan rotates 3 keys, more than the limit of 2"));
    assert!(stderr(&refused).contains("--max-rotations 3"));
    assert!(sandbox.writes().is_empty(), "wrote: {:?}", sandbox.writes());

    let overridden = sandbox.run(&file, &["apply", "--auto-approve", "--max-rotations", "3"]);
    assert_eq!(overridden.status.code(), Some(0), "{}", stderr(&overridden));
    assert_eq!(sandbox.writes().len(), 3);
}

#[test]
fn a_plan_with_only_a_deferral_has_no_changes_and_apply_says_so() {
    let sandbox = TestSandbox::start(vec![account(&id(1), 90, at("2026-11-22T12:00:00Z"))]);
    let (_dir, file) = desired_file(format!(
        "version: 1\ncloudflare:\n  accounts:\n    fresh:\n      account_id: {}\n      max_key_age: 1d\n",
        id(1)
    ));
    let plan = sandbox.run(&file, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));

    let apply = sandbox.run(&file, &["apply"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let text = stdout(&apply);
    assert!(text.contains("allowed from 2026-11-29 12:00 UTC"), "{text}");
    assert!(
        text.contains("No changes to apply now: 1 rotation deferred"),
        "{text}"
    );
    assert!(sandbox.writes().is_empty());

    let rapid = sandbox.run(
        &file,
        &["apply", "--auto-approve", "--allow-rapid-rotation"],
    );
    assert_eq!(rapid.status.code(), Some(0), "{}", stderr(&rapid));
    assert_eq!(sandbox.writes().len(), 1);
    assert!(NOW.starts_with("2026-11-24"));
}
