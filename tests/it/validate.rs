//! `keyrot validate`: every bad file gets its own message at `FILE:LINE:COL`, exit 1, offline.

use std::path::Path;

use crate::harness::{
    EXAMPLE_FILE, desired_file, keyrot_command, run_with_env, snapshot_settings, stderr, stdout,
};

const GOOD: &str = "\
version: 1
settings:
  max_rotations_per_apply: 10
cloudflare:
  defaults:
    key_rotation_interval_days: 90
    max_key_age: P120D
    rotate_by: 2026-12-01
    rotation_window: 2w
    min_rotation_gap: 168h
  accounts:
    production:
      account_id: 023e105f4ecef8ad9ca31a8372d0c353
      key_rotation_interval_days: 30
      rotate_by: 2026-12-01T09:00:00+09:00
";

/// Runs `keyrot validate` on `contents` and returns (exit code, stderr with the temp path
/// replaced by `keyrot.yaml`).
fn validate(contents: &[u8]) -> (Option<i32>, String) {
    let (directory, _) = desired_file(contents);
    let output = keyrot_command()
        .current_dir(directory.path())
        .arg("validate")
        .output()
        .unwrap();
    (output.status.code(), stderr(&output))
}

fn assert_error(contents: &str, expected: &str) {
    let (code, error) = validate(contents.as_bytes());
    assert_eq!(code, Some(1), "exit code for:\n{contents}");
    assert_eq!(error.trim_end(), expected, "for:\n{contents}");
}

#[test]
fn a_good_file_is_valid() {
    let (_dir, file) = desired_file(GOOD);
    let output = keyrot_command()
        .arg("-f")
        .arg(&file)
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).ends_with(
        "is valid: 1 Cloudflare account, 0 RIXL API keys and 0 Cloudflare API tokens.\n"
    ));
}

#[test]
fn the_example_file_is_valid() {
    let output = keyrot_command()
        .args(["-f", EXAMPLE_FILE, "validate"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn a_missing_file_says_so() {
    let directory = tempfile::tempdir().unwrap();
    let output = keyrot_command()
        .current_dir(directory.path())
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output).trim_end(),
        "keyrot.yaml: no such file; create it (`keyrot import cloudflare --all --out FILE` \
         writes one from what exists), or point keyrot at another one with -f FILE"
    );
}

#[test]
fn an_empty_file_says_so() {
    let expected =
        "keyrot.yaml:1:1: the file is empty; a desired-state file starts with `version: 1`";
    assert_error("", expected);
    assert_error("# only a comment\n\n", expected);
}

#[test]
fn a_wrong_version_says_which_are_read() {
    assert_error(
        "version: 2\ncloudflare: {}\n",
        "keyrot.yaml:1:10: unsupported version 2; this keyrot reads version 1 files",
    );
    assert_error(
        "cloudflare: {}\n",
        "keyrot.yaml:1:1: missing `version: 1` at the top level of the file",
    );
}

#[test]
fn bytes_that_are_not_yaml_text_say_so() {
    let (code, error) = validate(b"version: 1\n\x89PNG\r\n\x1a\n");
    assert_eq!(code, Some(1));
    assert_eq!(
        error.trim_end(),
        "keyrot.yaml:2:1: this is not a YAML text file: byte 0x89 is not UTF-8"
    );
    assert_error(
        "version: 1\ncloudflare: [unclosed\n",
        "keyrot.yaml:2:13: invalid YAML: unclosed bracket '['",
    );
}

#[test]
fn an_unknown_field_suggests_the_nearest() {
    assert_error(
        "version: 1\ncloudflare:\n  accounts:\n    production:\n      acount_id: 023e105f4ecef8ad9ca31a8372d0c353\n",
        "keyrot.yaml:5:7: unknown field `acount_id`; did you mean `account_id`? (known fields: `account_id`, `key_rotation_interval_days`, `max_key_age`, `rotate_by`, `rotation_window`, `min_rotation_gap`)",
    );
    // The missing field an unknown one does not explain is still said.
    assert_error(
        "version: 1\ncloudflare:\n  accounts:\n    production:\n      colour: red\n",
        "keyrot.yaml:4:5: account `production` has no `account_id`\nkeyrot.yaml:5:7: unknown field `colour` (known fields: `account_id`, `key_rotation_interval_days`, `max_key_age`, `rotate_by`, `rotation_window`, `min_rotation_gap`)",
    );
    assert_error(
        "version: 1\nrixl:\n  api_keys:\n    ci:\n      key_di: K1\n      secret: {file: a}\n",
        "keyrot.yaml:5:7: unknown field `key_di`; did you mean `key_id`? (known fields: `key_id`, `max_key_age`, `rotate_by`, `rotation_window`, `min_rotation_gap`, `secret`)",
    );
    assert_error(
        "version: 1\nrixl:\n  api_keys:\n    ci:\n      key_id: K1\n      secret:\n        fle: a\n",
        "keyrot.yaml:7:9: unknown field `fle`; did you mean `file`? (known fields: `file`, `command`, `timeout`, `env`)\nkeyrot.yaml:7:9: `secret` takes exactly one of `file: PATH` or `command: [program, args...]`",
    );
    assert_error(
        "version: 1\nsetings: {}\n",
        "keyrot.yaml:2:1: unknown field `setings`; did you mean `settings`? (known fields: `version`, `settings`, `cloudflare`, `rixl`, `cloudflare_tokens`)",
    );
}

#[test]
fn duplicate_names_are_errors() {
    assert_error(
        "version: 1\ncloudflare:\n  accounts:\n    production:\n      account_id: 023e105f4ecef8ad9ca31a8372d0c353\n    production:\n      account_id: 1d5fdc9e88c8a8c4518b068cd94331fe\n",
        "keyrot.yaml:6:5: `production` is given twice; each name may appear once in a mapping",
    );
    assert_error(
        "version: 1\ncloudflare:\n  accounts:\n    production:\n      account_id: 023e105f4ecef8ad9ca31a8372d0c353\n    prod:\n      account_id: 023e105f4ecef8ad9ca31a8372d0c353\n",
        "keyrot.yaml:7:19: account `prod` has the same account_id as `production`; each account may be managed by one entry only",
    );
}

#[test]
fn every_bad_value_is_reported_at_its_place() {
    let contents = "\
version: 1
settings:
  max_rotations_per_apply: 0
cloudflare:
  defaults:
    account_id: 023e105f4ecef8ad9ca31a8372d0c353
    max_key_age: 3mo
  accounts:
    Production:
      account_id: 023E105F4ECEF8AD9CA31A8372D0C353
      key_rotation_interval_days: 400
      rotate_by: 2026-12-01T00:00:00
      rotation_window: 90
      min_rotation_gap: soon
    staging:
      key_rotation_interval_days: 30.5
";
    let expected = "\
keyrot.yaml:3:28: `max_rotations_per_apply` must be a whole number of at least 1, found 0
keyrot.yaml:6:17: `account_id` cannot be a default: each account names its own
keyrot.yaml:7:18: `3mo` uses months or years, whose lengths vary; use days or weeks (e.g. 90d, 12w)
keyrot.yaml:9:5: resource name `Production` must start with a lowercase letter or digit and contain only lowercase letters, digits, `_` and `-`
keyrot.yaml:10:19: account_id `023E105F4ECEF8AD9CA31A8372D0C353` is not a Cloudflare account ID: expected 32 lowercase hexadecimal characters (found uppercase letters; write them in lowercase)
keyrot.yaml:11:35: `key_rotation_interval_days` must be a whole number from 21 to 365, found 400
keyrot.yaml:12:18: `2026-12-01T00:00:00` is not an instant; expected RFC 3339 with an offset (e.g. 2026-12-01T00:00:00Z or 2026-12-01T09:00:00+09:00) or a bare date (2026-12-01)
keyrot.yaml:13:24: `90` has no unit; expected a duration such as 30s, 15m, 12h, 90d, 2w or P90D
keyrot.yaml:14:25: `soon` is not a duration; expected a duration such as 30s, 15m, 12h, 90d, 2w or P90D
keyrot.yaml:15:5: account `staging` has no `account_id`
keyrot.yaml:16:35: `key_rotation_interval_days` must be a whole number from 21 to 365, found 30.5";
    assert_error(contents, expected);
}

#[test]
fn a_wrong_type_says_what_was_expected() {
    assert_error(
        "version: 1\ncloudflare:\n  accounts:\n    production:\n      account_id: 023e105f4ecef8ad9ca31a8372d0c353\n      key_rotation_interval_days: thirty\n",
        "keyrot.yaml:6:35: `key_rotation_interval_days` must be a whole number from 21 to 365, found \"thirty\"",
    );
    assert_error(
        "version: 1\ncloudflare:\n  accounts: [production]\n",
        "keyrot.yaml:3:13: expected a mapping (`name: value` lines) here",
    );
    assert_error(
        "just some words\n",
        "keyrot.yaml:1:1: expected a mapping (`name: value` lines) here",
    );
}

#[test]
fn rixl_keys_are_validated_like_accounts() {
    let contents = "\
version: 1
cloudflare:
  accounts:
    shared-name:
      account_id: 023e105f4ecef8ad9ca31a8372d0c353
rixl:
  api: v1
  defaults:
    key_id: K0
    secret: {file: x}
  api_keys:
    shared-name:
      key_id: K1
      secret: {file: a}
    no-sink:
      key_id: K2
    both-sinks:
      key_id: K3
      secret: {file: a, command: [cat]}
    bad-id:
      key_id: ak-7/Hq2
      secret: {command: []}
";
    let expected = "\
keyrot.yaml:7:8: `api: v1` needs `rixl.org_id`
keyrot.yaml:9:13: `key_id` cannot be a default: each key names its own
keyrot.yaml:10:13: `secret` cannot be a default: each key has its own sink
keyrot.yaml:12:5: resource name `shared-name` is already used in `cloudflare.accounts`; names are unique across the whole file
keyrot.yaml:15:5: API key `no-sink` has no `secret` sink; a rotation's new secret must go somewhere (`secret: {file: PATH}` or `secret: {command: [...]}`)
keyrot.yaml:19:15: `secret` takes exactly one of `file: PATH` or `command: [program, args...]`
keyrot.yaml:21:15: key_id `ak-7/Hq2` is not a RIXL key ID: expected letters and digits only
keyrot.yaml:22:25: `command` needs a program, e.g. [\"gh\", \"secret\", \"set\", \"RIXL_KEY\"]";
    assert_error(contents, expected);
}

#[test]
fn two_keys_may_not_share_a_secret_file() {
    assert_error(
        "version: 1\nrixl:\n  api_keys:\n    a:\n      key_id: A\n      secret: {file: s/k.key}\n    b:\n      key_id: B\n      secret: {file: ./s/k.key}\n",
        "keyrot.yaml:9:22: API keys `a` and `b` both write their secret to `./s/k.key`; the second rotation would overwrite the first key's secret",
    );
}

#[test]
fn what_validate_prints_for_a_valid_file() {
    let (directory, _) = desired_file(GOOD);
    let example_directory = Path::new(EXAMPLE_FILE).parent().unwrap();
    for (directory, snapshot) in [
        (directory.path(), "validate_valid"),
        (example_directory, "validate_valid_example"),
    ] {
        let output = keyrot_command()
            .current_dir(directory)
            .arg("validate")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert_eq!(stderr(&output), "");
        snapshot_settings().bind(|| {
            insta::assert_snapshot!(snapshot, stdout(&output));
        });
    }
}

#[test]
fn what_validate_prints_for_broken_files() {
    // Each file has more than one problem of its kind: the snapshots show which are reported.
    let cases: [(&str, &[u8]); 9] = [
        (
            "validate_error_unknown_field_among_others",
            b"\
version: 1
settings:
  max_rotations: 5
cloudflare:
  accounts:
    production:
      account_id: 023E105F
      max_key_age: 3mo
rixl:
  api_keys:
    ci:
      key_id: k1
      secret: {file: ci.key}
      rotate_by: tomorrow
",
        ),
        (
            "validate_error_unknown_field",
            b"\
version: 1
cloudflare:
  defaults:
    max_key_ages: 90d
  accounts:
    production:
      acount_id: 023e105f4ecef8ad9ca31a8372d0c353
",
        ),
        (
            "validate_error_duplicate_key",
            b"\
version: 1
cloudflare:
  accounts:
    production:
      account_id: 023e105f4ecef8ad9ca31a8372d0c353
      max_key_age: 90d
      max_key_age: 60d
    production:
      account_id: 1d5fdc9e88c8a8c4518b068cd94331fe
",
        ),
        (
            "validate_error_bad_duration",
            b"\
version: 1
cloudflare:
  defaults:
    max_key_age: 3mo
    rotation_window: 90
    min_rotation_gap: soon
  accounts:
    production:
      account_id: 023e105f4ecef8ad9ca31a8372d0c353
      max_key_age: -5d
",
        ),
        (
            "validate_error_bad_instant",
            b"\
version: 1
cloudflare:
  accounts:
    production:
      account_id: 023e105f4ecef8ad9ca31a8372d0c353
      rotate_by: 2026-12-01T00:00:00
    staging:
      account_id: 1d5fdc9e88c8a8c4518b068cd94331fe
      rotate_by: 2026-02-30
    analytics:
      account_id: 9a7806061c88ada191ed06f989cc3dac
      rotate_by: next tuesday
",
        ),
        (
            "validate_error_bad_numbers",
            b"\
version: 1
settings:
  max_rotations_per_apply: 0
cloudflare:
  rate_limit: 1200/5mo
  accounts:
    production:
      account_id: 023e105f4ecef8ad9ca31a8372d0c353
      key_rotation_interval_days: 400
",
        ),
        (
            "validate_error_rixl_sinks",
            b"\
version: 1
rixl:
  api_keys:
    ci-uploader:
      key_id: ak7Hq2
    deployer:
      key_id: bq8Jr3
      secret: {file: a, command: [cat]}
    placeholder:
      key_id: cr9Ks4
      secret: {file: REPLACE-WITH-SECRET-SINK}
",
        ),
        ("validate_error_not_yaml", b"version: 1\n\x89PNG\r\n\x1a\n"),
        (
            "validate_error_wrong_version",
            b"version: 2\ncloudflare: {}\n",
        ),
    ];
    for (snapshot, contents) in cases {
        let (code, error) = validate(contents);
        assert_eq!(code, Some(1), "{snapshot}");
        snapshot_settings().bind(|| {
            insta::assert_snapshot!(snapshot, error);
        });
    }
}

#[test]
fn a_rotation_gap_under_a_day_and_an_offset_beyond_rfc_3339_are_refused() {
    assert_error(
        "version: 1\ncloudflare:\n  defaults:\n    min_rotation_gap: 0d\n  accounts: {}\n",
        "keyrot.yaml:4:23: `min_rotation_gap` must be at least 1d, found `0d`: a shorter gap all \
         but turns off the guard against rotating a key twice in a row (Cloudflare keeps the \
         previous key valid for 7 days). To rotate sooner once, run `keyrot apply \
         --allow-rapid-rotation`",
    );
    assert_error(
        "version: 1\ncloudflare:\n  defaults:\n    rotate_by: 2026-12-01T00:00:00+25:00\n  accounts: {}\n",
        "keyrot.yaml:4:16: `2026-12-01T00:00:00+25:00`: the offset `+25:00` is outside RFC 3339's \
         range (-23:59 to +23:59)",
    );
}

#[test]
fn a_command_sink_takes_a_timeout_and_a_file_sink_does_not() {
    let file = |sink: &str| {
        format!("version: 1\nrixl:\n  api_keys:\n    k:\n      key_id: K1\n      secret: {sink}\n")
    };
    let (code, _) = validate(file("{command: [\"true\"], timeout: 5s}").as_bytes());
    assert_eq!(code, Some(0));
    assert_error(
        &file("{file: k.key, timeout: 5s}"),
        "keyrot.yaml:6:38: `timeout` applies to `command` sinks; a file is written at once",
    );
    assert_error(
        &file("{command: [\"true\"], timeout: 0s}"),
        "keyrot.yaml:6:44: `timeout` must be longer than zero",
    );
}

#[test]
fn a_sink_path_with_a_nul_byte_is_refused_before_any_rotate_can_fail_on_it() {
    assert_error(
        "version: 1\nrixl:\n  api_keys:\n    k:\n      key_id: K1\n      secret: {file: \"k\\0.key\"}\n",
        "keyrot.yaml:6:22: the path contains a NUL byte, which no file name can",
    );
}

#[test]
fn a_max_clock_skew_that_would_switch_the_clock_check_off_is_refused() {
    assert_error(
        "version: 1\nsettings:\n  max_clock_skew: 400d\n",
        "keyrot.yaml:3:19: `max_clock_skew` must be at most 1h: a longer one would let a clock \
         that lies by days decide rotations (fix the clock instead)",
    );
    assert_error(
        "version: 1\nsettings:\n  max_clock_skew: 0s\n",
        "keyrot.yaml:3:19: `max_clock_skew` must be longer than zero",
    );
}

#[test]
fn an_alert_webhook_env_that_cannot_name_a_variable_is_refused() {
    assert_error(
        "version: 1\nsettings:\n  alert_webhook_env: \"https://hooks.example.com/x\"\n",
        "keyrot.yaml:3:22: `alert_webhook_env` names an environment variable (letters, digits \
         and `_`), found \"https://hooks.example.com/x\"",
    );
}

#[test]
fn every_bad_name_in_a_sinks_env_is_named() {
    assert_error(
        "version: 1\nrixl:\n  api_keys:\n    ci:\n      key_id: K1\n      secret:\n        \
         command: [\"gh\"]\n        env: [GH_TOKEN, \"lower-case\", \"A=B\", \"\"]\n",
        "keyrot.yaml:8:14: `env` lists environment variable names (letters, digits and `_`), \
         found \"lower-case\", \"A=B\", \"\"",
    );
}

#[test]
fn what_a_new_user_trips_on_gets_the_fix() {
    let (directory, file) = desired_file("version: \"1\"\n");
    let quoted = run_with_env(&[], &file, &["validate"]);
    assert_eq!(
        stderr(&quoted).trim_end(),
        format!(
            "{}:1:10: `version` is a number: write `version: 1`, without quotes",
            file.display()
        )
    );
    std::fs::write(
        &file,
        "version: 1\ncloudflare:\n  defaults:\n    max_key_age: 3 months\n",
    )
    .unwrap();
    let months = run_with_env(&[], &file, &["validate"]);
    assert!(
        stderr(&months).contains("uses months or years"),
        "{}",
        stderr(&months)
    );
    std::fs::write(&file, "version: 1\n").unwrap();
    let empty = run_with_env(&[], &file, &["plan"]);
    assert_eq!(empty.status.code(), Some(0), "{}", stderr(&empty));
    assert!(
        stdout(&empty).contains("manages no resources yet"),
        "{}",
        stdout(&empty)
    );
    let seed = keyrot_command()
        .current_dir(directory.path())
        .args(["sandbox", "--seed", "missing.yaml"])
        .output()
        .unwrap();
    assert_eq!(
        stderr(&seed).trim_end(),
        "error: --seed missing.yaml: no such file; name a desired-state file to seed the \
         sandbox from"
    );
}

#[test]
fn both_vendors_without_credentials_are_named_at_once() {
    let (_directory, file) = desired_file(std::fs::read_to_string(EXAMPLE_FILE).unwrap());
    let plan = run_with_env(&[], &file, &["plan"]);
    assert_eq!(plan.status.code(), Some(1));
    let said = stderr(&plan);
    assert!(said.contains("error: no Cloudflare credentials"), "{said}");
    assert!(said.contains("error: no RIXL credentials"), "{said}");
}
