//! An API whose clock lies: a `Date` a month ahead, a year behind, or jumping within a run.
//! keyrot compares each answer's `Date` with this machine's clock, so these tests run the
//! sandbox at the machine's own instant (taken once, at the start) and never pass `--now`;
//! nothing in them depends on the date they run on.

use jiff::{SignedDuration, Timestamp};
use keyrot::sandbox::Faults;
use keyrot::vendor::rixl::sandbox::SandboxKey;

use crate::harness::{TestSandbox, Workspace, account, days, id, rixl_key, stderr, stdout};

/// One account rotated `rotated_ago` before `at` (max_key_age 30d) and one RIXL key created as
/// long before, on a sandbox at `at` whose `Date` headers are `offset` off after `after`
/// answers.
fn lying_clock(
    at: Timestamp,
    rotated_ago: SignedDuration,
    offset: SignedDuration,
    after: usize,
) -> (TestSandbox, Workspace) {
    let file = format!(
        "version: 1\ncloudflare:\n  defaults:\n    max_key_age: 30d\n  accounts:\n    a1:\n      \
         account_id: {}\n    a2:\n      account_id: {}\nrixl:\n  api_keys:\n    k1:\n      \
         key_id: K1\n      max_key_age: 30d\n      secret: {{file: secrets/k1.key}}\n",
        id(1),
        id(2)
    );
    let key = SandboxKey {
        created_at: at - rotated_ago,
        expiring_at: Some(at + days(300)),
        ..rixl_key("K1", 0, 300)
    };
    let faults = Faults {
        date_offset: offset,
        date_offset_after: after,
        ..Faults::default()
    };
    let accounts = vec![
        account(&id(1), 90, at - rotated_ago),
        account(&id(2), 90, at - rotated_ago),
    ];
    let sandbox = TestSandbox::at(at, accounts, vec![key], faults);
    (sandbox, Workspace::new(&file))
}

fn run(sandbox: &TestSandbox, workspace: &Workspace, args: &[&str]) -> std::process::Output {
    sandbox
        .keyrot(&workspace.file())
        .args(args)
        .output()
        .unwrap()
}

/// drift exits 2 and names both clocks, never "No drift"; its metric holds the skew.
fn assert_drift_reports_the_clock(sandbox: &TestSandbox, workspace: &Workspace, words: &str) {
    let metrics = workspace.path("keyrot.prom");
    let drift = run(
        sandbox,
        workspace,
        &["drift", "--metrics-file", metrics.to_str().unwrap()],
    );
    let shown = stdout(&drift);
    assert_eq!(drift.status.code(), Some(2), "{shown}{}", stderr(&drift));
    assert!(!shown.contains("No drift"), "{shown}");
    assert!(shown.contains("the clocks disagree"), "{shown}");
    assert!(shown.contains(words), "{shown}");
    let exposition = std::fs::read_to_string(metrics).unwrap();
    let skew: i64 = exposition
        .lines()
        .find_map(|line| line.strip_prefix("keyrot_clock_skew_seconds "))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no skew metric:\n{exposition}"));
    assert!(skew.abs() > 300, "{exposition}");
}

/// apply sends no rotation and exits 1 with a line naming both clocks.
fn assert_apply_rotates_nothing(sandbox: &TestSandbox, workspace: &Workspace) {
    let apply = run(sandbox, workspace, &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    assert!(
        stderr(&apply).contains("keyrot sent no rotation that depends on the time"),
        "{}",
        stderr(&apply)
    );
    assert_eq!(sandbox.posts(), 0, "{:?}", sandbox.writes());
}

#[test]
fn a_date_a_month_ahead_rotates_nothing_that_was_just_rotated() {
    let now = Timestamp::now();
    let (sandbox, workspace) = lying_clock(now, SignedDuration::from_mins(5), days(30), 0);
    let plan = run(&sandbox, &workspace, &["plan"]);
    assert!(
        stderr(&plan).contains("30 days ahead of this machine's"),
        "{}",
        stderr(&plan)
    );
    assert_drift_reports_the_clock(&sandbox, &workspace, "30 days ahead of");
    assert_apply_rotates_nothing(&sandbox, &workspace);
}

#[test]
fn a_date_a_year_behind_is_reported_not_taken_for_no_drift() {
    // By the machine's clock every key is 200 days old and due; by the API's, it was rotated
    // 165 days from now.
    let now = Timestamp::now();
    let (sandbox, workspace) = lying_clock(now, days(200), -days(365), 0);
    assert_drift_reports_the_clock(&sandbox, &workspace, "365 days behind");
    assert_apply_rotates_nothing(&sandbox, &workspace);
}

#[test]
fn a_date_that_jumps_during_the_apply_stops_every_rotation_by_age() {
    // The first answer tells the true time; every later one is a month ahead.
    let now = Timestamp::now();
    let (sandbox, workspace) = lying_clock(now, days(40), days(30), 1);
    assert_apply_rotates_nothing(&sandbox, &workspace);
}

#[test]
fn clocks_within_max_clock_skew_rotate_as_usual() {
    let now = Timestamp::now();
    let (sandbox, workspace) = lying_clock(now, days(40), SignedDuration::from_mins(4), 0);
    let apply = run(&sandbox, &workspace, &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert_eq!(sandbox.posts(), 3, "{:?}", sandbox.writes());
}
