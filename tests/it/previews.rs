//! `--now` at another instant than the API's: previews that count Cloudflare's scheduled
//! rotations, and rehearsals against a sandbox whose clock stands in the future.

use jiff::{SignedDuration, Timestamp};
use keyrot::sandbox::Faults;

use crate::harness::{
    TestSandbox, Workspace, account, at, days, keyrot_command, now, snapshot_settings, stderr,
    stdout,
};

const PRODUCTION: &str = "023e105f4ecef8ad9ca31a8372d0c353";

const ROTATE_AT_45_DAYS: &str = "\
version: 1
cloudflare:
  accounts:
    production:
      account_id: 023e105f4ecef8ad9ca31a8372d0c353
      key_rotation_interval_days: 30
      max_key_age: 45d
";

fn instant(at: Timestamp) -> String {
    at.to_string()
}

#[test]
fn a_preview_counts_cloudflares_scheduled_rotations_and_says_it_is_a_preview() {
    // Rotated 10 days ago every 30 days: in 60 days Cloudflare will have rotated it twice, the
    // last time 10 days before then, so nothing is due; today's state unchanged would be 70.
    let sandbox = TestSandbox::start(vec![account(PRODUCTION, 30, now() - days(10))]);
    let workspace = Workspace::new(ROTATE_AT_45_DAYS);
    let later = instant(now() + days(60));
    let preview = sandbox
        .keyrot(&workspace.file())
        .args(["plan", "--now", &later, "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(preview.status.code(), Some(0), "{}", stderr(&preview));
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("plan_preview_human", stdout(&preview));
    });

    let saved = sandbox
        .keyrot(&workspace.file())
        .args(["plan", "--now", &later, "--out"])
        .arg(workspace.path("plan.json"))
        .output()
        .unwrap();
    assert_eq!(saved.status.code(), Some(1));
    assert!(
        stderr(&saved).contains("cannot be applied"),
        "{}",
        stderr(&saved)
    );
    assert!(!workspace.path("plan.json").exists());
}

#[test]
fn a_sandbox_whose_clock_stands_in_the_future_rehearses_a_rotation() {
    let future = at("2027-06-01T00:00:00Z");
    let last = future - SignedDuration::from_hours(24 * 60);
    let sandbox = TestSandbox::at(
        future,
        vec![account(PRODUCTION, 90, last)],
        Vec::new(),
        Faults::default(),
    );
    let workspace = Workspace::new(&ROTATE_AT_45_DAYS.replace(
        "key_rotation_interval_days: 30",
        "key_rotation_interval_days: 90",
    ));
    let apply = sandbox
        .keyrot(&workspace.file())
        .args(["apply", "--auto-approve", "--now", &instant(future)])
        .output()
        .unwrap();
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert!(
        stdout(&apply).contains("↻ rotate access keys: done"),
        "{}",
        stdout(&apply)
    );
    assert_eq!(
        sandbox.account(PRODUCTION).last_key_rotation_at,
        future,
        "rotated by the sandbox's clock"
    );
}

#[test]
fn the_demo_converges_at_a_future_instant() {
    let output = keyrot_command()
        .args(["demo", "--now", "2027-06-01"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output)
            .trim_end()
            .ends_with("No changes. Live state matches examples/keyrot.yaml.")
    );
}
