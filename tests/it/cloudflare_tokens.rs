//! Cloudflare API tokens end to end: user and account tokens rolled once into their sinks, the
//! journal as the record of the last roll, the refusals (a disabled token, the managing token,
//! credentials that are not a token), a lost answer recovered, the shared Cloudflare budget,
//! and every request checked against the OpenAPI extract.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use keyrot::sandbox::{Faults, ServerRateLimit};
use keyrot::vendor::cloudflare_tokens::sandbox::{MANAGING_TOKEN_ID, SandboxToken};
use serde_json::Value;

use crate::harness::{
    TestSandbox, Workspace, account, days_ago, id, mode, now, run_with_env, snapshot_settings,
    stderr, stdout,
};

const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const CI: &str = "ed17574386854bf78a67040be0a770b0";
const BILLING: &str = "4f2a0c6b8e1d4a7f9b3c5e7d9f1a3b5c";
const FRESH: &str = "aa17574386854bf78a67040be0a770b1";

/// A token issued `age_days` ago, of `account_id` (the user's when `None`), with a value.
fn token(id: &str, account_id: Option<&str>, age_days: i64) -> SandboxToken {
    SandboxToken {
        id: id.to_owned(),
        name: format!("token {id}"),
        account_id: account_id.map(str::to_owned),
        status: "active".to_owned(),
        issued_on: days_ago(age_days),
        modified_on: days_ago(age_days),
        expires_on: None,
        value: Some(format!("cfut_seeded-value-of-{id}")),
    }
}

/// A file of the user's `ci` token, the account's `billing` token and the user's `fresh`
/// one, each with max_key_age 90d and a file sink.
fn tokens_file() -> String {
    format!(
        "version: 1\ncloudflare_tokens:\n  defaults:\n    max_key_age: 90d\n  tokens:\n    \
         ci:\n      token_id: {CI}\n      secret: {{file: secrets/ci.token}}\n    billing:\n      \
         account_id: {ACCOUNT}\n      token_id: {BILLING}\n      secret: {{file: secrets/billing.token}}\n    \
         fresh:\n      token_id: {FRESH}\n      secret: {{file: secrets/fresh.token}}\n"
    )
}

/// A sandbox holding the three tokens: `ci` 100 days old (its policies edited 10 days ago,
/// which does not make it younger), `billing` 120 days old, `fresh` 10 days old.
fn sandbox(faults: Faults) -> TestSandbox {
    let mut ci = token(CI, None, 100);
    ci.modified_on = days_ago(10);
    let tokens = vec![
        ci,
        token(BILLING, Some(ACCOUNT), 120),
        token(FRESH, None, 10),
    ];
    TestSandbox::with_tokens(Vec::new(), tokens, faults)
}

fn value_of(sandbox: &TestSandbox, id: &str) -> String {
    sandbox.tokens().token(id).unwrap().value.unwrap()
}

fn rolls(sandbox: &TestSandbox) -> Vec<(String, usize)> {
    let rotations = sandbox.sandbox.counters().rotations;
    rotations.into_iter().collect()
}

#[test]
fn due_user_and_account_tokens_are_rolled_once_into_their_sinks_and_a_second_apply_rolls_nothing() {
    let sandbox = sandbox(Faults::default());
    let workspace = Workspace::new(&tokens_file());
    let plan = sandbox.run(&workspace.file(), &["plan"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let shown = stdout(&plan);
    assert!(
        shown.contains("roll token: new secret -> file secrets/ci.token"),
        "{shown}"
    );
    assert!(shown.contains("billing"), "{shown}");
    let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert_eq!(
        rolls(&sandbox),
        [(BILLING.to_owned(), 1), (CI.to_owned(), 1)]
    );
    for (name, id) in [("ci", CI), ("billing", BILLING)] {
        let sink = workspace.path(&format!("secrets/{name}.token"));
        let value = value_of(&sandbox, id);
        assert_eq!(
            std::fs::read_to_string(&sink).unwrap(),
            format!("{value}\n")
        );
        assert_eq!(mode(&sink), 0o600);
        for output in [&plan, &apply] {
            let printed = format!("{}{}", stdout(output), stderr(output));
            assert!(!printed.contains(&value), "a new value was printed");
            assert!(
                !printed.contains("cfut_") && !printed.contains("cfat_"),
                "{printed}"
            );
        }
    }
    assert!(!workspace.path("secrets/fresh.token").exists());
    // Cloudflare keeps issued_on when it rolls: the journal says the tokens are new now.
    let again = sandbox.run(&workspace.file(), &["plan", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    let second = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert_eq!(rolls(&sandbox).len(), 2, "the second apply rolled nothing");
    assert!(rolls(&sandbox).iter().all(|(_, count)| *count == 1));
}

#[test]
fn a_plan_of_tokens_in_every_format() {
    let mut ci = token(CI, None, 100);
    ci.expires_on = Some(now() + SignedDuration::from_hours(24 * 20));
    let tokens = vec![
        ci,
        token(BILLING, Some(ACCOUNT), 120),
        token(FRESH, None, 10),
    ];
    let sandbox = TestSandbox::with_tokens(Vec::new(), tokens, Faults::default());
    let workspace = Workspace::new(&tokens_file());
    let settings = snapshot_settings();
    for (format, name) in [
        ("human", "tokens_plan_human"),
        ("json", "tokens_plan_json"),
        ("markdown", "tokens_plan_markdown"),
    ] {
        let plan = sandbox.run(&workspace.file(), &["plan", "--format", format]);
        assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
        settings.bind(|| insta::assert_snapshot!(name, stdout(&plan)));
    }
}

#[test]
fn a_token_just_rolled_by_a_keyrot_with_another_journal_is_not_rolled_again() {
    let sandbox = sandbox(Faults::default());
    let laptop = Workspace::new(&tokens_file());
    let apply = sandbox.run(&laptop.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    // A second checkout: its journal knows nothing of that roll, and issued_on did not move.
    let ci = Workspace::new(&tokens_file());
    let plan = sandbox.run(&ci.file(), &["plan"]);
    let shown = stdout(&plan);
    assert!(shown.contains("deferred: modified_on moved"), "{shown}");
    let second = sandbox.run(&ci.file(), &["apply", "--auto-approve"]);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        rolls(&sandbox).iter().all(|(_, count)| *count == 1),
        "{:?}",
        rolls(&sandbox)
    );
}

#[test]
fn a_value_pasted_where_an_id_goes_is_refused_and_never_shown() {
    let value = "cfut_39e0b35be3f8e9fc774c9bc18d7d398cf4cba8c4a84d84f9016d9e05";
    let secret = "rxl_9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    let account = "cfat_0e8f6ad8b5f2a09c7e1d4b3a2f9c8e7d6a5b4c3d2e1f0a9b";
    let file = format!(
        "version: 1\ncloudflare_tokens:\n  tokens:\n    ci:\n      token_id: {value}\n      \
         secret: {{file: secrets/ci.token}}\nrixl:\n  api_keys:\n    up:\n      key_id: \
         {secret}\n      secret: {{file: secrets/up.key}}\ncloudflare:\n  accounts:\n    \
         prod:\n      account_id: {account}\n"
    );
    let workspace = Workspace::new(&file);
    let validate = crate::harness::keyrot_command()
        .arg("-f")
        .arg(workspace.file())
        .arg("validate")
        .output()
        .unwrap();
    assert_eq!(validate.status.code(), Some(1));
    let message = stderr(&validate);
    assert!(
        message.contains(":5:17: token_id holds what looks like a token's value"),
        "{message}"
    );
    assert!(
        message.contains("key_id holds what looks like a key's secret"),
        "{message}"
    );
    assert!(
        message.contains("account_id holds what looks like an API token's value"),
        "{message}"
    );
    for shown in [value, secret, account] {
        crate::harness::assert_never_shown(&validate, shown);
    }
}

/// `keyrot import cloudflare-tokens ARGS` against `sandbox`.
fn import(sandbox: &TestSandbox, args: &[&str]) -> std::process::Output {
    let mut command = sandbox.keyrot_anywhere();
    command.args(["import", "cloudflare-tokens"]).args(args);
    command.output().unwrap()
}

#[test]
fn import_writes_the_users_and_the_accounts_tokens_but_not_the_managing_one() {
    let sandbox = sandbox(Faults::default());
    sandbox.tokens().set_status(FRESH, "disabled");
    let twice = ["--all", "--account", ACCOUNT, "--account", ACCOUNT];
    let imported = import(&sandbox, &twice);
    assert_eq!(imported.status.code(), Some(0), "{}", stderr(&imported));
    let yaml = stdout(&imported);
    // A disabled token could never be rolled: a rule would make every plan refuse it.
    assert!(!yaml.contains(&format!("token_id: {FRESH}")), "{yaml}");
    let left_out =
        format!("# not imported, as it cannot be rolled: \"token {FRESH}\" ({FRESH}): disabled");
    assert!(yaml.contains(&left_out), "{yaml}");
    for id in [CI, BILLING] {
        let entry = format!("token_id: {id}\n");
        assert_eq!(yaml.matches(&entry).count(), 1, "{id} once in\n{yaml}");
    }
    assert!(yaml.contains(&format!("account_id: {ACCOUNT}\n      token_id: {BILLING}")));
    assert!(!yaml.contains(MANAGING_TOKEN_ID), "{yaml}");
    let note = stderr(&imported);
    assert!(
        note.contains(&format!("2 Cloudflare API tokens imported (not the managing token \"keyrot (managing token)\", {MANAGING_TOKEN_ID}")),
        "{note}"
    );
    let unknown = import(&sandbox, &["--account", "0000000000000000000000000000dead"]);
    assert_eq!(unknown.status.code(), Some(1), "{}", stdout(&unknown));
    assert!(
        stderr(&unknown).contains("HTTP 404: 7003 No route for the URI"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn a_disabled_due_token_is_refused_in_one_line_and_nothing_is_rolled() {
    let sandbox = sandbox(Faults::default());
    sandbox.tokens().set_status(BILLING, "disabled");
    let workspace = Workspace::new(&tokens_file());
    for args in [&["plan"][..], &["apply", "--auto-approve"]] {
        let refused = sandbox.run(&workspace.file(), args);
        assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
        let message = stderr(&refused);
        assert!(
            message.contains("cloudflare_tokens.tokens.billing: the api token is disabled and due"),
            "{message}"
        );
        assert!(
            message.contains("keyrot rotates nothing while it is"),
            "{message}"
        );
    }
    assert!(rolls(&sandbox).is_empty());
}

#[test]
fn the_managing_token_in_the_file_is_refused_before_anything_is_rolled() {
    let sandbox = sandbox(Faults::default());
    let file = format!(
        "{}    keyrot:\n      token_id: {MANAGING_TOKEN_ID}\n      secret: {{file: secrets/k.token}}\n",
        tokens_file()
    );
    let workspace = Workspace::new(&file);
    let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    let message = stderr(&apply);
    assert!(
        message.contains(
            "cloudflare_tokens.tokens.keyrot: this api token is the one keyrot authenticates with"
        ),
        "{message}"
    );
    assert!(
        message.contains("Authenticate with a separate api token"),
        "{message}"
    );
    assert!(rolls(&sandbox).is_empty());
}

#[test]
fn a_saved_plan_is_stale_once_a_token_it_rolls_was_edited_and_nothing_is_rolled() {
    let sandbox = sandbox(Faults::default());
    let workspace = Workspace::new(&tokens_file());
    let plan_file = workspace.path("tokens.plan");
    let plan_file = plan_file.to_str().unwrap();
    let plan = sandbox.run(&workspace.file(), &["plan", "--out", plan_file]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    sandbox.tokens().edit_policies(BILLING);
    let apply = sandbox.run(&workspace.file(), &["apply", plan_file]);
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    let shown = stderr(&apply);
    assert!(shown.contains("plan is stale"), "{shown}");
    assert!(shown.contains("billing: modified_on"), "{shown}");
    assert!(rolls(&sandbox).is_empty(), "{shown}");
}

#[test]
fn an_email_and_global_key_cannot_manage_tokens_and_no_request_is_sent() {
    let sandbox = sandbox(Faults::default());
    let workspace = Workspace::new(&tokens_file());
    let credentials = sandbox.credentials();
    let base_url = sandbox.cloudflare_base_url();
    let env = [
        ("CLOUDFLARE_BASE_URL", base_url.as_str()),
        ("CLOUDFLARE_EMAIL", credentials.email),
        ("CLOUDFLARE_API_KEY", credentials.api_key),
    ];
    let plan = run_with_env(&env, &workspace.file(), &["plan"]);
    assert_eq!(plan.status.code(), Some(1), "{}", stdout(&plan));
    let message = stderr(&plan);
    assert!(
        message.contains("CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY cannot"),
        "{message}"
    );
    assert!(!message.contains(credentials.api_key));
    assert!(sandbox.requests().is_empty());
}

#[test]
fn a_roll_whose_answer_is_lost_is_a_lost_secret_that_the_next_apply_recovers() {
    let faults = Faults {
        rotate_then_drop_rate: 1.0,
        ..Faults::default()
    };
    let sandbox = sandbox(faults);
    let workspace = Workspace::new(&tokens_file());
    let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    let shown = format!("{}{}", stdout(&apply), stderr(&apply));
    assert!(shown.contains("takes it for lost"), "{shown}");
    assert!(shown.contains("modified_on moved to"), "{shown}");
    assert_eq!(rolls(&sandbox).len(), 2, "each roll was sent once");
    sandbox.sandbox.set_faults(Faults::default());
    let plan = sandbox.run(&workspace.file(), &["plan"]);
    assert!(stdout(&plan).contains("lost"), "{}", stdout(&plan));
    let recover = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(recover.status.code(), Some(0), "{}", stderr(&recover));
    for (name, id) in [("ci", CI), ("billing", BILLING)] {
        let sink = workspace.path(&format!("secrets/{name}.token"));
        assert_eq!(
            std::fs::read_to_string(sink).unwrap(),
            format!("{}\n", value_of(&sandbox, id))
        );
    }
    let converged = sandbox.run(&workspace.file(), &["plan", "--detailed-exitcode"]);
    assert_eq!(converged.status.code(), Some(0), "{}", stdout(&converged));
}

#[test]
fn access_keys_and_tokens_spend_one_cloudflare_budget_and_meet_no_429() {
    let faults = Faults {
        rate_limit: Some(ServerRateLimit {
            requests: 5,
            window: Duration::from_secs(1),
            block: Duration::from_secs(60),
        }),
        ..Faults::default()
    };
    let accounts: Vec<_> = (0..10).map(|n| account(&id(n), 90, days_ago(10))).collect();
    let tokens = vec![
        token(CI, None, 10),
        token(BILLING, Some(ACCOUNT), 10),
        token(FRESH, None, 10),
    ];
    let sandbox = TestSandbox::with_tokens(accounts, tokens, faults);
    let mut file = String::from("version: 1\ncloudflare:\n  rate_limit: 5/1s\n  accounts:\n");
    for n in 0..10 {
        file.push_str(&format!("    a{n}:\n      account_id: {}\n", id(n)));
    }
    let tokens_section = tokens_file().replace("version: 1\n", "");
    file.push_str(&tokens_section.replace(
        "cloudflare_tokens:\n",
        "cloudflare_tokens:\n  rate_limit: 5/1s\n",
    ));
    let workspace = Workspace::new(&file);
    let plan = sandbox.run(&workspace.file(), &["plan"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    assert_eq!(sandbox.sandbox.counters().throttled, 0, "a 429 was met");
}

/// The OpenAPI extract's operation for a request: the account routes have the same shapes as
/// the user's, under `/accounts/{account_id}`.
fn operation<'a>(openapi: &'a Value, method: &str, path: &str) -> Option<&'a Value> {
    let path = path.strip_prefix("/client/v4")?;
    let user_path = match path.strip_prefix("/accounts/") {
        Some(rest) => format!("/user{}", &rest[rest.find('/')?..]),
        None => path.to_owned(),
    };
    let segments: Vec<&str> = user_path.split('/').collect();
    let paths = openapi["paths"].as_object()?;
    let (_, operations) = paths.iter().find(|(template, _)| {
        let pattern: Vec<&str> = template.split('/').collect();
        pattern.len() == segments.len()
            && pattern
                .iter()
                .zip(&segments)
                .all(|(p, s)| p.starts_with('{') || p == s)
            && !(template.ends_with("{token_id}") && segments.last() == Some(&"verify"))
    })?;
    operations.get(method.to_lowercase())
}

#[test]
fn every_request_for_tokens_is_an_operation_of_the_openapi_extract_with_valid_parameters() {
    let text = include_str!("../openapi/cloudflare-api-tokens.openapi.json");
    let openapi: Value = serde_json::from_str(text).unwrap();
    let sandbox = sandbox(Faults::default());
    let workspace = Workspace::new(&tokens_file());
    let apply = sandbox.run(&workspace.file(), &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let requests = sandbox.requests();
    assert!(requests.len() >= 6, "{requests:?}");
    for request in requests {
        let found = operation(&openapi, &request.method, &request.path);
        let Some(operation) = found else {
            panic!(
                "{} {} is not in the OpenAPI extract",
                request.method, request.path
            );
        };
        let parameters = operation["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for pair in request.query.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap();
            if name == "include_expired" && request.path.contains("/accounts/") {
                // The account lists' own parameter (README: "account lists also take
                // include_expired"), absent from the user operations of the extract.
                assert_eq!(value, "true");
                continue;
            }
            let parameter = parameters.iter().find(|p| p["name"] == name);
            let Some(schema) = parameter.map(|p| &p["schema"]) else {
                panic!(
                    "{name} is not a parameter of {} {}",
                    request.method, request.path
                );
            };
            let number: f64 = value.parse().unwrap();
            let within = schema["minimum"].as_f64().is_none_or(|min| number >= min)
                && schema["maximum"].as_f64().is_none_or(|max| number <= max);
            assert!(within, "{name}={value} is outside {schema}");
        }
    }
}

#[test]
fn a_token_expiring_before_its_next_roll_is_warned_about_and_an_expired_one_is_drift() {
    let mut ci = token(CI, None, 10);
    ci.expires_on = Some(now() + SignedDuration::from_hours(24 * 60));
    let mut fresh = token(FRESH, None, 10);
    fresh.expires_on = Some(Timestamp::from_second(now().as_second() - 3_600).unwrap());
    fresh.status = "expired".to_owned();
    let mut billing = token(BILLING, Some(ACCOUNT), 10);
    billing.expires_on = Some(now() + SignedDuration::from_hours(24 * 300));
    let sandbox = TestSandbox::with_tokens(Vec::new(), vec![ci, billing, fresh], Faults::default());
    let workspace = Workspace::new(&tokens_file());
    let drift = sandbox.run(&workspace.file(), &["drift"]);
    let shown = stdout(&drift);
    assert!(shown.contains("before its next rotation is due"), "{shown}");
    assert!(shown.contains("the key expired on"), "{shown}");
    assert_eq!(
        drift.status.code(),
        Some(2),
        "an expired token is drift: {shown}"
    );
}
