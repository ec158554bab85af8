//! RIXL API keys end to end: rotation into each sink kind, sink failures before and after a
//! rotate with the recovery path, secrets never printed, pagination, both route families.

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use keyrot::sandbox::Faults;
use keyrot::vendor::rixl::sandbox::SandboxKey;

use crate::harness::{
    NOW, TestSandbox, Workspace, assert_never_shown, mode, rixl_key, stderr, stdout,
};

/// Keys named `k1`, `k2`… with key IDs `K1`, `K2`…, each with max_key_age 30d and the given
/// sink text (YAML flow mapping).
fn keys_file(api: &str, sinks: &[&str]) -> String {
    let mut file =
        format!("version: 1\nrixl:\n{api}  defaults:\n    max_key_age: 30d\n  api_keys:\n");
    for (index, sink) in sinks.iter().enumerate() {
        let n = index + 1;
        file.push_str(&format!(
            "    k{n}:\n      key_id: K{n}\n      secret: {sink}\n"
        ));
    }
    file
}

fn secret_of(sandbox: &TestSandbox, key_id: &str) -> String {
    sandbox.rixl_key(key_id).unwrap().secret
}

fn everything_printed(outputs: &[&Output]) -> String {
    outputs
        .iter()
        .map(|output| format!("{}{}", stdout(output), stderr(output)))
        .collect()
}

#[test]
fn a_due_key_is_rotated_into_its_file_with_mode_0600() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 40, 300)]);
    let workspace = Workspace::new(&keys_file("", &["{file: secrets/k1.key}"]));
    let plan = sandbox.run(&workspace.file(), &["plan"]);
    assert!(
        stdout(&plan).contains("↻ rotate api key: new secret -> file secrets/k1.key"),
        "{}",
        stdout(&plan)
    );
    let apply = sandbox.run(&workspace.file(), &["-v", "apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let secret = secret_of(&sandbox, "K1");
    let written = workspace.path("secrets/k1.key");
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        format!("{secret}\n")
    );
    assert_eq!(mode(&written), 0o600);
    let again = sandbox.run(&workspace.file(), &["plan", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    let printed = everything_printed(&[&plan, &apply, &again]);
    assert!(!printed.contains(&secret), "the new secret was printed");
    assert!(
        !printed.contains("rxl_"),
        "a secret-like value was printed:\n{printed}"
    );
}

#[test]
fn a_command_sink_gets_the_secret_on_stdin() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 40, 300)]);
    let workspace = Workspace::new("");
    let out = workspace.path("secrets/from-command");
    let sink = format!("{{command: [sh, -c, 'cat > {}']}}", out.display());
    std::fs::write(workspace.file(), keys_file("", &[&sink])).unwrap();
    let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        secret_of(&sandbox, "K1")
    );
    // The command runs with umask 077: what it creates is its user's alone.
    assert_eq!(mode(&out), 0o600);
}

#[test]
fn an_unusable_sink_refuses_the_run_before_any_rotate() {
    let sandbox = TestSandbox::with_keys(
        Vec::new(),
        vec![
            rixl_key("K1", 40, 300),
            rixl_key("K2", 40, 300),
            rixl_key("K3", 40, 300),
        ],
    );
    let workspace = Workspace::new(&keys_file(
        "",
        &[
            "{file: missing/k1.key}",
            "{file: read-only/k2.key}",
            "{command: [keyrot-no-such-program]}",
        ],
    ));
    let read_only = workspace.path("read-only");
    std::fs::create_dir(&read_only).unwrap();
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o555)).unwrap();
    let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(1));
    let error = stderr(&apply);
    assert!(
        error.contains(
            "refusing to apply: secret sinks cannot take a new secret, so no key was rotated"
        ),
        "{error}"
    );
    assert!(
        error.contains("k1: file missing/k1.key: directory") && error.contains("does not exist"),
        "{error}"
    );
    assert!(
        error.contains("k2: file read-only/k2.key: directory") && error.contains("is read-only"),
        "{error}"
    );
    assert!(
        error.contains(
            "k3: command keyrot-no-such-program: program `keyrot-no-such-program` is not on PATH"
        ),
        "{error}"
    );
    assert_eq!(sandbox.posts(), 0);
}

#[test]
fn a_sink_failing_after_the_rotate_leaves_the_secret_in_a_recovery_file() {
    // After the checks passed, k1's command removes k2's directory and makes k4's read-only;
    // k3's command fails by itself.
    let sandbox = TestSandbox::with_keys(
        Vec::new(),
        vec![
            rixl_key("K1", 40, 300),
            rixl_key("K2", 40, 300),
            rixl_key("K3", 40, 300),
            rixl_key("K4", 40, 300),
        ],
    );
    let workspace = Workspace::new("");
    std::fs::create_dir(workspace.path("later-read-only")).unwrap();
    let breaks = format!(
        "{{command: [sh, -c, 'cat > /dev/null; rm -r {}; chmod 555 {}']}}",
        workspace.path("secrets").display(),
        workspace.path("later-read-only").display()
    );
    let fails = "{command: [sh, -c, 'cat > /dev/null; echo vault sealed >&2; exit 2']}";
    let sinks = [
        breaks.as_str(),
        "{file: secrets/k2.key}",
        fails,
        "{file: later-read-only/k4.key}",
    ];
    std::fs::write(workspace.file(), keys_file("", &sinks)).unwrap();

    let apply = sandbox.run(
        &workspace.file(),
        &["--parallelism", "1", "apply", "--auto-approve"],
    );
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    let report = stdout(&apply);
    let recovered = workspace.recovered();
    assert_eq!(recovered.len(), 3, "{report}");
    for (key_id, fragment) in [
        ("K2", "does not exist"),
        ("K3", "exited with status 2: vault sealed"),
        ("K4", "is read-only"),
    ] {
        let secret = secret_of(&sandbox, key_id);
        let file = recovered
            .iter()
            .find(|path| std::fs::read_to_string(path).unwrap() == format!("{secret}\n"))
            .unwrap_or_else(|| panic!("no recovery file holds {key_id}'s secret"));
        assert_eq!(mode(file), 0o600);
        assert!(report.contains(&file.display().to_string()), "{report}");
        assert!(report.contains(fragment), "{report}");
        assert!(!report.contains(&secret));
    }
    assert!(report.contains("the key was rotated, but its new secret could not be delivered"));
    assert!(report.contains(
        "the old secret no longer works: fix the sink, then `keyrot deliver k2` (or `keyrot \
             apply`) delivers it from there"
    ));
    assert_eq!(sandbox.posts(), 4, "each key rotated exactly once");
}

#[test]
fn a_lost_rotate_answer_says_plainly_that_a_secret_was_issued_and_lost() {
    let faults = Faults {
        rotate_then_drop_rate: 1.0,
        ..Faults::default()
    };
    let sandbox = TestSandbox::with_everything(Vec::new(), vec![rixl_key("K1", 40, 300)], faults);
    let workspace = Workspace::new(&keys_file("", &["{file: secrets/k1.key}"]));
    let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(1));
    let report = stdout(&apply);
    assert!(
        report.contains(
            "so a new secret was issued and never received: the old secret no longer works"
        ),
        "{report}"
    );
    assert!(
        report.contains("the next `keyrot apply` rotates the key again to recover it"),
        "{report}"
    );
    assert_eq!(sandbox.posts(), 1, "the rotate was not sent again");
    assert!(!workspace.path("secrets/k1.key").exists());

    // The advice works: the next plan recovers the key at once, though it was just rotated.
    sandbox.sandbox.set_faults(Faults::default());
    let plan = sandbox.run(&workspace.file(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(2), "{}", stdout(&plan));
    assert!(
        stdout(&plan).contains("(recover lost secret)"),
        "{}",
        stdout(&plan)
    );
    let recover = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(recover.status.code(), Some(0), "{}", stdout(&recover));
    let held = std::fs::read_to_string(workspace.path("secrets/k1.key")).unwrap();
    assert_eq!(held.trim_end(), sandbox.rixl_key("K1").unwrap().secret);
}

#[test]
fn listing_follows_pages_until_total() {
    let keys: Vec<SandboxKey> = (1..=250)
        .map(|n| rixl_key(&format!("K{n}"), 10, 300))
        .collect();
    let sandbox = TestSandbox::with_keys(Vec::new(), keys);
    let file = "version: 1\nrixl:\n  api_keys:\n    first:\n      key_id: K1\n      secret: {file: secrets/a}\n    middle:\n      key_id: K120\n      secret: {file: secrets/b}\n    last:\n      key_id: K250\n      secret: {file: secrets/c}\n";
    let workspace = Workspace::new(file);
    let plan = sandbox.run(&workspace.file(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let lists: Vec<String> = sandbox
        .requests()
        .into_iter()
        .filter(|request| request.method == "GET")
        .map(|request| request.path)
        .collect();
    assert_eq!(lists.len(), 3, "{lists:?}");
}

#[test]
fn the_v1_routes_with_an_exchanged_token() {
    let sandbox = TestSandbox::with_keys(
        Vec::new(),
        vec![
            SandboxKey {
                org_id: "ORother".to_owned(),
                ..rixl_key("K1", 40, 300)
            },
            SandboxKey {
                org_id: "ORmine".to_owned(),
                ..rixl_key("K1", 40, 300)
            },
        ],
    );
    let workspace = Workspace::new(&keys_file(
        "  api: v1\n  org_id: ORmine\n",
        &["{file: secrets/k1.key}"],
    ));
    let exchange_key = sandbox.credentials().rixl_api_key;
    let apply = sandbox
        .keyrot(&workspace.file())
        .env_remove("RIXL_API_TOKEN")
        .env("RIXL_API_KEY", exchange_key)
        .args(["--now", NOW, "apply", "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let paths: Vec<String> = sandbox
        .requests()
        .into_iter()
        .map(|request| format!("{} {}", request.method, request.path))
        .collect();
    assert_eq!(
        paths,
        [
            "POST /platform/auth/v1/token",
            // one list pass, after the lock: the check before the rotate reads it, since RIXL
            // has no read of one key
            "GET /organizations/ORmine/api-keys/v1",
            "POST /organizations/ORmine/api-keys/v1/K1/rotate",
        ]
    );
    let other = sandbox.rixl_key("K1").unwrap();
    assert_eq!(other.org_id, "ORother");
    assert_eq!(
        other.secret, "rxl_seeded-secret-of-K1",
        "the other organization's key was untouched"
    );
    let written = std::fs::read_to_string(workspace.path("secrets/k1.key")).unwrap();
    assert!(written.starts_with("rxl_"));
    assert_never_shown(&apply, written.trim());
    assert!(!everything_printed(&[&apply]).contains(exchange_key));
}

#[test]
fn a_key_missing_live_is_an_error_naming_it() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 10, 300)]);
    let workspace = Workspace::new(&keys_file("", &["{file: a}", "{file: b}"]));
    let plan = sandbox.run(&workspace.file(), &["plan"]);
    assert_eq!(plan.status.code(), Some(1));
    assert_eq!(
        stderr(&plan).trim(),
        "error: rixl api key \"k2\" (K2): not found among the 1 key RIXL listed; check key_id\n\
         error: 1 of 2 resources could not be read and was left out of this plan; the rest was \
         planned"
    );
    assert!(
        stdout(&plan).contains("This plan covers 1 of 2 resources: 1 could not be read."),
        "{}",
        stdout(&plan)
    );
}

#[test]
fn a_key_expiring_within_14_days_is_a_warning() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 5, 6)]);
    let workspace = Workspace::new(&keys_file("", &["{file: secrets/k1.key}"]));
    let plan = sandbox.run(&workspace.file(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0));
    assert!(
        stdout(&plan).contains("⚠ warning: the key expires on 2026-11-30 12:00 UTC, in 6 days"),
        "{}",
        stdout(&plan)
    );
}

#[test]
fn a_refused_token_shows_rixls_error_body() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 5, 300)]);
    let workspace = Workspace::new(&keys_file("", &["{file: a}"]));
    let plan = sandbox
        .keyrot(&workspace.file())
        .env("RIXL_API_TOKEN", "not-the-token")
        .arg("plan")
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(1));
    assert_eq!(
        stderr(&plan).trim(),
        "error: RIXL: the API refused the credentials (HTTP 401: code 16: unauthenticated: missing or invalid bearer token); check RIXL_API_TOKEN and what it may access. Reading from RIXL stopped there: 1 api key not read"
    );
}

#[test]
fn a_failed_rotate_shows_its_status_and_code_never_its_message() {
    let faults = Faults {
        error_rate: 1.0,
        target: keyrot::sandbox::FaultTarget::Rotates,
        ..Faults::default()
    };
    let sandbox = TestSandbox::with_everything(Vec::new(), vec![rixl_key("K1", 40, 300)], faults);
    let workspace = Workspace::new(&keys_file("", &["{file: secrets/k1.key}"]));
    let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(1));
    let report = stdout(&apply);
    assert!(report.contains("HTTP 503"), "{report}");
    assert!(
        report.contains("a rotate's error message is not shown"),
        "{report}"
    );
}

#[test]
fn a_file_sink_that_no_delivery_can_serve_is_refused_before_any_rotate() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 40, 300)]);
    let refused = |sink: &str, why: &str, prepare: &dyn Fn(&Workspace)| {
        let workspace = Workspace::new(&keys_file("", &[sink]));
        prepare(&workspace);
        let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
        assert_eq!(apply.status.code(), Some(1), "{sink}: {}", stdout(&apply));
        assert!(stderr(&apply).contains(why), "{sink}: {}", stderr(&apply));
        assert_eq!(sandbox.posts(), 0, "{sink}: rotated");
    };
    refused("{file: link.key}", "is a symbolic link", &|workspace| {
        std::fs::write(workspace.path("real.key"), "old\n").unwrap();
        std::os::unix::fs::symlink(workspace.path("real.key"), workspace.path("link.key")).unwrap();
    });
    refused("{file: /dev/null}", "not a regular file", &|_| {});
    refused("{file: keyrot.yaml}", "the desired-state file", &|_| {});
    refused(
        "{file: .keyrot/k.key}",
        "inside keyrot's state directory",
        &|workspace| {
            std::fs::create_dir(workspace.path(".keyrot")).unwrap();
        },
    );
}

#[test]
fn two_spellings_of_one_sink_file_are_one_file() {
    let workspace = Workspace::new(&keys_file(
        "",
        &[
            "{file: secrets/k.key}",
            "{file: secrets/../secrets/./k.key}",
        ],
    ));
    let output = sandbox_free_validate(&workspace);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("API keys `k1` and `k2` both write their secret"),
        "{}",
        stderr(&output)
    );
}

fn sandbox_free_validate(workspace: &Workspace) -> Output {
    crate::harness::keyrot_command()
        .arg("-f")
        .arg(workspace.file())
        .arg("validate")
        .output()
        .unwrap()
}

#[test]
fn control_characters_in_a_sink_are_escaped_in_every_plan_format() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 40, 300)]);
    let workspace = Workspace::new(&keys_file("", &["{file: \"secrets/a\\e[2J\\nb.key\"}"]));
    for format in ["human", "markdown", "json"] {
        let plan = sandbox.run(&workspace.file(), &["plan", "--format", format]);
        assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
        let text = stdout(&plan);
        assert!(
            !text.contains('\u{1b}'),
            "{format}: a raw escape reached the output"
        );
        let escaped = match format {
            "json" => "a\\\\u{1b}[2J\\\\u{a}b.key",
            _ => "a\\u{1b}[2J\\u{a}b.key",
        };
        assert!(text.contains(escaped), "{format}: {text}");
    }
}

#[test]
fn a_sink_that_is_the_saved_plan_being_applied_is_refused() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 40, 300)]);
    let workspace = Workspace::new(&keys_file("", &["{file: plan.json}"]));
    let saved = workspace.path("plan.json");
    let plan = sandbox.run(
        &workspace.file(),
        &["plan", "--out", saved.to_str().unwrap()],
    );
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let apply = sandbox.run(&workspace.file(), &["apply", saved.to_str().unwrap()]);
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    assert!(
        stderr(&apply).contains("the saved plan being applied"),
        "{}",
        stderr(&apply)
    );
    assert_eq!(sandbox.posts(), 0);
}

#[test]
fn a_file_sink_on_a_ci_runner_is_warned_about() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 40, 300)]);
    let workspace = Workspace::new(&keys_file("", &["{file: secrets/k1.key}"]));
    let plan = sandbox
        .keyrot(&workspace.file())
        .env("CI", "true")
        .args(["--now", NOW, "plan"])
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    assert!(
        stderr(&plan)
            .contains("warning: k1: its new secret goes to file secrets/k1.key on a CI runner"),
        "{}",
        stderr(&plan)
    );
    let local = sandbox.run(&workspace.file(), &["plan"]);
    assert!(!stderr(&local).contains("CI runner"), "{}", stderr(&local));
}

#[test]
fn a_bare_file_name_and_an_absolute_path_to_one_file_are_one_sink() {
    let workspace = Workspace::new("version: 1\n");
    let absolute = workspace.path("s.key");
    let file = keys_file(
        "",
        &[
            "{file: s.key}",
            &format!("{{file: {}}}", absolute.display()),
        ],
    );
    std::fs::write(workspace.file(), file).unwrap();
    let validate = crate::harness::keyrot_command()
        .current_dir(workspace.directory())
        .args(["-f", "keyrot.yaml", "validate"])
        .output()
        .unwrap();
    assert_eq!(validate.status.code(), Some(1), "{}", stdout(&validate));
    assert!(
        stderr(&validate).contains("both write their secret"),
        "{}",
        stderr(&validate)
    );

    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 40, 300)]);
    let own = format!("{{file: {}}}", workspace.file().display());
    std::fs::write(workspace.file(), keys_file("", &[&own])).unwrap();
    let apply = sandbox
        .keyrot(std::path::Path::new("keyrot.yaml"))
        .current_dir(workspace.directory())
        .args(["--now", NOW, "apply", "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    assert!(
        stderr(&apply).contains("the desired-state file"),
        "{}",
        stderr(&apply)
    );
    assert_eq!(sandbox.posts(), 0);
}

#[test]
fn plan_warns_about_a_sink_apply_would_refuse() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 40, 300)]);
    let workspace = Workspace::new(&keys_file("", &["{file: missing-dir/k1.key}"]));
    let plan = sandbox.run(&workspace.file(), &["plan"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let warning = stderr(&plan);
    assert!(
        warning.contains("warning: k1: file missing-dir/k1.key"),
        "{warning}"
    );
    assert!(
        warning.contains("`keyrot apply` will refuse to rotate"),
        "{warning}"
    );
    let fine = Workspace::new(&keys_file("", &["{file: secrets/k1.key}"]));
    let quiet = sandbox.run(&fine.file(), &["plan"]);
    assert!(!stderr(&quiet).contains("warning"), "{}", stderr(&quiet));
}

#[test]
fn an_apply_of_many_due_keys_lists_them_a_few_times_not_once_per_rotation() {
    // 250 keys (three pages of 100), 245 of them due: one rotate each, and only the plan's
    // list pass, never one per rotation.
    let count = 250;
    let mut file = String::from(
        "version: 1\nsettings:\n  max_rotations_per_apply: 1000\nrixl:\n  rate_limit: 100000/1s\n  \
         defaults:\n    max_key_age: 30d\n  api_keys:\n",
    );
    let mut keys = Vec::new();
    for n in 1..=count {
        file.push_str(&format!(
            "    k{n}:\n      key_id: K{n}\n      secret: {{file: secrets/k{n}.key}}\n"
        ));
        let age = if n % 50 == 0 { 3 } else { 40 };
        keys.push(rixl_key(&format!("K{n}"), age, 300));
    }
    let sandbox = TestSandbox::with_keys(Vec::new(), keys);
    let workspace = Workspace::new(&file);
    let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let requests = sandbox.requests();
    let lists = requests.iter().filter(|r| r.method == "GET").count();
    let rotates = requests.iter().filter(|r| r.method == "POST").count();
    assert_eq!(rotates, 245);
    assert!(lists <= 3 * 3, "{lists} list pages for {rotates} rotations");
    let rotated = sandbox.sandbox.counters().rotations;
    assert!(rotated.values().all(|&times| times == 1), "{rotated:?}");
}
