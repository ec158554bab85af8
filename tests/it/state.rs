//! The lock, the journal and recovery, as operators meet them: applies racing on one machine, an
//! apply killed with -9 in the middle of RIXL rotations, SIGTERM with rotations in flight, and
//! the history of every write.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use keyrot::sandbox::Faults;
use keyrot::vendor::cloudflare::sandbox::SandboxAccount;
use keyrot::vendor::rixl::sandbox::SandboxKey;

use crate::harness::{
    NOW, TestSandbox, Workspace, account, days_ago, id, rixl_key, stderr, stdout,
};

/// `accounts` Cloudflare accounts and `keys` RIXL keys, every one due for rotation; each key's
/// secret goes to `secrets/kN.key`.
fn due_fleet(accounts: usize, keys: usize) -> (String, Vec<SandboxAccount>, Vec<SandboxKey>) {
    let mut file = String::from(
        "version: 1\nsettings:\n  max_rotations_per_apply: 1000\ncloudflare:\n  defaults:\n    \
         max_key_age: 30d\n  accounts:\n",
    );
    for n in 1..=accounts {
        file.push_str(&format!("    account-{n}:\n      account_id: {}\n", id(n)));
    }
    file.push_str("rixl:\n  defaults:\n    max_key_age: 30d\n  api_keys:\n");
    for n in 1..=keys {
        file.push_str(&format!(
            "    k{n}:\n      key_id: K{n}\n      secret:\n        file: secrets/k{n}.key\n"
        ));
    }
    let accounts = (1..=accounts)
        .map(|n| account(&id(n), 90, days_ago(60)))
        .collect();
    let keys = (1..=keys)
        .map(|n| rixl_key(&format!("K{n}"), 40, 300))
        .collect();
    (file, accounts, keys)
}

fn slow(latency_ms: u64) -> Faults {
    Faults {
        latency: Duration::from_millis(latency_ms),
        ..Faults::default()
    }
}

fn spawn(sandbox: &TestSandbox, file: &Path, args: &[&str]) -> Child {
    sandbox
        .keyrot(file)
        .args(["--now", NOW])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Rotations the sandbox performed, by the path's resource (account or key ID).
fn rotations(sandbox: &TestSandbox) -> std::collections::BTreeMap<String, usize> {
    sandbox.sandbox.counters().rotations
}

/// Every key's sink file holds the key's current secret.
fn assert_every_sink_is_current(sandbox: &TestSandbox, workspace: &Workspace, keys: usize) {
    for n in 1..=keys {
        let held = std::fs::read_to_string(workspace.path(&format!("secrets/k{n}.key")))
            .unwrap_or_default();
        let current = sandbox.rixl_key(&format!("K{n}")).unwrap().secret;
        assert_eq!(
            held.trim_end(),
            current,
            "secrets/k{n}.key holds a revoked secret"
        );
    }
}

#[test]
fn two_applies_at_once_rotate_every_key_once_and_the_loser_names_the_holder() {
    let (file, accounts, keys) = due_fleet(20, 6);
    let sandbox = TestSandbox::with_everything(accounts, keys, slow(50));
    let workspace = Workspace::new(&file);
    let first = spawn(&sandbox, &workspace.file(), &["apply", "--auto-approve"]);
    let second = spawn(&sandbox, &workspace.file(), &["apply", "--auto-approve"]);
    let outputs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    let codes: Vec<Option<i32>> = outputs.iter().map(|output| output.status.code()).collect();
    assert!(codes.contains(&Some(0)), "{codes:?}");
    let loser = outputs
        .iter()
        .find(|output| output.status.code() == Some(1))
        .unwrap_or_else(|| panic!("one apply must lose the lock: {codes:?}"));
    let message = stderr(loser);
    assert!(
        message.contains("another apply holds the lock"),
        "{message}"
    );
    assert!(
        message.contains("apply --auto-approve`, since"),
        "{message}"
    );
    let rotated = rotations(&sandbox);
    assert_eq!(rotated.len(), 26, "{rotated:?}");
    assert!(
        rotated.values().all(|&count| count == 1),
        "rotated twice: {rotated:?}"
    );
    assert_every_sink_is_current(&sandbox, &workspace, 6);
}

#[test]
fn an_apply_that_waits_for_the_lock_plans_afresh_and_finds_nothing_to_do() {
    let (file, accounts, keys) = due_fleet(10, 3);
    let sandbox = TestSandbox::with_everything(accounts, keys, slow(50));
    let workspace = Workspace::new(&file);
    let first = spawn(&sandbox, &workspace.file(), &["apply", "--auto-approve"]);
    sandbox.wait_for_a_request();
    let waiting = ["apply", "--auto-approve", "--lock-timeout", "1m"];
    let second = spawn(&sandbox, &workspace.file(), &waiting);
    let first = first.wait_with_output().unwrap();
    let second = second.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("Nothing to apply."),
        "{}",
        stdout(&second)
    );
    let rotated = rotations(&sandbox);
    assert!(
        rotated.values().all(|&count| count == 1),
        "rotated twice: {rotated:?}"
    );
    assert_every_sink_is_current(&sandbox, &workspace, 3);
}

/// One RIXL key whose sink command stops (touching `started`) while `block` exists, then writes
/// the secret to `secrets/k1.key`.
fn blocking_key(workspace_dir: &Path) -> String {
    let root = workspace_dir.display();
    format!(
        "version: 1\nrixl:\n  api_keys:\n    k1:\n      key_id: K1\n      max_key_age: 30d\n      \
         secret:\n        command: [\"sh\", \"-c\", \"if [ -e {root}/block ]; then touch \
         {root}/started; sleep 1; fi; cat > {root}/secrets/k1.key\"]\n"
    )
}

fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn run(sandbox: &TestSandbox, file: &Path, args: &[&str]) -> Output {
    sandbox.run(file, args)
}

#[test]
fn a_secret_lost_to_kill_9_is_found_by_the_next_plan_and_recovered_by_apply() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 40, 300)]);
    let workspace = Workspace::new("version: 1\n");
    std::fs::write(workspace.file(), blocking_key(workspace.directory())).unwrap();
    std::fs::write(workspace.path("block"), "").unwrap();
    let mut apply = spawn(&sandbox, &workspace.file(), &["apply", "--auto-approve"]);
    wait_for(&workspace.path("started"));
    apply.kill().unwrap();
    apply.wait().unwrap();
    std::fs::remove_file(workspace.path("block")).unwrap();

    let plan = run(
        &sandbox,
        &workspace.file(),
        &["plan", "--detailed-exitcode"],
    );
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));
    let shown = stdout(&plan);
    assert!(
        shown.contains("↻ rotate api key (recover lost secret)"),
        "{shown}"
    );
    assert!(shown.contains("recover a lost secret: run "), "{shown}");
    let metrics = workspace.path("keyrot.prom");
    let drift = run(
        &sandbox,
        &workspace.file(),
        &["drift", "--metrics-file", metrics.to_str().unwrap()],
    );
    assert_eq!(drift.status.code(), Some(2), "{}", stdout(&drift));
    let exposition = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        exposition.contains("\nkeyrot_lost_secrets 1\n"),
        "{exposition}"
    );

    let apply = run(&sandbox, &workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stdout(&apply));
    assert_every_sink_is_current(&sandbox, &workspace, 1);
    // The killed apply's sink command died with it: it never writes the lost secret over the
    // recovered one.
    std::thread::sleep(Duration::from_millis(1500));
    assert_every_sink_is_current(&sandbox, &workspace, 1);
    let after = run(
        &sandbox,
        &workspace.file(),
        &["plan", "--detailed-exitcode"],
    );
    assert_eq!(after.status.code(), Some(0), "{}", stdout(&after));

    let history = run(
        &sandbox,
        &workspace.file(),
        &["history", "--format", "json"],
    );
    assert_eq!(history.status.code(), Some(0), "{}", stderr(&history));
    let document: serde_json::Value = serde_json::from_str(&stdout(&history)).unwrap();
    let writes = document["writes"].as_array().unwrap();
    assert_eq!(writes.len(), 2, "{document:#}");
    assert_eq!(
        writes[0]["outcome"]["type"], "secret_delivered",
        "newest first"
    );
    assert_eq!(writes[1]["outcome"]["type"], "secret_lost");
    assert_ne!(
        writes[1]["outcome_recorded_by"], writes[1]["run_id"],
        "settled by a later run"
    );
}

#[test]
fn sigterm_with_a_rotation_in_flight_delivers_its_secret_and_starts_nothing_new() {
    let keys = vec![rixl_key("K1", 40, 300), rixl_key("K2", 40, 300)];
    let sandbox = TestSandbox::with_keys(Vec::new(), keys);
    let workspace = Workspace::new("version: 1\n");
    let mut file = blocking_key(workspace.directory());
    file.push_str("    k2:\n      key_id: K2\n      max_key_age: 30d\n      secret:\n        file: secrets/k2.key\n");
    std::fs::write(workspace.file(), file).unwrap();
    std::fs::write(workspace.path("block"), "").unwrap();
    let apply = spawn(
        &sandbox,
        &workspace.file(),
        &["--parallelism", "1", "apply", "--auto-approve"],
    );
    wait_for(&workspace.path("started"));
    let terminated = Command::new("kill")
        .args(["-TERM", &apply.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let output = apply.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(143), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("SIGTERM: no new actions will start"),
        "{}",
        stderr(&output)
    );
    let report = stdout(&output);
    assert!(report.contains("k1: ↻ rotate api key"), "{report}");
    assert!(report.contains("new secret delivered"), "{report}");
    assert!(report.contains("k2: ↻ rotate api key: new secret -> file secrets/k2.key: not started: stopped by SIGTERM"), "{report}");
    let held = std::fs::read_to_string(workspace.path("secrets/k1.key")).unwrap();
    assert_eq!(held, sandbox.rixl_key("K1").unwrap().secret);
    let plan = run(&sandbox, &workspace.file(), &["plan"]);
    assert!(
        !stdout(&plan).contains("recover lost secret"),
        "{}",
        stdout(&plan)
    );
}

#[test]
fn history_lists_every_write_newest_first_in_both_formats() {
    let (file, accounts, keys) = due_fleet(2, 1);
    let sandbox = TestSandbox::with_everything(accounts, keys, Faults::default());
    let workspace = Workspace::new(&file);
    let empty = run(&sandbox, &workspace.file(), &["history"]);
    assert_eq!(stdout(&empty), "No writes recorded.\n");
    let typo = run(
        &sandbox,
        &workspace.file(),
        &["history", "--resource", "acount-1"],
    );
    assert_eq!(typo.status.code(), Some(1));
    assert!(
        stderr(&typo).contains("unknown --resource acount-1"),
        "{}",
        stderr(&typo)
    );
    let apply = run(&sandbox, &workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));

    let human = run(
        &sandbox,
        &workspace.file(),
        &["history", "--color", "never"],
    );
    assert_eq!(human.status.code(), Some(0), "{}", stderr(&human));
    let text = stdout(&human);
    for resource in ["account-1", "account-2", "k1"] {
        assert!(
            text.contains(&format!("  {resource}  rotate: done")),
            "{text}"
        );
    }
    assert!(
        text.contains("new secret delivered to file secrets/k1.key"),
        "{text}"
    );
    assert!(text.contains("apply --auto-approve"), "{text}");
    assert!(
        text.contains("reason: key is 60 days old (max_key_age 30d)"),
        "{text}"
    );

    let only = run(
        &sandbox,
        &workspace.file(),
        &["history", "--resource", "k1", "--format", "json"],
    );
    let document: serde_json::Value = serde_json::from_str(&stdout(&only)).unwrap();
    let writes = document["writes"].as_array().unwrap();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0]["resource"], "k1");
    assert_eq!(writes[0]["action"]["type"], "rotate");
    let all = stdout(&run(
        &sandbox,
        &workspace.file(),
        &["history", "--format", "json"],
    ));
    assert!(!all.contains("rxl_"), "no secret in the history: {all}");
    let journal = std::fs::read_to_string(workspace.path(".keyrot/journal.jsonl")).unwrap();
    assert!(!journal.contains("rxl_"), "no secret in the journal");
}

#[test]
fn an_apply_whose_lock_file_is_removed_starts_no_write_after_that() {
    let sandbox = TestSandbox::with_keys(
        Vec::new(),
        vec![rixl_key("K1", 40, 300), rixl_key("K2", 40, 300)],
    );
    let workspace = Workspace::new("version: 1\n");
    let root = workspace.directory().display().to_string();
    let file = format!(
        "version: 1\nrixl:\n  defaults:\n    max_key_age: 30d\n  api_keys:\n    k1:\n      \
         key_id: K1\n      secret:\n        command: [\"sh\", \"-c\", \"touch {root}/started; \
         while [ ! -e {root}/release ]; do sleep 0.05; done; cat > {root}/secrets/k1.key\"]\n    \
         k2:\n      key_id: K2\n      secret:\n        file: secrets/k2.key\n"
    );
    std::fs::write(workspace.file(), file).unwrap();
    let apply = spawn(
        &sandbox,
        &workspace.file(),
        &["--parallelism", "1", "apply", "--auto-approve"],
    );
    let started = workspace.path("started");
    crate::harness::wait_until("k1's sink runs", || started.exists());
    // A cleanup removes `.keyrot/` under the running apply: a second apply could now lock a
    // new file.
    std::fs::remove_file(workspace.path(".keyrot/lock")).unwrap();
    std::fs::write(workspace.path("release"), "").unwrap();
    let apply = apply.wait_with_output().unwrap();
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    assert!(
        stderr(&apply).contains("was removed or replaced while this apply held it"),
        "{}",
        stderr(&apply)
    );
    let rotated = rotations(&sandbox);
    assert_eq!(
        rotated.get("K2"),
        None,
        "written after the lock was lost: {rotated:?}"
    );
    assert_eq!(
        std::fs::read_to_string(workspace.path("secrets/k1.key"))
            .unwrap()
            .trim_end(),
        sandbox.rixl_key("K1").unwrap().secret,
        "the rotation in flight was settled"
    );
}

/// A journal whose second line is damaged, between a lost secret's intent and its outcome.
fn journal_with_a_damaged_line() -> String {
    let intent = r#"{"run_id":"r1","at":"2026-11-20T12:00:00Z","record":"intent","seq":1,"resource":"k1","vendor":"rixl","id":"K1","action":{"type":"rotate"},"observed_last_rotation":"2026-10-15T12:00:00Z","issues_secret":true,"reason":"key is 36 days old","by":"ops@ci","command":"keyrot apply"}"#;
    let lost = r#"{"run_id":"r1","at":"2026-11-20T12:00:01Z","record":"outcome","intent_run":"r1","intent_seq":1,"outcome":{"type":"secret_lost","last_rotation":null,"reason":"killed"}}"#;
    format!("{intent}\n{{\"run_id\":\"r1\",\"at\n{lost}\n")
}

#[test]
fn a_damaged_journal_line_is_skipped_reported_and_repaired_without_forgetting_a_lost_secret() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 4, 300)]);
    let workspace = Workspace::new(
        "version: 1\nrixl:\n  api_keys:\n    k1:\n      key_id: K1\n      max_key_age: 30d\n      \
         secret: {file: secrets/k1.key}\n",
    );
    std::fs::create_dir_all(workspace.path(".keyrot")).unwrap();
    let journal = workspace.path(".keyrot/journal.jsonl");
    std::fs::write(&journal, journal_with_a_damaged_line()).unwrap();

    let plan = run(&sandbox, &workspace.file(), &["plan"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    assert!(
        stdout(&plan).contains("recover lost secret"),
        "{}",
        stdout(&plan)
    );
    assert!(
        stderr(&plan).contains("journal.jsonl line 2 is damaged and was skipped"),
        "{}",
        stderr(&plan)
    );

    let verify = run(&sandbox, &workspace.file(), &["journal", "verify"]);
    assert_eq!(verify.status.code(), Some(1), "{}", stderr(&verify));
    let shown = stdout(&verify);
    assert!(shown.contains("Lost secrets: 1"), "{shown}");
    assert!(shown.contains("  k1: lost by run r1"), "{shown}");
    assert!(shown.contains("  journal.jsonl line 2: "), "{shown}");

    let repair = run(&sandbox, &workspace.file(), &["journal", "repair"]);
    assert_eq!(repair.status.code(), Some(0), "{}", stderr(&repair));
    assert!(
        stdout(&repair).contains("Moved 1 damaged record to"),
        "{}",
        stdout(&repair)
    );
    let aside = std::fs::read_to_string(workspace.path(".keyrot/journal.damaged.jsonl")).unwrap();
    assert_eq!(aside, "{\"run_id\":\"r1\",\"at\n");
    let verify = run(&sandbox, &workspace.file(), &["journal", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
    assert!(stdout(&verify).contains("Lost secrets: 1"));
    let plan = run(&sandbox, &workspace.file(), &["plan"]);
    assert!(stdout(&plan).contains("recover lost secret"));
    assert!(stderr(&plan).is_empty(), "{}", stderr(&plan));
}

#[test]
fn an_apply_killed_while_its_rotate_is_in_flight_leaves_an_intent_the_next_run_settles() {
    // The sandbox rotates, then holds the answer: keyrot is killed with the rotate in flight.
    // Only an intent made durable before the request lets the next run know a secret was
    // issued and never received.
    let sandbox = TestSandbox::with_everything(
        Vec::new(),
        vec![rixl_key("K1", 40, 300)],
        Faults {
            rotate_then_hang: true,
            ..Faults::default()
        },
    );
    let workspace = Workspace::new(
        "version: 1\nrixl:\n  api_keys:\n    k1:\n      key_id: K1\n      max_key_age: 30d\n      \
         secret: {file: secrets/k1.key}\n",
    );
    let mut apply = spawn(&sandbox, &workspace.file(), &["apply", "--auto-approve"]);
    crate::harness::wait_until("the sandbox rotated K1", || {
        sandbox.sandbox.counters().rotations.contains_key("K1")
    });
    apply.kill().unwrap();
    apply.wait().unwrap();
    sandbox.sandbox.set_faults(Faults::default());

    let plan = run(
        &sandbox,
        &workspace.file(),
        &["plan", "--detailed-exitcode"],
    );
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));
    assert!(
        stdout(&plan).contains("↻ rotate api key (recover lost secret)"),
        "{}",
        stdout(&plan)
    );
}

/// A RIXL key whose sink command `sink` (shell words) runs, on the local backend.
fn one_key_with_sink(root: &Path, sink: &str) -> String {
    format!(
        "version: 1\nrixl:\n  api_keys:\n    k1:\n      key_id: K1\n      max_key_age: 30d\n      \
         secret:\n        command: [\"sh\", \"-c\", \"{sink}\"]\n        env: [ROOT]\n"
    )
    .replace("ROOT_DIR", &root.display().to_string())
}

/// Sink files for one key: one that refuses every secret, one that takes it.
struct Sinks {
    refusing: String,
    working: String,
}

/// One due RIXL key applied through a refusing sink: its new secret waits in a recovery file.
fn a_secret_left_waiting() -> (TestSandbox, Workspace, Sinks) {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 40, 300)]);
    let workspace = Workspace::new("version: 1\n");
    let sinks = Sinks {
        refusing: one_key_with_sink(workspace.directory(), "cat >/dev/null; exit 3"),
        working: one_key_with_sink(workspace.directory(), "cat > ROOT_DIR/secrets/k1.key"),
    };
    std::fs::write(workspace.file(), &sinks.refusing).unwrap();
    let apply = run(&sandbox, &workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    assert_eq!(workspace.recovered().len(), 1);
    (sandbox, workspace, sinks)
}

#[test]
fn a_secret_waiting_in_a_recovery_file_stays_visible_until_delivered() {
    let (sandbox, workspace, sinks) = a_secret_left_waiting();

    let plan = run(&sandbox, &workspace.file(), &["plan"]);
    assert!(
        stdout(&plan).contains(
            "No changes to the live state, but 1 new secret waits in recovery files for its \
             sinks (see above): `keyrot apply` delivers it."
        ),
        "{}",
        stdout(&plan)
    );
    assert!(
        stderr(&plan).contains("k1: a new secret has waited in"),
        "{}",
        stderr(&plan)
    );
    let metrics = workspace.path("keyrot.prom");
    let drift = run(
        &sandbox,
        &workspace.file(),
        &["drift", "--metrics-file", metrics.to_str().unwrap()],
    );
    assert_eq!(drift.status.code(), Some(2), "{}", stdout(&drift));
    assert!(
        stdout(&drift).contains("1 new secret waits in recovery files"),
        "{}",
        stdout(&drift)
    );
    let exposition = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        exposition.contains("\nkeyrot_secrets_awaiting_delivery 1\n"),
        "{exposition}"
    );

    // Fixed, the sink takes the waiting secret: no rotation, no recovery file left.
    std::fs::write(workspace.file(), &sinks.working).unwrap();
    let deliver = run(&sandbox, &workspace.file(), &["deliver", "k1"]);
    assert_eq!(deliver.status.code(), Some(0), "{}", stderr(&deliver));
    assert!(workspace.recovered().is_empty());
    assert_every_sink_is_current(&sandbox, &workspace, 1);
    let drift = run(&sandbox, &workspace.file(), &["drift"]);
    assert_eq!(drift.status.code(), Some(0), "{}", stdout(&drift));
    assert_eq!(sandbox.sandbox.counters().rotations.get("K1"), Some(&1));
}

#[test]
fn a_waiting_secret_of_a_key_rotated_again_since_is_never_delivered() {
    let (sandbox, workspace, sinks) = a_secret_left_waiting();
    // Someone rotates the key while its secret waits: the file's secret is revoked.
    let later = crate::harness::now() + crate::harness::days(1);
    sandbox.rixl().rotate(None, "K1", later);
    std::fs::write(workspace.path("secrets/k1.key"), "untouched\n").unwrap();
    std::fs::write(workspace.file(), &sinks.working).unwrap();
    let deliver = run(&sandbox, &workspace.file(), &["deliver", "k1"]);
    assert_eq!(deliver.status.code(), Some(1), "{}", stdout(&deliver));
    assert!(
        stderr(&deliver).contains("the key was rotated again since this secret was issued"),
        "{}",
        stderr(&deliver)
    );
    let held = std::fs::read_to_string(workspace.path("secrets/k1.key")).unwrap();
    assert_eq!(held, "untouched\n", "a revoked secret reached the sink");
    assert!(workspace.recovered().is_empty());
    let plan = run(&sandbox, &workspace.file(), &["plan"]);
    assert!(
        stdout(&plan).contains("recover lost secret"),
        "{}",
        stdout(&plan)
    );
}

#[test]
fn apply_delivers_a_waiting_secret_and_a_deleted_recovery_file_is_a_lost_secret() {
    let (sandbox, workspace, sinks) = a_secret_left_waiting();
    std::fs::write(workspace.file(), &sinks.working).unwrap();
    let apply = run(&sandbox, &workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert!(
        stderr(&apply).contains("was delivered to its sink"),
        "{}",
        stderr(&apply)
    );
    assert_every_sink_is_current(&sandbox, &workspace, 1);
    assert_eq!(sandbox.sandbox.counters().rotations.get("K1"), Some(&1));

    // Refused again, and this time the recovery file is deleted: the secret is lost.
    std::fs::write(workspace.file(), &sinks.refusing).unwrap();
    let args = [
        "apply",
        "--auto-approve",
        "--replace",
        "k1",
        "--allow-rapid-rotation",
    ];
    run(&sandbox, &workspace.file(), &args);
    assert_eq!(workspace.recovered().len(), 1);
    for file in workspace.recovered() {
        std::fs::remove_file(file).unwrap();
    }
    let plan = run(&sandbox, &workspace.file(), &["plan"]);
    assert!(
        stdout(&plan).contains("recover lost secret"),
        "{}",
        stdout(&plan)
    );
}

#[test]
fn a_lost_secret_whose_intent_record_is_damaged_is_still_found() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 4, 300)]);
    let workspace = Workspace::new(
        "version: 1\nrixl:\n  api_keys:\n    k1:\n      key_id: K1\n      max_key_age: 30d\n      \
         secret: {file: secrets/k1.key}\n",
    );
    std::fs::create_dir_all(workspace.path(".keyrot")).unwrap();
    let lost = r#"{"run_id":"r1","at":"2026-11-20T12:00:01Z","record":"outcome","intent_run":"r1","intent_seq":1,"resource":"k1","outcome":{"type":"secret_lost","last_rotation":null,"reason":"killed"}}"#;
    let journal = format!("{{\"run_id\":\"r1\",\"record\":\"inte\n{lost}\n");
    std::fs::write(workspace.path(".keyrot/journal.jsonl"), journal).unwrap();
    let plan = run(
        &sandbox,
        &workspace.file(),
        &["plan", "--detailed-exitcode"],
    );
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));
    assert!(
        stdout(&plan).contains("recover lost secret"),
        "{}",
        stdout(&plan)
    );
    let repair = run(&sandbox, &workspace.file(), &["journal", "repair"]);
    assert_eq!(repair.status.code(), Some(0), "{}", stderr(&repair));
    assert!(stdout(&repair).contains("(1)"), "{}", stdout(&repair));
}

#[test]
fn apply_never_rotates_a_key_whose_previous_secret_still_waits_for_its_sink() {
    let (sandbox, workspace, _) = a_secret_left_waiting();
    let args = [
        "apply",
        "--auto-approve",
        "--replace",
        "k1",
        "--allow-rapid-rotation",
    ];
    let again = run(&sandbox, &workspace.file(), &args);
    assert_eq!(again.status.code(), Some(1), "{}", stdout(&again));
    assert!(
        stderr(&again).contains("k1: a new secret still waits in a recovery file"),
        "{}",
        stderr(&again)
    );
    assert_eq!(sandbox.sandbox.counters().rotations.get("K1"), Some(&1));
    assert_eq!(workspace.recovered().len(), 1);
}

#[test]
fn a_dead_runs_open_writes_are_settled_several_at_once_within_parallelism_and_one_list_pass() {
    // 8 accounts and 150 keys (two list pages), each with a rotate a killed run left open.
    // The sandbox answers nothing until 4 requests are in flight at once: settling one write
    // at a time would wait forever.
    let (file, accounts, keys) = due_fleet(8, 150);
    let faults = Faults {
        gather: 4,
        ..Faults::default()
    };
    let sandbox = TestSandbox::with_everything(accounts, keys, faults);
    let workspace = Workspace::new(&file);
    let accounts = (1..=8).map(|n| (format!("account-{n}"), "cloudflare", id(n), false));
    let keys = (1..=150).map(|n| (format!("k{n}"), "rixl", format!("K{n}"), true));
    std::fs::create_dir_all(workspace.path(".keyrot")).unwrap();
    let journal = crate::harness::open_rotations(&accounts.chain(keys).collect::<Vec<_>>());
    std::fs::write(workspace.path(".keyrot/journal.jsonl"), journal).unwrap();

    // Output to files, not pipes nobody reads while waiting; a plan that sends one request at
    // a time never finishes, and is stopped after the harness's 30 seconds.
    let shown = workspace.path("plan.out");
    let mut plan = sandbox
        .keyrot(&workspace.file())
        .args(["--now", NOW, "--parallelism", "4", "plan"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&shown).unwrap())
        .stderr(std::fs::File::create(workspace.path("plan.err")).unwrap())
        .spawn()
        .unwrap();
    let exited =
        crate::harness::exit_within_30s(&mut plan, "the plan settles the writes and exits");
    let errors = std::fs::read_to_string(workspace.path("plan.err")).unwrap();
    assert_eq!(exited.code(), Some(0), "{errors}");
    let shown = std::fs::read_to_string(shown).unwrap();
    assert_eq!(
        shown.matches("(recover lost secret)").count(),
        150,
        "{shown}"
    );
    assert!(sandbox.sandbox.counters().most_in_flight <= 4);
    // One list pass settles every key (the checks made at once wait for it), one plans.
    let rixl_pages = sandbox
        .requests()
        .iter()
        .filter(|request| request.method == "GET" && !request.path.starts_with("/client/v4"))
        .count();
    assert_eq!(rixl_pages, 2 * 2, "two list passes of two pages");
}

#[test]
fn history_in_both_formats() {
    let (file, accounts, keys) = due_fleet(2, 1);
    let sandbox = TestSandbox::with_everything(accounts, keys, Faults::default());
    let workspace = Workspace::new(&file);
    // One resource at a time: the journal's order, and so the history's, is the file's.
    let args = ["apply", "--auto-approve", "--parallelism", "1"];
    let apply = run(&sandbox, &workspace.file(), &args);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let mut settings = crate::harness::snapshot_settings();
    settings.add_filter(r"\b[0-9a-f]{12}\b", "RUN");
    settings.add_filter(r"by [^\s:]+@[^\s:]+:", "by USER@HOST:");
    settings.add_filter(r#""by": "[^"]+""#, r#""by": "USER@HOST""#);
    settings.add_filter(
        r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?Z| UTC)",
        "INSTANT",
    );
    for (format, snapshot) in [("human", "history_human"), ("json", "history_json")] {
        let history = run(
            &sandbox,
            &workspace.file(),
            &["history", "--color", "never", "--format", format],
        );
        assert_eq!(history.status.code(), Some(0), "{}", stderr(&history));
        settings.bind(|| insta::assert_snapshot!(snapshot, stdout(&history)));
    }
}
