//! The real binary against the in-process sandbox: plan shows exactly the right actions, apply
//! converges without writing any account twice, and apply never acts without approval.

use std::path::Path;
use std::process::Output;

use crate::harness::{
    TestSandbox, account, answer_on_a_terminal, days_ago, desired_file, snapshot_settings, stderr,
    stdout,
};

const PRODUCTION: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const STAGING: &str = "1d5fdc9e88c8a8c4518b068cd94331fe";
const ANALYTICS: &str = "9a7806061c88ada191ed06f989cc3dac";
const BILLING: &str = "5b2f0a7c3e1d4f6a8b9c0d1e2f3a4b5c";
const ARCHIVE: &str = "c0ffee00c0ffee00c0ffee00c0ffee00";

/// Every rule of this issue once: an interval update, an over-age key, both at once, a
/// rotation deferred by the safety gap, and an account already in sync.
const EVERY_RULE: &str = "\
version: 1
cloudflare:
  defaults:
    key_rotation_interval_days: 90
    max_key_age: 120d
  accounts:
    production:
      account_id: 023e105f4ecef8ad9ca31a8372d0c353
      key_rotation_interval_days: 30
    staging:
      account_id: 1d5fdc9e88c8a8c4518b068cd94331fe
      key_rotation_interval_days: 180
    analytics:
      account_id: 9a7806061c88ada191ed06f989cc3dac
      key_rotation_interval_days: 365
    billing:
      account_id: 5b2f0a7c3e1d4f6a8b9c0d1e2f3a4b5c
      max_key_age: 1d
    archive:
      account_id: c0ffee00c0ffee00c0ffee00c0ffee00
";

fn every_rule_sandbox() -> TestSandbox {
    TestSandbox::start(vec![
        account(PRODUCTION, 90, days_ago(10)),
        account(STAGING, 180, days_ago(131)),
        account(ANALYTICS, 200, days_ago(150)),
        account(BILLING, 90, days_ago(2)),
        account(ARCHIVE, 90, days_ago(40)),
    ])
}

#[test]
fn plan_lists_exactly_the_right_actions() {
    let sandbox = every_rule_sandbox();
    let (_dir, file) = desired_file(EVERY_RULE);
    let output = sandbox.run(&file, &["plan"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("plan_every_rule_human", stdout(&output));
    });
    assert!(
        sandbox.writes().is_empty(),
        "plan wrote: {:?}",
        sandbox.writes()
    );
}

#[test]
fn plan_colors_only_when_asked() {
    let sandbox = every_rule_sandbox();
    let (_dir, file) = desired_file(EVERY_RULE);
    let plain = sandbox.run(&file, &["plan"]);
    assert!(
        !stdout(&plain).contains('\u{1b}'),
        "colors without a terminal"
    );
    let colored = sandbox.run(&file, &["plan", "--color", "always"]);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("plan_every_rule_colored", stdout(&colored));
    });
    let never = sandbox.run(&file, &["plan", "--color", "never"]);
    assert_eq!(stdout(&never), stdout(&plain));
}

#[test]
fn detailed_exitcode_is_2_with_changes() {
    let sandbox = every_rule_sandbox();
    let (_dir, file) = desired_file(EVERY_RULE);
    let output = sandbox.run(&file, &["plan", "--detailed-exitcode"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn apply_converges_and_writes_each_account_at_most_once_per_action() {
    let sandbox = every_rule_sandbox();
    let (_dir, file) = desired_file(EVERY_RULE);
    let apply = sandbox.run(&file, &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("apply_every_rule_human", stdout(&apply));
    });

    let writes: Vec<String> = sandbox
        .writes()
        .into_iter()
        .map(|request| format!("{} {}", request.method, request.path))
        .collect();
    let base = "/client/v4/accounts";
    let put_analytics = format!("PUT {base}/{ANALYTICS}/access/keys");
    let rotate_analytics = format!("POST {base}/{ANALYTICS}/access/keys/rotate");
    let position = |write: &str| writes.iter().position(|seen| seen == write);
    assert!(
        position(&put_analytics) < position(&rotate_analytics),
        "inside one account the update comes first: {writes:?}"
    );
    let mut sorted = writes.clone();
    sorted.sort();
    let mut expected = vec![
        format!("PUT {base}/{PRODUCTION}/access/keys"),
        format!("POST {base}/{STAGING}/access/keys/rotate"),
        put_analytics,
        rotate_analytics,
    ];
    expected.sort();
    assert_eq!(sorted, expected, "each write exactly once");

    let again = sandbox.run(&file, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert!(
        stdout(&again).contains("billing"),
        "the deferral stays visible"
    );
    assert_eq!(sandbox.account(ANALYTICS).key_rotation_interval_days, 365);
}

#[test]
fn apply_with_nothing_to_do_says_so() {
    let sandbox = TestSandbox::start(vec![account(PRODUCTION, 30, days_ago(1))]);
    let (_dir, file) = desired_file(format!(
        "version: 1\ncloudflare:\n  accounts:\n    production:\n      account_id: {PRODUCTION}\n      key_rotation_interval_days: 30\n"
    ));
    let output = sandbox.run(&file, &["apply"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("No changes. Live state matches"));
    assert!(stdout(&output).contains("Nothing to apply."));
}

#[test]
fn apply_without_a_terminal_or_approval_changes_nothing() {
    let sandbox = every_rule_sandbox();
    let (_dir, file) = desired_file(EVERY_RULE);
    let output = sandbox
        .keyrot(&file)
        .arg("apply")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--auto-approve"),
        "{}",
        stderr(&output)
    );
    assert!(sandbox.writes().is_empty(), "wrote: {:?}", sandbox.writes());
}

#[test]
fn an_update_that_makes_cloudflare_rotate_holds_the_rotate_back() {
    // Live: 100-day interval, key 95 days old. Desired: 30-day interval and max_key_age 60d.
    // Setting 30 days makes Cloudflare's own rotation due at once, so the rotate keyrot planned
    // would be a second rotation in a row: it is skipped, and the next plan is clean.
    let sandbox = TestSandbox::start(vec![account(PRODUCTION, 100, days_ago(95))]);
    let (_dir, file) = desired_file(format!(
        "version: 1\ncloudflare:\n  accounts:\n    production:\n      account_id: {PRODUCTION}\n      key_rotation_interval_days: 30\n      max_key_age: 60d\n"
    ));
    let apply = sandbox.run(&file, &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert!(
        stdout(&apply).contains("skipped: the key was rotated at"),
        "{}",
        stdout(&apply)
    );
    let rotates = sandbox
        .writes()
        .iter()
        .filter(|request| request.method == "POST")
        .count();
    assert_eq!(rotates, 0);
    let again = sandbox.run(&file, &["plan", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
}

/// Runs `keyrot apply` on a pseudo-terminal and answers its prompt.
fn apply_on_a_terminal(sandbox: &TestSandbox, file: &Path, answer: &str) -> Output {
    apply_on_a_terminal_after(sandbox, file, answer, || {})
}

/// Like [`apply_on_a_terminal`], running `meanwhile` once the prompt is showing.
fn apply_on_a_terminal_after(
    sandbox: &TestSandbox,
    file: &Path,
    answer: &str,
    meanwhile: impl FnOnce(),
) -> Output {
    let terminal = sandbox.keyrot_on_a_terminal(file, "--color never apply");
    answer_on_a_terminal(terminal, "will be accepted: ", answer, meanwhile)
}

#[test]
fn end_of_input_at_the_prompt_ends_its_line_before_saying_nothing_changed() {
    let sandbox = every_rule_sandbox();
    let (_dir, file) = desired_file(EVERY_RULE);
    let ended = apply_on_a_terminal(&sandbox, &file, "");
    assert_eq!(ended.status.code(), Some(1), "{}", stdout(&ended));
    let shown = stdout(&ended);
    let prompt_line = shown
        .lines()
        .find(|line| line.contains("will be accepted: "))
        .unwrap_or_else(|| panic!("no prompt: {shown}"));
    assert!(
        prompt_line.trim_end().ends_with("will be accepted:"),
        "{shown}"
    );
    assert!(sandbox.writes().is_empty(), "wrote: {:?}", sandbox.writes());
}

#[test]
fn apply_on_a_terminal_acts_only_on_yes() {
    let sandbox = every_rule_sandbox();
    let (_dir, file) = desired_file(EVERY_RULE);

    let refused = apply_on_a_terminal(&sandbox, &file, "no\n");
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    assert!(stdout(&refused).contains("Only 'yes' will be accepted"));
    assert!(sandbox.writes().is_empty(), "wrote: {:?}", sandbox.writes());

    let approved = apply_on_a_terminal(&sandbox, &file, "yes\n");
    assert_eq!(approved.status.code(), Some(0), "{}", stdout(&approved));
    assert!(stdout(&approved).contains("Apply complete: 4 actions done."));
    assert_eq!(sandbox.writes().len(), 4);
}

#[test]
fn a_change_while_waiting_for_approval_refuses_the_apply() {
    let sandbox = every_rule_sandbox();
    let (_dir, file) = desired_file(EVERY_RULE);
    let output = apply_on_a_terminal_after(&sandbox, &file, "yes\n", || {
        // A writer that does not use keyrot (a console): another keyrot apply would wait for
        // the lock this one holds.
        sandbox
            .cloudflare()
            .set_interval_outside_keyrot(STAGING, 30);
    });
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(
        text.contains("the live state changed while waiting for approval"),
        "{text}"
    );
    assert!(
        text.contains("staging: key_rotation_interval_days 180"),
        "{text}"
    );
    assert!(sandbox.writes().is_empty(), "wrote: {:?}", sandbox.writes());
}

#[test]
fn a_second_apply_while_the_first_waits_for_approval_is_refused_naming_the_first() {
    let sandbox = every_rule_sandbox();
    let (_dir, file) = desired_file(EVERY_RULE);
    let output = apply_on_a_terminal_after(&sandbox, &file, "no\n", || {
        let second = sandbox.run(&file, &["apply", "--auto-approve"]);
        assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
        let message = stderr(&second);
        assert!(
            message.contains("another apply holds the lock"),
            "{message}"
        );
        assert!(message.contains("--color never apply`, since"), "{message}");
        assert!(message.contains("nothing was read or written"), "{message}");
        let out = file.to_str().unwrap();
        let import = [
            "import",
            "cloudflare",
            "--account",
            PRODUCTION,
            "--out",
            out,
            "--force",
        ];
        let imported = sandbox.run(&file, &import);
        assert_eq!(imported.status.code(), Some(1), "{}", stderr(&imported));
        assert!(
            stderr(&imported).contains("another apply holds the lock"),
            "{}",
            stderr(&imported)
        );
        let plan = sandbox.run(&file, &["plan"]);
        assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
        assert!(
            stderr(&plan).contains("note: an apply holds the lock"),
            "{}",
            stderr(&plan)
        );
    });
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(sandbox.writes().is_empty(), "wrote: {:?}", sandbox.writes());
}

#[test]
fn ctrl_c_at_the_approval_prompt_says_nothing_was_changed() {
    let sandbox = every_rule_sandbox();
    let (_dir, file) = desired_file(EVERY_RULE);
    let output = apply_on_a_terminal(&sandbox, &file, "\u{3}");
    assert_eq!(output.status.code(), Some(130), "{}", stdout(&output));
    let shown = stdout(&output);
    assert!(
        shown.contains("Ctrl-C: apply cancelled at the approval prompt; nothing was changed"),
        "{shown}"
    );
    assert!(sandbox.writes().is_empty(), "wrote: {:?}", sandbox.writes());
}

#[test]
fn an_apply_sends_requests_linear_in_what_it_reads_and_changes() {
    // 60 accounts: each read once by the plan, read once more right before its write (the
    // compare-before-write), and written once (an update or a rotate).
    let count = 60;
    let (file, accounts) = crate::harness::fleet(count, Some("100000/1s"));
    let file = file.replacen(
        "version: 1\n",
        "version: 1\nsettings:\n  max_rotations_per_apply: 100\n",
        1,
    );
    let sandbox = TestSandbox::start(accounts);
    let (_dir, path) = desired_file(&file);
    let apply = sandbox.run(&path, &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let requests = sandbox.requests();
    let reads = requests.iter().filter(|r| r.method == "GET").count();
    let writes = requests.len() - reads;
    assert_eq!(writes, count, "one write per account");
    assert_eq!(
        reads,
        2 * count,
        "the plan's read and one check before each write"
    );
}
