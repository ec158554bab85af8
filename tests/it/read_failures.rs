//! Reads that fail: a refused connection or refused credentials stop a vendor's reads with one
//! line naming what to check; one unknown account hides nothing else, and drift still reports
//! on every resource it could read.

use crate::harness::{
    TestSandbox, Workspace, fleet, free_port, id, snapshot_settings, stderr, stdout,
};

/// The sandbox's URL and path with nothing listening on its port.
fn closed_url() -> String {
    format!("http://127.0.0.1:{}/client/v4", free_port())
}

#[test]
fn a_base_url_nothing_listens_on_stops_after_one_failure_with_one_line() {
    let (file, accounts) = fleet(200, None);
    let sandbox = TestSandbox::start(accounts);
    let workspace = Workspace::new(&file);
    let output = sandbox
        .keyrot(&workspace.file())
        .env("CLOUDFLARE_BASE_URL", closed_url())
        .args(["plan", "--timeout", "2s"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("Connection refused"), "{message}");
    assert!(
        message.ends_with(
            "check CLOUDFLARE_BASE_URL. Reading from Cloudflare stopped there: 200 accounts not \
             read\n"
        ),
        "{message}"
    );
}

#[test]
fn refused_credentials_stop_the_reads_with_one_line_naming_the_variable() {
    let (file, accounts) = fleet(200, None);
    let sandbox = TestSandbox::start(accounts);
    let workspace = Workspace::new(&file);
    let output = sandbox
        .keyrot(&workspace.file())
        .env("CLOUDFLARE_API_TOKEN", "wrong")
        .args(["plan", "--parallelism", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("plan_error_credentials_refused", stderr(&output));
    });
    let sent = sandbox.requests().len();
    assert_eq!(sent, 3, "three refusals are enough; {sent} reads were sent");
}

const WITH_A_GHOST: &str = "\
version: 1
cloudflare:
  defaults:
    max_key_age: 30d
  accounts:
    account-1:
      account_id: 00000000000000000000000000000001
    ghost:
      account_id: 00000000000000000000000000000bad
    account-2:
      account_id: 00000000000000000000000000000002
      key_rotation_interval_days: 30
";

#[test]
fn an_unknown_account_is_reported_once_and_hides_nothing_else() {
    let (_, accounts) = fleet(2, None);
    let sandbox = TestSandbox::start(accounts);
    let workspace = Workspace::new(WITH_A_GHOST);
    let plan = sandbox.run(&workspace.file(), &["plan"]);
    assert_eq!(plan.status.code(), Some(1));
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("plan_error_unknown_account", stderr(&plan));
    });
    let reads: Vec<String> = sandbox.requests().into_iter().map(|r| r.path).collect();
    for n in [1, 2] {
        assert!(reads.iter().any(|path| path.contains(&id(n))), "{reads:?}");
    }

    let metrics = workspace.path("keyrot.prom");
    let metrics_arg = metrics.to_str().unwrap();
    let drift = sandbox.run(&workspace.file(), &["drift", "--metrics-file", metrics_arg]);
    assert_eq!(drift.status.code(), Some(1), "{}", stdout(&drift));
    assert_eq!(
        stderr(&drift),
        stderr(&plan).replace(
            "this plan; the rest was planned",
            "this drift check; the rest was checked"
        ),
        "drift reports the failure as plan does"
    );
    assert!(stdout(&drift).contains("account-1"), "{}", stdout(&drift));
    let written = std::fs::read_to_string(&metrics).unwrap();
    let samples: Vec<&str> = written
        .lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("keyrot_last_run_timestamp"))
        .collect();
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("drift_metrics_unknown_account", samples.join("\n"));
    });
}

#[test]
fn a_base_url_without_its_path_is_one_line_not_one_per_account() {
    // The commonest slip: the host without /client/v4, so every account is "no route".
    let (file, accounts) = fleet(50, None);
    let sandbox = TestSandbox::start(accounts);
    let workspace = Workspace::new(&file);
    let host_only = sandbox.cloudflare_base_url().replace("/client/v4", "");
    let output = sandbox
        .keyrot(&workspace.file())
        .env("CLOUDFLARE_BASE_URL", host_only)
        .args(["plan", "--parallelism", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("plan_error_base_url_without_path", stderr(&output));
    });
}

#[test]
fn an_apply_leaves_out_an_account_it_cannot_read_applies_the_rest_and_exits_1() {
    let (_, accounts) = fleet(2, None);
    let sandbox = TestSandbox::start(accounts);
    let workspace = Workspace::new(WITH_A_GHOST);
    let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    let said = stderr(&apply);
    assert!(
        said.starts_with(
            "error: cloudflare account \"ghost\" (00000000000000000000000000000bad): GET \
             /accounts/00000000000000000000000000000bad/access/keys failed: HTTP 404: 7003 No \
             route for the URI; check account_id; left out of this apply\n"
        ),
        "{said}"
    );
    assert!(
        said.ends_with(
            "error: 1 of 3 resources could not be read and was left out of this apply; the rest \
             was applied\n"
        ),
        "{said}"
    );
    let written: Vec<String> = sandbox
        .writes()
        .into_iter()
        .map(|write| write.path)
        .collect();
    for n in [1, 2] {
        assert!(
            written.iter().any(|path| path.contains(&id(n))),
            "{written:?}"
        );
    }
    assert!(
        written.iter().all(|path| !path.contains("0bad")),
        "{written:?}"
    );
}

#[test]
fn a_targeted_plan_says_how_much_of_the_file_it_covers() {
    let (_, accounts) = fleet(2, None);
    let sandbox = TestSandbox::start(accounts);
    let workspace = Workspace::new(WITH_A_GHOST);
    let plan = sandbox.run(&workspace.file(), &["plan", "--target", "account-2"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    assert!(
        stdout(&plan).ends_with("This plan covers 1 of 3 resources: --target.\n"),
        "{}",
        stdout(&plan)
    );
    let json = sandbox.run(
        &workspace.file(),
        &["plan", "--target", "account-2", "--format", "json"],
    );
    let document: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(
        document["partial"],
        serde_json::json!({"covered": 1, "of": 3, "why": "--target"})
    );
}

#[test]
fn a_plan_that_left_a_resource_out_is_shown_but_not_saved() {
    let (_, accounts) = fleet(2, None);
    let sandbox = TestSandbox::start(accounts);
    let workspace = Workspace::new(WITH_A_GHOST);
    let saved = workspace.path("plan.json");
    let plan = sandbox.run(
        &workspace.file(),
        &["plan", "--out", saved.to_str().unwrap()],
    );
    assert_eq!(plan.status.code(), Some(1));
    assert!(stdout(&plan).contains("account-2"), "{}", stdout(&plan));
    assert!(
        stderr(&plan).contains("plan.json: not saved: an apply of this plan would leave out"),
        "{}",
        stderr(&plan)
    );
    assert!(!saved.exists());
}

#[test]
fn what_could_not_be_read_is_never_called_in_sync() {
    let (_, accounts) = fleet(2, None);
    let sandbox = TestSandbox::start(accounts);
    let workspace = Workspace::new(WITH_A_GHOST);
    let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(1), "{}", stderr(&apply));
    for (command, verdict) in [
        ("drift", "No drift among the resources checked."),
        ("plan", "No changes among the resources planned."),
    ] {
        let output = sandbox.run(&workspace.file(), &[command]);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let shown = stdout(&output);
        assert!(shown.contains(verdict), "{command}: {shown}");
        assert!(!shown.contains("matches"), "{command}: {shown}");
        assert!(
            shown.contains("covers 2 of 3 resources: 1 could not be read"),
            "{command}: {shown}"
        );
    }
}

#[test]
fn an_apply_with_nothing_to_change_in_what_it_read_does_not_say_it_applied_the_rest() {
    let (_, accounts) = fleet(2, None);
    let sandbox = TestSandbox::start(accounts);
    let workspace = Workspace::new(WITH_A_GHOST);
    let first = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert!(
        stderr(&first).ends_with("the rest was applied\n"),
        "{}",
        stderr(&first)
    );
    let again = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(
        stderr(&again).ends_with("the rest was read and needed no change\n"),
        "{}",
        stderr(&again)
    );
}
