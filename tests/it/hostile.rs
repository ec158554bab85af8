//! Hostile or broken API answers, from the sandbox's fault modes: lists that never end, bodies
//! that never end, and a rotate answered "done" that did not rotate.

use keyrot::sandbox::Faults;

use crate::harness::{
    NOW, TestSandbox, Workspace, account, days_ago, id, rixl_key, stderr, stdout,
};

fn hostile(faults: Faults) -> TestSandbox {
    TestSandbox::with_everything(
        vec![account(&id(1), 90, days_ago(60))],
        vec![rixl_key("K1", 40, 300)],
        faults,
    )
}

const FILE: &str = "version: 1\ncloudflare:\n  accounts:\n    production:\n      account_id: 00000000000000000000000000000001\n      max_key_age: 30d\nrixl:\n  api_keys:\n    k1:\n      key_id: K1\n      secret: {file: secrets/k1.key}\n";

#[test]
fn lists_that_never_end_are_stopped_naming_the_endpoint() {
    let sandbox = hostile(Faults {
        endless_pages: true,
        ..Faults::default()
    });
    let workspace = Workspace::new(FILE);
    let plan = sandbox.run(&workspace.file(), &["plan"]);
    assert_eq!(plan.status.code(), Some(1), "{}", stdout(&plan));
    let error = stderr(&plan);
    assert!(error.contains("GET /platform/api-keys?"), "{error}");
    assert!(
        error.contains("a page listed only keys listed before"),
        "{error}"
    );
    assert!(
        sandbox.requests().len() < 10,
        "{} requests",
        sandbox.requests().len()
    );

    let import = sandbox.run(&workspace.file(), &["import", "cloudflare", "--all"]);
    assert_eq!(import.status.code(), Some(1), "{}", stdout(&import));
    let error = stderr(&import);
    assert!(error.contains("GET /accounts?page=2"), "{error}");
    assert!(error.contains("the list does not end"), "{error}");
}

#[test]
fn a_body_that_never_ends_is_refused_at_a_few_mebibytes() {
    let sandbox = hostile(Faults {
        endless_body: true,
        ..Faults::default()
    });
    let workspace = Workspace::new(FILE);
    let plan = sandbox
        .keyrot(&workspace.file())
        .args(["--now", NOW, "--timeout", "60s", "plan"])
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(1), "{}", stdout(&plan));
    let error = stderr(&plan);
    assert!(error.contains("GET /accounts/"), "{error}");
    assert!(error.contains("larger than 4 MiB"), "{error}");
}

#[test]
fn a_rotate_answered_done_that_did_not_rotate_is_not_reported_done() {
    let sandbox = hostile(Faults {
        rotate_unchanged: true,
        ..Faults::default()
    });
    let workspace = Workspace::new(FILE);
    let apply = sandbox.run(
        &workspace.file(),
        &["apply", "--auto-approve", "--target", "production"],
    );
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    let report = stdout(&apply);
    assert!(
        report.contains("reports the last rotation still at"),
        "{report}"
    );
    assert!(
        report.contains("showed no new rotation, so it was not rotated"),
        "{report}"
    );
    assert!(
        !report.contains("production: ↻ rotate access keys: done"),
        "{report}"
    );
}

#[test]
fn an_error_message_cannot_clear_the_screen_or_forge_a_line() {
    let sandbox = hostile(Faults {
        error_rate: 1.0,
        target: keyrot::sandbox::FaultTarget::Rotates,
        hostile_messages: true,
        ..Faults::default()
    });
    let workspace = Workspace::new(FILE);
    let apply = sandbox.run(
        &workspace.file(),
        &["apply", "--auto-approve", "--target", "production"],
    );
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    let report = stdout(&apply);
    assert!(
        !report.contains('\u{1b}'),
        "a raw escape reached the terminal: {report:?}"
    );
    assert!(
        !report
            .lines()
            .any(|line| line.starts_with("all keys rotated OK")),
        "{report}"
    );
    assert!(
        report.contains("unavailable\\u{1b}[2J\\u{1b}[H\\u{a}all keys rotated OK"),
        "{report}"
    );
}

#[test]
fn a_rixl_error_message_cannot_clear_the_screen_or_forge_a_line() {
    let sandbox = hostile(Faults {
        error_rate: 1.0,
        hostile_messages: true,
        ..Faults::default()
    });
    let workspace = Workspace::new(
        "version: 1\nrixl:\n  api_keys:\n    k1:\n      key_id: K1\n      max_key_age: 30d\n      \
         secret: {file: secrets/k1.key}\n",
    );
    let plan = sandbox.run(&workspace.file(), &["plan", "--timeout", "5s"]);
    assert_eq!(plan.status.code(), Some(1), "{}", stdout(&plan));
    let shown = format!("{}{}", stdout(&plan), stderr(&plan));
    assert!(
        !shown.contains('\u{1b}'),
        "a raw escape reached the terminal: {shown:?}"
    );
    assert!(
        !shown
            .lines()
            .any(|line| line.starts_with("all keys rotated OK")),
        "{shown}"
    );
    assert!(shown.contains("\\u{1b}[2J"), "{shown}");
}

#[test]
fn a_list_of_ever_new_keys_is_stopped_by_the_page_cap() {
    let sandbox = hostile(Faults {
        endless_pages: true,
        ever_new_items: true,
        ..Faults::default()
    });
    let workspace = Workspace::new(
        "version: 1\nrixl:\n  rate_limit: 1000000/1s\n  api_keys:\n    k1:\n      key_id: K1\n      \
         max_key_age: 30d\n      secret: {file: secrets/k1.key}\n",
    );
    let plan = sandbox.run(&workspace.file(), &["plan"]);
    assert_eq!(plan.status.code(), Some(1), "{}", stdout(&plan));
    let error = stderr(&plan);
    assert!(error.contains("more than 10,000 pages"), "{error}");
    let pages = sandbox.requests().len();
    assert!((10_000..=10_002).contains(&pages), "{pages} requests");
}
