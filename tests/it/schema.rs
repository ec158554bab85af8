//! The editor schema agrees with the real loader: it accepts the example, rejects a broken
//! copy, and every object lists exactly the fields the loader knows.

use std::collections::BTreeSet;
use std::path::Path;

use keyrot::config::{ConfigError, desired_state_schema, load_bytes};
use serde_json::Value;

use crate::harness::{EXAMPLE, keyrot_command, snapshot_settings, stderr, stdout};

fn as_json(yaml: &str) -> Value {
    serde_saphyr::from_str(yaml).expect("valid YAML")
}

#[test]
fn the_example_is_valid_and_a_broken_copy_is_not() {
    let schema = desired_state_schema();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    assert!(validator.is_valid(&as_json(EXAMPLE)));

    for broken in [
        EXAMPLE.replace(
            "key_rotation_interval_days: 30",
            "key_rotation_interval_days: 400",
        ),
        EXAMPLE.replace(
            "account_id: 023e105f4ecef8ad9ca31a8372d0c353",
            "acount_id: 023e105f4ecef8ad9ca31a8372d0c353",
        ),
        EXAMPLE.replace("max_key_age: 60d", "max_key_age: 2 months"),
        EXAMPLE.replace(
            "file: secrets/ci-uploader.key",
            "file: secrets/ci-uploader.key\n        command: [cat]",
        ),
        EXAMPLE.replace("version: 1", "version: 2"),
    ] {
        assert!(
            !validator.is_valid(&as_json(&broken)),
            "accepted:\n{broken}"
        );
        let loaded = load_bytes("keyrot.yaml", broken.as_bytes(), Path::new("."));
        assert!(
            loaded.is_err(),
            "the loader accepted what the schema refuses:\n{broken}"
        );
    }
}

/// The fields the loader knows at the place `document` puts an unknown field, from its error.
fn known_fields(document: &str) -> BTreeSet<String> {
    let Err(ConfigError::Invalid { diagnostics, .. }) =
        load_bytes("keyrot.yaml", document.as_bytes(), Path::new("."))
    else {
        panic!("an unknown field was accepted:\n{document}");
    };
    let list = diagnostics
        .iter()
        .find_map(|diagnostic| diagnostic.message.split_once("known fields: "))
        .map(|(_, rest)| rest.trim_end_matches(')'))
        .unwrap_or_else(|| panic!("no field list in: {diagnostics:?}"));
    list.split(", ")
        .map(|field| field.trim_matches('`').to_owned())
        .collect()
}

/// The property names of the schema object at `pointer`.
fn schema_fields(schema: &Value, pointer: &str) -> BTreeSet<String> {
    schema
        .pointer(pointer)
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("no properties at {pointer}"))
        .keys()
        .cloned()
        .collect()
}

#[test]
fn every_object_lists_exactly_the_fields_the_loader_knows() {
    let schema = desired_state_schema();
    let places = [
        ("version: 1\nzzz: 1\n", "/properties", &[][..]),
        (
            "version: 1\nsettings: {zzz: 1}\n",
            "/properties/settings/properties",
            &[],
        ),
        (
            "version: 1\ncloudflare: {zzz: 1}\n",
            "/properties/cloudflare/properties",
            &[],
        ),
        (
            "version: 1\ncloudflare: {defaults: {zzz: 1}}\n",
            "/properties/cloudflare/properties/defaults/properties",
            &["account_id"],
        ),
        (
            "version: 1\ncloudflare: {accounts: {a: {zzz: 1}}}\n",
            "/$defs/cloudflare_account/properties",
            &[],
        ),
        (
            "version: 1\nrixl: {zzz: 1}\n",
            "/properties/rixl/properties",
            &[],
        ),
        (
            "version: 1\nrixl: {defaults: {zzz: 1}}\n",
            "/properties/rixl/properties/defaults/properties",
            &["key_id", "secret"],
        ),
        (
            "version: 1\nrixl: {api_keys: {a: {zzz: 1}}}\n",
            "/$defs/rixl_key/properties",
            &[],
        ),
        (
            "version: 1\nrixl: {api_keys: {a: {key_id: A, secret: {zzz: 1}}}}\n",
            "/$defs/secret_sink/properties",
            &[],
        ),
    ];
    for (document, pointer, loader_only) in places {
        let mut expected = known_fields(document);
        for field in loader_only {
            assert!(expected.remove(*field), "{field} at {pointer}");
        }
        assert_eq!(schema_fields(&schema, pointer), expected, "at {pointer}");
    }
}

#[test]
fn keyrot_schema_prints_the_schema() {
    let output = keyrot_command().arg("schema").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let printed: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(printed, desired_state_schema());
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("schema_json", stdout(&output));
    });
}

#[test]
fn completions_generate_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = keyrot_command()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = stdout(&output);
        assert!(
            script.contains("keyrot") && script.contains("drift"),
            "{shell}"
        );
    }
}

#[test]
fn every_command_help_carries_an_example() {
    for command in [
        "plan",
        "apply",
        "drift",
        "show",
        "validate",
        "import",
        "schema",
        "completions",
        "sandbox",
        "demo",
    ] {
        let output = keyrot_command().args([command, "--help"]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{command}");
        assert!(
            stdout(&output).contains(&format!("Example: keyrot {command}")),
            "{command} --help has no example"
        );
    }
}

#[test]
fn a_flag_a_command_does_not_use_is_refused_and_left_out_of_its_help() {
    let refused = keyrot_command()
        .args(["--now", "2026-11-24", "validate"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("usage_error_unused_flag", stderr(&refused));
    });
    let nested = keyrot_command()
        .args(["import", "cloudflare", "--all", "--file", "x.yaml"])
        .output()
        .unwrap();
    assert_eq!(nested.status.code(), Some(1));
    assert!(stderr(&nested).contains("--file means nothing to `keyrot import`"));

    let help = keyrot_command()
        .args(["schema", "--help"])
        .output()
        .unwrap();
    for flag in ["--file", "--now", "--parallelism", "--quiet", "--color"] {
        assert!(!stdout(&help).contains(flag), "schema --help shows {flag}");
    }
    let help = keyrot_command().args(["plan", "--help"]).output().unwrap();
    assert!(stdout(&help).contains("--now <INSTANT>"));
}
