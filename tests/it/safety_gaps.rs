//! Breakages of the safety code that once passed every test (issue 15's mutation trial): each
//! test here fails when the check it names is removed or loosened.

use crate::harness::{
    NOW, TestSandbox, Workspace, account, answer_on_a_terminal, at, days, days_ago, rixl_key,
    snapshot_settings, stderr, stdout,
};

const PRODUCTION: &str = "00000000000000000000000000000001";

/// Production's interval differs (an update is planned); the RIXL key is 40 days old with
/// max_key_age 30d (a rotation is planned).
const ONE_OF_EACH: &str = "\
version: 1
cloudflare:
  accounts:
    production:
      account_id: 00000000000000000000000000000001
      key_rotation_interval_days: 30
rixl:
  api_keys:
    ci-uploader:
      key_id: K1
      max_key_age: 30d
      secret:
        file: secrets/ci.key
";

fn one_of_each() -> (TestSandbox, Workspace) {
    let sandbox = TestSandbox::with_keys(
        vec![account(PRODUCTION, 90, days_ago(10))],
        vec![rixl_key("K1", 40, 300)],
    );
    let workspace = Workspace::new(ONE_OF_EACH);
    std::fs::create_dir_all(workspace.path("secrets")).unwrap();
    (sandbox, workspace)
}

fn save_plan(sandbox: &TestSandbox, workspace: &Workspace) -> String {
    let saved = workspace.path("plan.json").display().to_string();
    let plan = sandbox.run(&workspace.file(), &["plan", "--out", &saved]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    saved
}

#[test]
fn an_edited_saved_plan_is_refused_because_keyrot_would_not_compute_it() {
    let (sandbox, workspace) = one_of_each();
    let saved = save_plan(&sandbox, &workspace);
    // Only the plan is edited: the desired state, its digest and the recorded live state are
    // as saved, so nothing but recomputing the plan can notice.
    let mut document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let production = &mut document["plan"]["resources"][0];
    assert_eq!(production["name"], "production");
    production["actions"][0]["to"] = serde_json::json!(21);
    std::fs::write(&saved, serde_json::to_string_pretty(&document).unwrap()).unwrap();

    let apply = sandbox.run(&workspace.file(), &["apply", &saved]);
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    assert!(
        stderr(&apply).contains("the saved plan is not what this keyrot computes"),
        "{}",
        stderr(&apply)
    );
    assert!(sandbox.writes().is_empty(), "wrote: {:?}", sandbox.writes());
}

#[test]
fn a_rixl_key_rotated_elsewhere_after_plan_out_is_not_rotated_again() {
    let (sandbox, workspace) = one_of_each();
    let saved = save_plan(&sandbox, &workspace);
    sandbox.rixl().rotate_outside_keyrot("K1");

    let apply = sandbox.run(&workspace.file(), &["apply", &saved]);
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    assert!(stderr(&apply).contains("created_at"), "{}", stderr(&apply));
    let rotations = sandbox.sandbox.counters().rotations;
    assert!(rotations.is_empty(), "rotated again: {rotations:?}");
}

#[test]
fn apply_checks_the_recovery_directory_before_the_first_rotate() {
    let (sandbox, workspace) = one_of_each();
    // The sink is fine; where a secret it refused would be saved is not a directory.
    std::fs::create_dir_all(workspace.path(".keyrot")).unwrap();
    std::fs::write(workspace.path(".keyrot/recovered"), "").unwrap();

    let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    assert!(
        stderr(&apply).contains("recovery directory"),
        "{}",
        stderr(&apply)
    );
    assert_eq!(
        sandbox.posts(),
        0,
        "a rotate was sent: {:?}",
        sandbox.writes()
    );
}

#[test]
fn approval_takes_yes_and_nothing_that_merely_starts_like_it() {
    let (sandbox, workspace) = one_of_each();
    for answer in ["y\n", "Y\n", "ye\n", "yes please\n", "YES\n"] {
        let terminal = sandbox.keyrot_on_a_terminal(&workspace.file(), "--color never apply");
        let output = answer_on_a_terminal(terminal, "will be accepted: ", answer, || {});
        assert_eq!(
            output.status.code(),
            Some(1),
            "{answer:?}: {}",
            stdout(&output)
        );
        assert!(
            sandbox.writes().is_empty(),
            "{answer:?} applied: {:?}",
            sandbox.writes()
        );
    }
}

#[test]
fn rixl_rotations_alone_can_put_a_plan_over_the_limit() {
    let file = "\
version: 1
settings:
  max_rotations_per_apply: 1
rixl:
  defaults:
    max_key_age: 30d
  api_keys:
    one:
      key_id: K1
      secret: {file: one.key}
    two:
      key_id: K2
      secret: {file: two.key}
";
    let sandbox = TestSandbox::with_keys(
        Vec::new(),
        vec![rixl_key("K1", 40, 300), rixl_key("K2", 40, 300)],
    );
    let workspace = Workspace::new(file);
    let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(3), "{}", stderr(&apply));
    assert!(
        stderr(&apply).contains("rotates 2 keys, more than the limit of 1"),
        "{}",
        stderr(&apply)
    );
    assert!(sandbox.writes().is_empty(), "wrote: {:?}", sandbox.writes());
}

#[test]
fn a_key_exactly_max_key_age_old_is_rotated_for_both_vendors() {
    let file = "\
version: 1
cloudflare:
  accounts:
    production:
      account_id: 00000000000000000000000000000001
      max_key_age: 30d
rixl:
  api_keys:
    ci:
      key_id: K1
      max_key_age: 30d
      secret: {file: ci.key}
";
    let sandbox = TestSandbox::with_keys(
        vec![account(PRODUCTION, 90, days_ago(30))],
        vec![rixl_key("K1", 30, 300)],
    );
    let workspace = Workspace::new(file);
    let plan = sandbox.run(&workspace.file(), &["plan"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let text = stdout(&plan);
    assert_eq!(
        text.matches("reason: key is 30 days old (max_key_age 30d)")
            .count(),
        2,
        "{text}"
    );
}

#[test]
fn apply_refuses_an_instant_the_apis_clock_has_not_reached() {
    // A plan made 40 days ahead finds a key rotated 3 days ago due and the gap long past;
    // apply acts on the state as it is now, so it refuses rather than judge it by that day.
    let sandbox = TestSandbox::start(vec![account(PRODUCTION, 90, days_ago(3))]);
    let workspace = Workspace::new(
        "version: 1\ncloudflare:\n  accounts:\n    production:\n      account_id: 00000000000000000000000000000001\n      max_key_age: 30d\n",
    );
    let later = (at(NOW) + days(40)).to_string();
    let apply = sandbox
        .keyrot(&workspace.file())
        .args(["apply", "--auto-approve", "--now", &later])
        .output()
        .unwrap();
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("apply_error_now_not_yet", stderr(&apply));
    });
    assert!(sandbox.writes().is_empty(), "wrote: {:?}", sandbox.writes());
}

#[test]
fn a_sink_that_no_rotation_uses_is_not_checked_and_blocks_nothing() {
    // The key has no rule that rotates it, and its sink's directory does not exist: the
    // account's update goes ahead, and neither plan nor apply complains about the sink.
    let file = "\
version: 1
cloudflare:
  accounts:
    production:
      account_id: 00000000000000000000000000000001
      key_rotation_interval_days: 30
rixl:
  api_keys:
    ci-uploader:
      key_id: K1
      secret:
        file: missing/ci.key
";
    let sandbox = TestSandbox::with_keys(
        vec![account(PRODUCTION, 90, days_ago(10))],
        vec![rixl_key("K1", 40, 300)],
    );
    let workspace = Workspace::new(file);
    let plan = sandbox.run(&workspace.file(), &["plan"]);
    assert!(!stderr(&plan).contains("missing"), "{}", stderr(&plan));
    let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert_eq!(sandbox.writes().len(), 1, "{:?}", sandbox.writes());
}

#[test]
fn a_sink_named_by_a_bare_file_name_is_written_in_the_current_directory() {
    // `keyrot apply` in the directory of keyrot.yaml, whose sink is `ci.key`: the sink's
    // directory is the current one, checked and written there; the saved plan likewise.
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 40, 300)]);
    let workspace = Workspace::new(
        "version: 1\nrixl:\n  api_keys:\n    ci:\n      key_id: K1\n      max_key_age: 30d\n      secret: {file: ci.key}\n",
    );
    let in_workspace = |args: &[&str]| {
        let mut keyrot = sandbox.keyrot_anywhere();
        keyrot.current_dir(workspace.directory()).args(args);
        keyrot.output().unwrap()
    };
    let plan = in_workspace(&["--now", NOW, "plan", "--out", "plan.json"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let apply = in_workspace(&["--now", NOW, "apply", "plan.json"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let secret = std::fs::read_to_string(workspace.path("ci.key")).unwrap();
    assert_eq!(secret.trim_end(), sandbox.rixl_key("K1").unwrap().secret);
}

#[test]
fn replace_rotates_the_named_key_and_no_other() {
    // Both keys are young and not due: only --replace can rotate, and only k1.
    let sandbox = TestSandbox::with_keys(
        vec![account(&crate::harness::id(1), 90, days_ago(20))],
        vec![rixl_key("K1", 10, 300), rixl_key("K2", 10, 300)],
    );
    let workspace = Workspace::new(&format!(
        "version: 1\ncloudflare:\n  accounts:\n    production:\n      account_id: {}\n      \
         max_key_age: 60d\nrixl:\n  defaults:\n    max_key_age: 30d\n  api_keys:\n    k1:\n      \
         key_id: K1\n      secret: {{file: secrets/k1.key}}\n    k2:\n      key_id: K2\n      \
         secret: {{file: secrets/k2.key}}\n",
        crate::harness::id(1)
    ));
    let apply = sandbox.run(
        &workspace.file(),
        &["apply", "--auto-approve", "--replace", "k1"],
    );
    assert_eq!(apply.status.code(), Some(0), "{}", stdout(&apply));
    let rotations = sandbox.sandbox.counters().rotations;
    assert_eq!(
        rotations.keys().collect::<Vec<_>>(),
        ["K1"],
        "rotated beyond --replace k1: {rotations:?}"
    );
}
