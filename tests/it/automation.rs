//! PR checks and schedules: saved plans and their staleness check, JSON and Markdown output,
//! read-only drift with its exit codes and metrics, and --target.

use std::path::Path;

use crate::harness::{
    NOW, TestSandbox, Workspace, account, assert_never_shown, at, days_ago, rixl_key,
    snapshot_settings, stderr, stdout,
};

const PRODUCTION: &str = "00000000000000000000000000000001";
const STAGING: &str = "00000000000000000000000000000002";
const OVERDUE: &str = "00000000000000000000000000000003";

/// An update, a rotation, a deferred but overdue deadline, and a RIXL key that is old and
/// about to expire; two rotations against a limit of one.
const MIXED: &str = "\
version: 1
settings:
  max_rotations_per_apply: 1
cloudflare:
  accounts:
    production:
      account_id: 00000000000000000000000000000001
      key_rotation_interval_days: 30
    staging:
      account_id: 00000000000000000000000000000002
      max_key_age: 60d
    overdue:
      account_id: 00000000000000000000000000000003
      rotate_by: 2026-11-23
      rotation_window: 1d
rixl:
  api_keys:
    ci-uploader:
      key_id: K1
      max_key_age: 30d
      secret:
        file: secrets/ci.key
";

fn mixed_sandbox() -> TestSandbox {
    TestSandbox::with_keys(
        vec![
            account(PRODUCTION, 90, days_ago(10)),
            account(STAGING, 90, days_ago(71)),
            account(OVERDUE, 90, at("2026-11-20T00:00:00Z")),
        ],
        vec![rixl_key("K1", 40, 10)],
    )
}

#[test]
fn plan_as_json_is_the_documented_document() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let file = workspace.file();
    let output = sandbox.run(&file, &["plan", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(document["format_version"], 1);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("plan_mixed_json", stdout(&output));
    });
}

#[test]
fn plan_as_markdown_for_a_pull_request() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let file = workspace.file();
    let output = sandbox.run(
        &file,
        &["--color", "always", "plan", "--format", "markdown"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        !stdout(&output).contains('\u{1b}'),
        "no ANSI colors in Markdown"
    );
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("plan_mixed_markdown", stdout(&output));
    });
}

#[test]
fn apply_as_json_reports_every_outcome() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let file = workspace.file();
    let output = sandbox.run(
        &file,
        &[
            "apply",
            "--auto-approve",
            "--max-rotations",
            "2",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(document["command"], "apply");
    assert_eq!(document["apply"]["done"], 3);
    let outcomes: Vec<&str> = document["resources"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|resource| resource["outcomes"].as_array().unwrap())
        .map(|outcome| outcome["status"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["done", "done", "done"]);
    let secret = sandbox.rixl_key("K1").unwrap().secret;
    assert_never_shown(&output, &secret);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("apply_mixed_json", stdout(&output));
    });
}

#[test]
fn apply_as_human_text_and_markdown() {
    for (format, snapshot) in [
        ("human", "apply_mixed_human"),
        ("markdown", "apply_mixed_markdown"),
    ] {
        let sandbox = mixed_sandbox();
        let workspace = Workspace::new(MIXED);
        let output = sandbox.run(
            &workspace.file(),
            &[
                "apply",
                "--auto-approve",
                "--max-rotations",
                "2",
                "--format",
                format,
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert_eq!(sandbox.writes().len(), 3, "{format}");
        let secret = sandbox.rixl_key("K1").unwrap().secret;
        assert_never_shown(&output, &secret);
        snapshot_settings().bind(|| {
            insta::assert_snapshot!(snapshot, stdout(&output));
        });
    }
}

#[test]
fn a_saved_plan_file_and_show_in_every_format() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let file = workspace.file();
    let saved = workspace.path("plan.json");
    let saved_arg = saved.to_str().unwrap();
    let plan = sandbox.run(&file, &["plan", "--out", saved_arg]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    // The file is written in a fixed order (resources by name), so it is snapshotted as it is.
    let text = std::fs::read_to_string(&saved).unwrap();
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("plan_mixed_saved", text);
    });
    for (format, snapshot) in [
        ("human", "show_mixed_human"),
        ("json", "show_mixed_json"),
        ("markdown", "show_mixed_markdown"),
    ] {
        let show = sandbox.run(&file, &["show", saved_arg, "--format", format]);
        assert_eq!(show.status.code(), Some(0), "{}", stderr(&show));
        snapshot_settings().bind(|| {
            insta::assert_snapshot!(snapshot, stdout(&show));
        });
    }
}

#[test]
fn a_saved_plan_is_shown_and_applied_once() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let file = workspace.file();
    let saved = workspace.path("plan.json");
    let plan = sandbox.run(&file, &["plan", "--out", saved.to_str().unwrap()]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(text.contains("\"kind\": \"keyrot-saved-plan\""));
    assert!(
        !text.contains("rxl_") && !text.contains("test-token"),
        "no secret or credential"
    );

    let show = sandbox.run(&file, &["show", saved.to_str().unwrap()]);
    assert_eq!(show.status.code(), Some(0), "{}", stderr(&show));
    let (about, shown) = stdout(&show)
        .split_once("\n\n")
        .map(|(about, shown)| (about.to_owned(), shown.to_owned()))
        .unwrap();
    assert!(about.starts_with("Saved plan "), "{about}");
    assert_eq!(shown, stdout(&plan), "show renders the plan as plan did");
    let show_json = sandbox.run(
        &file,
        &["show", saved.to_str().unwrap(), "--format", "json"],
    );
    let shown: serde_json::Value = serde_json::from_str(&stdout(&show_json)).unwrap();
    assert_eq!(shown["command"], "show");

    let apply = sandbox.run(
        &file,
        &["apply", saved.to_str().unwrap(), "--max-rotations", "2"],
    );
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert_eq!(sandbox.writes().len(), 3);

    let again = sandbox.run(
        &file,
        &["apply", saved.to_str().unwrap(), "--max-rotations", "2"],
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("plan is stale"),
        "{}",
        stderr(&again)
    );
    assert_eq!(sandbox.writes().len(), 3, "the stale plan wrote nothing");
}

#[test]
fn a_saved_plan_is_refused_when_a_touched_resource_changed() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let file = workspace.file();
    let saved = workspace.path("plan.json");
    let saved_arg = saved.to_str().unwrap();
    assert_eq!(
        sandbox
            .run(&file, &["plan", "--out", saved_arg])
            .status
            .code(),
        Some(0)
    );

    // Someone else changes production between the review and the apply.
    let meanwhile = sandbox.run(
        &file,
        &["apply", "--auto-approve", "--target", "production"],
    );
    assert_eq!(meanwhile.status.code(), Some(0), "{}", stderr(&meanwhile));
    let writes_before = sandbox.writes().len();

    let apply = sandbox.run(&file, &["apply", saved_arg, "--max-rotations", "2"]);
    assert_eq!(apply.status.code(), Some(1));
    let error = stderr(&apply);
    assert!(error.contains("plan is stale"), "{error}");
    assert!(
        error.contains("production: key_rotation_interval_days 90 is now 30"),
        "{error}"
    );
    assert_eq!(sandbox.writes().len(), writes_before, "zero writes");
}

#[test]
fn a_saved_plan_is_refused_when_the_desired_state_changed() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let file = workspace.file();
    let saved = workspace.path("plan.json");
    let saved_arg = saved.to_str().unwrap();
    assert_eq!(
        sandbox
            .run(&file, &["plan", "--out", saved_arg])
            .status
            .code(),
        Some(0)
    );
    std::fs::write(&file, MIXED.replace("max_key_age: 60d", "max_key_age: 50d")).unwrap();
    let apply = sandbox.run(&file, &["apply", saved_arg]);
    assert_eq!(apply.status.code(), Some(1));
    assert!(
        stderr(&apply).contains("changed since the plan was made"),
        "{}",
        stderr(&apply)
    );
    assert!(sandbox.writes().is_empty());
}

#[test]
fn drift_exit_codes_and_zero_writes() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let file = workspace.file();
    let drifted = sandbox.run(&file, &["drift"]);
    assert_eq!(drifted.status.code(), Some(2), "{}", stderr(&drifted));
    assert!(
        stdout(&drifted).contains("Drift: 4 resources differ from"),
        "{}",
        stdout(&drifted)
    );
    assert!(
        sandbox.writes().is_empty(),
        "drift wrote: {:?}",
        sandbox.writes()
    );

    let converge = sandbox.run(&file, &["apply", "--auto-approve", "--max-rotations", "2"]);
    assert_eq!(converge.status.code(), Some(0), "{}", stderr(&converge));
    // Only the overdue deadline is left, and its rotation is deferred: still drift.
    let overdue = sandbox.run(&file, &["drift", "--format", "json"]);
    assert_eq!(overdue.status.code(), Some(2), "{}", stdout(&overdue));
    let document: serde_json::Value = serde_json::from_str(&stdout(&overdue)).unwrap();
    assert_eq!(document["drift"]["drifted_resources"], 1);
    assert_eq!(document["summary"]["overdue"], 1);

    let in_sync = sandbox.run(&file, &["drift", "--target", "production"]);
    assert_eq!(in_sync.status.code(), Some(0), "{}", stdout(&in_sync));
    assert_eq!(
        stdout(&in_sync),
        "No drift among the resources checked.\nThis check covers 1 of 4 resources: --target.\n",
        "drift says it once, not \"No changes\" as well, and never that the whole file matches"
    );

    let broken = sandbox
        .keyrot(&file)
        .env("CLOUDFLARE_API_TOKEN", "wrong")
        .args(["--now", NOW, "drift"])
        .output()
        .unwrap();
    assert_eq!(broken.status.code(), Some(1));
}

#[test]
fn drift_in_every_format() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    for (format, snapshot) in [
        ("human", "drift_mixed_human"),
        ("json", "drift_mixed_json"),
        ("markdown", "drift_mixed_markdown"),
    ] {
        let drift = sandbox.run(&workspace.file(), &["drift", "--format", format]);
        assert_eq!(drift.status.code(), Some(2), "{}", stderr(&drift));
        snapshot_settings().bind(|| {
            insta::assert_snapshot!(snapshot, stdout(&drift));
        });
    }
    assert!(sandbox.writes().is_empty(), "{:?}", sandbox.writes());
}

#[test]
fn drift_writes_prometheus_metrics_atomically() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let file = workspace.file();
    let metrics = workspace.path("keyrot.prom");
    let drift = sandbox.run(
        &file,
        &["drift", "--metrics-file", metrics.to_str().unwrap()],
    );
    assert_eq!(drift.status.code(), Some(2));
    let text = std::fs::read_to_string(&metrics).unwrap();
    for line in [
        "# TYPE keyrot_drift_resources gauge",
        "keyrot_drift_resources 4",
        "keyrot_resource_drift{resource=\"production\",provider=\"cloudflare\"} 1",
        "keyrot_key_age_seconds{resource=\"staging\",provider=\"cloudflare\"} 6134400",
        "keyrot_key_age_seconds{resource=\"ci-uploader\",provider=\"rixl\"} 3456000",
        "keyrot_rotation_overdue{resource=\"overdue\",provider=\"cloudflare\"} 1",
        "keyrot_rotation_overdue{resource=\"production\",provider=\"cloudflare\"} 0",
        "keyrot_seconds_until_deadline{resource=\"overdue\",provider=\"cloudflare\"} -129600",
        "keyrot_last_run_success 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }
    assert!(text.contains("keyrot_last_run_timestamp_seconds "));
    let run_at: i64 = text
        .lines()
        .find_map(|line| line.strip_prefix("keyrot_last_run_timestamp_seconds "))
        .unwrap()
        .parse()
        .unwrap();
    let clock = jiff::Timestamp::now().as_second();
    assert!(
        (clock - 600..=clock).contains(&run_at),
        "the time of the run, not --now: {run_at}"
    );
    let mut settings = snapshot_settings();
    settings.add_filter(
        r"(?m)^keyrot_last_run_timestamp_seconds \d+$",
        "keyrot_last_run_timestamp_seconds [TIME OF THE RUN]",
    );
    settings.bind(|| insta::assert_snapshot!("drift_mixed_metrics", text));
    let leftovers: Vec<_> = std::fs::read_dir(workspace.directory())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with(".keyrot-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let failed = sandbox
        .keyrot(&file)
        .env("CLOUDFLARE_API_TOKEN", "wrong")
        .args(["drift", "--metrics-file", metrics.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        text.lines().any(|l| l == "keyrot_last_run_success 0"),
        "{text}"
    );
    // No Cloudflare account could be read: each says so and has no drift metric; the RIXL
    // key, read with its own credentials, still has its metrics.
    for line in [
        "keyrot_resource_read_error{resource=\"production\",provider=\"cloudflare\"} 1",
        "keyrot_resource_read_error{resource=\"overdue\",provider=\"cloudflare\"} 1",
        "keyrot_resource_read_error{resource=\"ci-uploader\",provider=\"rixl\"} 0",
        "keyrot_resource_drift{resource=\"ci-uploader\",provider=\"rixl\"} 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from:\n{text}"
        );
    }
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("keyrot_resource_drift{") && l.contains("cloudflare")),
        "{text}"
    );
}

#[test]
fn an_unknown_target_lists_the_known_ones() {
    let workspace = Workspace::new(MIXED);
    let file = workspace.file();
    let sandbox = mixed_sandbox();
    for command in ["plan", "apply", "drift"] {
        let output = sandbox.run(&file, &[command, "--target", "prod"]);
        assert_eq!(output.status.code(), Some(1), "{command}");
        assert!(
            stderr(&output).contains(&format!(
                "unknown --target prod; did you mean --target production? The resources of {} are: \
                 production, staging, overdue, ci-uploader",
                file.display()
            )),
            "{}",
            stderr(&output)
        );
    }
    let targeted = sandbox.run(&file, &["plan", "--target", "staging", "--format", "json"]);
    let document: serde_json::Value = serde_json::from_str(&stdout(&targeted)).unwrap();
    assert_eq!(document["resources"].as_array().unwrap().len(), 1);
    assert_eq!(document["resources"][0]["name"], "staging");
    assert!(Path::new(&file).exists());
}

#[test]
fn a_saved_plan_applies_from_another_working_copy() {
    // A plan made in one checkout (a PR job) is applied in another (the main job): file sinks
    // resolve beside the desired-state file apply reads, not where the plan was made.
    let sandbox = mixed_sandbox();
    let planned_in = Workspace::new(MIXED);
    let applied_in = Workspace::new(MIXED);
    let saved = planned_in.path("plan.json");
    let saved_arg = saved.to_str().unwrap();
    let plan = sandbox.run(&planned_in.file(), &["plan", "--out", saved_arg]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(
        !text.contains("\"path\""),
        "a sink is saved as the file gives it, not resolved: {text}"
    );
    let apply = sandbox.run(
        &applied_in.file(),
        &["apply", saved_arg, "--max-rotations", "2"],
    );
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert!(applied_in.path("secrets/ci.key").exists());
    assert!(!planned_in.path("secrets/ci.key").exists());
}

#[test]
fn the_metrics_file_is_readable_as_the_umask_allows_since_it_holds_no_secret() {
    use std::os::unix::process::CommandExt;
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let metrics = workspace.path("keyrot.prom");
    let mut drift = sandbox.keyrot(&workspace.file());
    drift.args([
        "--now",
        NOW,
        "drift",
        "--metrics-file",
        metrics.to_str().unwrap(),
    ]);
    // SAFETY: umask is async-signal-safe.
    unsafe {
        drift.pre_exec(|| {
            libc::umask(0o027);
            Ok(())
        });
    }
    assert_eq!(drift.output().unwrap().status.code(), Some(2));
    assert_eq!(crate::harness::mode(&metrics), 0o640);
}

#[test]
fn a_target_may_be_the_address_plans_print() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let args = [
        "plan",
        "--format",
        "json",
        "--target",
        "cloudflare.accounts.production",
        "--target",
        "rixl.api_keys.ci-uploader",
    ];
    let output = sandbox.run(&workspace.file(), &args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let addresses: Vec<&str> = document["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|resource| resource["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        addresses,
        [
            "cloudflare.accounts.production",
            "rixl.api_keys.ci-uploader"
        ]
    );
}

#[test]
fn a_saved_plan_says_where_it_went_and_which_file_it_was_made_from() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let saved = workspace.path("plan.json");
    let saved_arg = saved.to_str().unwrap();
    let plan = sandbox.run(&workspace.file(), &["plan", "--out", saved_arg]);
    let note = stderr(&plan);
    assert!(
        note.contains(&format!("Saved the plan to {saved_arg}.")),
        "{note}"
    );
    assert!(
        note.contains(&format!("`keyrot apply {saved_arg}`")),
        "{note}"
    );

    let other = Workspace::new(&MIXED.replace("max_key_age: 60d", "max_key_age: 50d"));
    let apply = sandbox.run(&other.file(), &["apply", saved_arg]);
    assert_eq!(apply.status.code(), Some(1));
    let error = stderr(&apply);
    assert!(
        error.contains(&format!(
            "the plan was made from {}, and {} is not that file as it was then",
            workspace.file().display(),
            other.file().display()
        )),
        "{error}"
    );
}

#[test]
fn an_error_with_format_json_is_a_json_document_too() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let output = sandbox.run(
        &workspace.file(),
        &["plan", "--format", "json", "--target", "nope"],
    );
    assert_eq!(output.status.code(), Some(1));
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(document["command"], "plan");
    assert!(
        document["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("unknown --target nope"),
        "{document}"
    );
    assert!(stderr(&output).contains("error: unknown --target nope"));
}

#[test]
fn replace_rotates_a_key_now_whatever_its_age_and_says_why() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let file = workspace.file();
    let plan = sandbox.run(
        &file,
        &["plan", "--replace", "production", "--format", "json"],
    );
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let document: serde_json::Value = serde_json::from_str(&stdout(&plan)).unwrap();
    let production = &document["resources"][0];
    assert_eq!(production["name"], "production");
    assert_eq!(production["actions"][1]["type"], "rotate");
    assert_eq!(
        production["actions"][1]["reasons"][0]["text"],
        "replace requested (--replace)"
    );

    let unknown = sandbox.run(&file, &["plan", "--replace", "prod"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("unknown --replace prod"),
        "{}",
        stderr(&unknown)
    );
    let outside = sandbox.run(
        &file,
        &["plan", "--target", "staging", "--replace", "production"],
    );
    assert_eq!(outside.status.code(), Some(1));
    assert!(
        stderr(&outside).contains("--replace production is not among the --target resources"),
        "{}",
        stderr(&outside)
    );

    let apply = sandbox.run(
        &file,
        &[
            "apply",
            "--auto-approve",
            "--target",
            "production",
            "--replace",
            "cloudflare.accounts.production",
        ],
    );
    assert_eq!(apply.status.code(), Some(0), "{}", stdout(&apply));
    assert!(
        stdout(&apply).contains("production: ↻ rotate access keys: done"),
        "{}",
        stdout(&apply)
    );
}

#[test]
fn a_limit_given_with_max_rotations_is_named_as_the_flag() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let file = workspace.file();
    let apply = sandbox.run(&file, &["apply", "--auto-approve", "--max-rotations", "1"]);
    assert_eq!(apply.status.code(), Some(3), "{}", stderr(&apply));
    assert!(
        stdout(&apply).contains("more than the limit of 1 (--max-rotations)"),
        "{}",
        stdout(&apply)
    );
    assert!(
        stderr(&apply).contains("more than the limit of 1 (--max-rotations)"),
        "{}",
        stderr(&apply)
    );
}

#[test]
fn quiet_drops_notes_but_never_the_result_a_warning_or_an_error() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let saved = workspace.path("plan.json");
    let saved_arg = saved.to_str().unwrap();
    let quiet = sandbox.run(&workspace.file(), &["-q", "plan", "--out", saved_arg]);
    assert_eq!(quiet.status.code(), Some(0), "{}", stderr(&quiet));
    assert!(saved.exists(), "the plan is saved");
    assert!(
        stdout(&quiet).contains("# cloudflare account \"production\""),
        "the plan itself is the result: {}",
        stdout(&quiet)
    );
    assert!(
        !stderr(&quiet).contains("Saved the plan to"),
        "-q drops the note: {}",
        stderr(&quiet)
    );
    let unquiet = sandbox.run(&workspace.file(), &["plan", "--out", saved_arg]);
    assert!(stderr(&unquiet).contains("Saved the plan to"));

    let refused = sandbox
        .keyrot(&workspace.file())
        .env("CLOUDFLARE_API_TOKEN", "wrong-token-77aa")
        .args(["-q", "-v", "plan"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("error:"),
        "-q never drops an error: {}",
        stderr(&refused)
    );
}

#[test]
fn on_a_terminal_the_saved_plan_note_follows_the_plan_it_is_about() {
    let sandbox = mixed_sandbox();
    let workspace = Workspace::new(MIXED);
    let saved = workspace.path("plan.json");
    let args = format!("--color never plan --out {}", saved.display());
    let shown = sandbox
        .keyrot_on_a_terminal(&workspace.file(), &args)
        .output()
        .unwrap();
    let shown = stdout(&shown);
    let plan = shown
        .find("# cloudflare account")
        .expect("the plan is shown");
    let note = shown.find("Saved the plan to").expect("the note is shown");
    assert!(plan < note, "{shown}");
}
