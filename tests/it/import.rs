//! Adoption: `keyrot import` writes a desired-state file whose first plan shows no changes.

use std::path::Path;

use jiff::SignedDuration;
use keyrot::config::SINK_PLACEHOLDER;
use keyrot::vendor::rixl::sandbox::SandboxKey;

use crate::harness::{
    NOW, TestSandbox, account, assert_never_shown, days_ago, id, rixl_key, snapshot_settings,
    stderr, stdout,
};

/// `count` accounts with a mix of intervals.
fn many_accounts(count: usize) -> TestSandbox {
    let intervals = [30, 90, 365, 21];
    TestSandbox::start(
        (0..count)
            .map(|n| account(&id(n), intervals[n % intervals.len()], days_ago(5)))
            .collect(),
    )
}

/// Three RIXL keys, the third named "CI uploader", each with a secret that must never appear.
fn three_keys(org_id: &str) -> Vec<SandboxKey> {
    (1..=3)
        .map(|n| SandboxKey {
            name: if n == 3 {
                "CI uploader".to_owned()
            } else {
                format!("Key {n}")
            },
            org_id: org_id.to_owned(),
            secret: format!("rxl_never-printed-{n}"),
            ..rixl_key(&format!("K{n}"), 3, 300)
        })
        .collect()
}

/// Snapshot settings for an imported file, whose header says when it was imported.
fn import_snapshot_settings() -> insta::Settings {
    let mut settings = snapshot_settings();
    settings.add_filter(
        r"(?m) at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\.$",
        " at [TIME OF THE IMPORT].",
    );
    settings
}

/// Checks that the header of an imported file gives the time of the import (the real clock's,
/// to the minute; `--now` is for the time rules).
fn assert_imported_just_now(yaml: &str) {
    let header = yaml.lines().next().unwrap();
    let (_, stamp) = header.rsplit_once(" at ").unwrap();
    let civil: jiff::civil::DateTime = stamp.trim_end_matches(" UTC.").parse().unwrap();
    let imported = jiff::tz::TimeZone::UTC.to_timestamp(civil).unwrap();
    let clock = jiff::Timestamp::now();
    assert!(
        imported <= clock && clock.duration_since(imported) < SignedDuration::from_mins(10),
        "{header}"
    );
}

fn import(sandbox: &TestSandbox, directory: &Path, args: &[&str]) -> std::process::Output {
    sandbox
        .keyrot_anywhere()
        .current_dir(directory)
        .arg("import")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn importing_every_account_across_pages_gives_a_plan_with_no_changes() {
    let sandbox = many_accounts(120);
    let directory = tempfile::tempdir().unwrap();
    let output = import(
        &sandbox,
        directory.path(),
        &["cloudflare", "--all", "--out", "keyrot.yaml"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("120 Cloudflare accounts imported"));
    let pages = sandbox
        .requests()
        .iter()
        .filter(|request| request.path == "/client/v4/accounts")
        .count();
    assert_eq!(pages, 3, "50 accounts per page");

    let file = directory.path().join("keyrot.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("account_id:").count(), 120);
    assert!(
        text.contains("#   defaults:\n#     max_key_age: 120d"),
        "{text}"
    );
    let plan = sandbox.run(&file, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));
    assert!(stdout(&plan).contains("No changes."));
}

#[test]
fn importing_named_accounts_only() {
    let sandbox = many_accounts(5);
    let directory = tempfile::tempdir().unwrap();
    let output = import(
        &sandbox,
        directory.path(),
        &["cloudflare", "--account", &id(1), "--account", &id(3)],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(text.matches("account_id:").count(), 2);
    assert!(text.contains(&id(1)) && text.contains(&id(3)) && !text.contains(&id(2)));
    let file = directory.path().join("keyrot.yaml");
    std::fs::write(&file, &text).unwrap();
    let plan = sandbox.run(&file, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));
}

#[test]
fn import_refuses_to_overwrite_without_force() {
    let sandbox = many_accounts(2);
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("keyrot.yaml"), "mine\n").unwrap();
    let refused = import(
        &sandbox,
        directory.path(),
        &["cloudflare", "--all", "--out", "keyrot.yaml"],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("keyrot.yaml exists; nothing was written. Pass --force"));
    assert_eq!(
        std::fs::read_to_string(directory.path().join("keyrot.yaml")).unwrap(),
        "mine\n"
    );
    let forced = import(
        &sandbox,
        directory.path(),
        &["cloudflare", "--all", "--out", "keyrot.yaml", "--force"],
    );
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert!(
        std::fs::read_to_string(directory.path().join("keyrot.yaml"))
            .unwrap()
            .contains("version: 1")
    );
}

#[test]
fn imported_rixl_keys_need_a_sink_before_the_first_plan() {
    let sandbox = TestSandbox::with_keys(Vec::new(), three_keys("OR1"));
    let directory = tempfile::tempdir().unwrap();
    let output = import(
        &sandbox,
        directory.path(),
        &["rixl", "--all", "--out", "keyrot.yaml"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let file = directory.path().join("keyrot.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("    ci-uploader:\n      key_id: K3\n"),
        "{text}"
    );
    assert!(!text.contains("rxl_never-printed"));
    assert_never_shown(&output, "rxl_never-printed");

    let validate = sandbox.run(&file, &["validate"]);
    assert_eq!(validate.status.code(), Some(1));
    assert!(
        stderr(&validate).contains(&format!(
            "`{SINK_PLACEHOLDER}` is the placeholder `keyrot import` writes"
        )),
        "{}",
        stderr(&validate)
    );

    let filled: String = text
        .split(SINK_PLACEHOLDER)
        .enumerate()
        .map(|(n, part)| {
            if n == 0 {
                part.to_owned()
            } else {
                format!("secrets/{n}.txt{part}")
            }
        })
        .collect();
    std::fs::write(&file, filled).unwrap();
    let plan = sandbox
        .keyrot(&file)
        .args(["--now", NOW, "plan", "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));
}

#[test]
fn accounts_without_access_keys_are_left_out_with_a_comment() {
    let sandbox = many_accounts(3);
    sandbox.cloudflare().disable_access(&id(1));
    let directory = tempfile::tempdir().unwrap();
    let output = import(&sandbox, directory.path(), &["cloudflare", "--all"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(text.matches("account_id:").count(), 2);
    assert!(
        text.contains(&format!(
            "    # not imported: \"Sandbox account 00000000\" ({}): Access key configuration is not enabled (12109)",
            id(1)
        )),
        "{text}"
    );
    assert!(stderr(&output).contains("2 Cloudflare accounts imported, 1 skipped"));
}

#[test]
fn the_imported_cloudflare_file_as_written() {
    // The sandbox names an account after its ID's first eight digits: two of these share them.
    let sandbox = TestSandbox::start(vec![
        account("023e105f4ecef8ad9ca31a8372d0c353", 30, days_ago(5)),
        account("023e105f00000000000000000000000b", 90, days_ago(5)),
        account("1d5fdc9e88c8a8c4518b068cd94331fe", 365, days_ago(5)),
        account("c0ffee00c0ffee00c0ffee00c0ffee00", 90, days_ago(5)),
    ]);
    sandbox
        .cloudflare()
        .disable_access("c0ffee00c0ffee00c0ffee00c0ffee00");
    let directory = tempfile::tempdir().unwrap();
    let output = import(&sandbox, directory.path(), &["cloudflare", "--all"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stderr(&output).trim(),
        "keyrot import: 3 Cloudflare accounts imported, 1 skipped (see the comments)"
    );
    assert_imported_just_now(&stdout(&output));
    import_snapshot_settings().bind(|| {
        insta::assert_snapshot!("import_cloudflare_yaml", stdout(&output));
    });
}

#[test]
fn the_imported_rixl_files_as_written() {
    for (org_id, args, snapshot) in [
        ("OR1", &["rixl", "--all"][..], "import_rixl_yaml"),
        (
            "ORmine",
            &["rixl", "--all", "--api", "v1", "--org-id", "ORmine"][..],
            "import_rixl_v1_yaml",
        ),
    ] {
        let sandbox = TestSandbox::with_keys(Vec::new(), three_keys(org_id));
        let directory = tempfile::tempdir().unwrap();
        let output = import(&sandbox, directory.path(), args);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert_never_shown(&output, "rxl_never-printed");
        assert_imported_just_now(&stdout(&output));
        import_snapshot_settings().bind(|| {
            insta::assert_snapshot!(snapshot, stdout(&output));
        });
    }
}

#[test]
fn import_keeps_to_the_rate_limit_it_is_given() {
    let faults = keyrot::sandbox::Faults {
        rate_limit: Some(keyrot::sandbox::ServerRateLimit {
            requests: 5,
            window: std::time::Duration::from_secs(1),
            block: std::time::Duration::from_secs(60),
        }),
        ..keyrot::sandbox::Faults::default()
    };
    let accounts = (0..12).map(|n| account(&id(n), 30, days_ago(5))).collect();
    let sandbox = TestSandbox::with_faults(accounts, faults);
    let directory = tempfile::tempdir().unwrap();
    let args = [
        "cloudflare",
        "--all",
        "--rate-limit",
        "4/1s",
        "--parallelism",
        "12",
    ];
    let output = import(&sandbox, directory.path(), &args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output).matches("account_id:").count(), 12);
    assert_eq!(sandbox.sandbox.counters().throttled, 0);

    let neither = import(&sandbox, directory.path(), &["cloudflare"]);
    assert_eq!(neither.status.code(), Some(1));
    assert!(stderr(&neither).contains("--all"), "{}", stderr(&neither));
    let org_alone = import(
        &sandbox,
        directory.path(),
        &["rixl", "--all", "--org-id", "OR9"],
    );
    assert_eq!(org_alone.status.code(), Some(1));
    assert!(
        stderr(&org_alone).contains("--org-id goes with --api v1"),
        "{}",
        stderr(&org_alone)
    );

    let refused = import(
        &sandbox,
        directory.path(),
        &["rixl", "--all", "--rate-limit", "5"],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("expected N/DURATION"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn both_providers_import_into_one_file_with_merge() {
    let sandbox = TestSandbox::with_keys(
        vec![account(&id(1), 30, days_ago(5))],
        vec![rixl_key("K1", 5, 300)],
    );
    let directory = tempfile::tempdir().unwrap();
    let out = ["--out", "keyrot.yaml"];
    let rixl = ["rixl", "--all", out[0], out[1], "--merge"];
    // Into a file that does not exist yet, --merge writes the import as it is.
    let first = import(&sandbox, directory.path(), &rixl);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let cloudflare = ["cloudflare", "--all", out[0], out[1], "--merge"];
    let second = import(&sandbox, directory.path(), &cloudflare);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));

    let file = directory.path().join("keyrot.yaml");
    let merged = std::fs::read_to_string(&file).unwrap();
    assert_eq!(merged.matches("version: 1").count(), 1, "{merged}");
    assert!(
        merged.contains("\nrixl:\n") && merged.contains("\ncloudflare:\n"),
        "{merged}"
    );
    std::fs::write(&file, merged.replace(SINK_PLACEHOLDER, "secrets/k1.key")).unwrap();
    let plan = sandbox.run(&file, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));

    let again = import(&sandbox, directory.path(), &rixl);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already has a `rixl` section"),
        "{}",
        stderr(&again)
    );
    let unchanged = std::fs::read_to_string(&file).unwrap();
    assert!(unchanged.contains("secrets/k1.key"), "nothing was written");
}

#[test]
fn a_sandbox_seeded_from_a_file_imports_its_accounts_by_the_files_names() {
    let desired =
        keyrot::config::load_file(std::path::Path::new(crate::harness::EXAMPLE_FILE)).unwrap();
    let accounts =
        keyrot::vendor::cloudflare::sandbox::seed_accounts(&desired, crate::harness::now());
    let sandbox = TestSandbox::start(accounts);
    let output = sandbox
        .keyrot_anywhere()
        .args(["import", "cloudflare", "--all"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let imported = stdout(&output);
    for account in desired.resources_of(&keyrot::vendor::cloudflare::VENDOR) {
        let entry = format!("    {}:\n      account_id: {}\n", account.name, account.id);
        assert!(imported.contains(&entry), "{imported}");
    }
}

#[test]
fn every_vendor_has_an_import_subcommand_with_its_own_help() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_keyrot"))
        .args(["import", "--help"])
        .output()
        .unwrap();
    let help = stdout(&help);
    for line in [
        "cloudflare         Cloudflare accounts' Access key configuration",
        "rixl               RIXL API keys (each needs a secret sink before the first plan)",
        "cloudflare-tokens  Cloudflare API tokens (each needs a secret sink before the first plan)",
    ] {
        assert!(help.contains(line), "{help}");
    }
    let rixl = std::process::Command::new(env!("CARGO_BIN_EXE_keyrot"))
        .args(["import", "rixl", "--help"])
        .output()
        .unwrap();
    let rixl = stdout(&rixl);
    assert!(
        rixl.starts_with("RIXL API keys (each needs a secret sink before the first plan).\n\nExample: keyrot import rixl --all --out keyrot.yaml"),
        "{rixl}"
    );
    assert!(rixl.contains("--merge"), "the output flags: {rixl}");
}

#[test]
fn an_out_file_in_a_directory_that_does_not_exist_is_refused_and_nothing_is_made() {
    let sandbox = many_accounts(3);
    let directory = tempfile::tempdir().unwrap();
    let missing = directory.path().join("typo/keyrot.yaml");
    let out = missing.to_str().unwrap();
    let output = import(
        &sandbox,
        directory.path(),
        &["cloudflare", "--all", "--out", out],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("typo does not exist; create it first (nothing was written)"),
        "{}",
        stderr(&output)
    );
    assert!(
        !directory.path().join("typo").exists(),
        "no directory is made"
    );

    let written = directory.path().join("keyrot.yaml");
    let out = written.to_str().unwrap();
    let output = import(
        &sandbox,
        directory.path(),
        &["cloudflare", "--all", "--out", out],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!("(written to {out})")),
        "the note says where: {}",
        stderr(&output)
    );
}
