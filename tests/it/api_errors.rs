//! Failures at the API and in the environment: each names the account and carries the API's own
//! code and message, exits 1, and never prints a credential.

use crate::harness::{
    TestSandbox, account, assert_never_shown, days_ago, desired_file, keyrot_command, run_with_env,
    stderr, stdout,
};

const PRODUCTION: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const UNKNOWN: &str = "ffffffffffffffffffffffffffffffff";

fn one_account(account_id: &str) -> String {
    format!(
        "version: 1\ncloudflare:\n  accounts:\n    production:\n      account_id: {account_id}\n      key_rotation_interval_days: 30\n"
    )
}

fn production_sandbox() -> TestSandbox {
    TestSandbox::start(vec![account(PRODUCTION, 90, days_ago(10))])
}

#[test]
fn wrong_token_is_an_authentication_error_naming_the_variable_to_check() {
    let sandbox = production_sandbox();
    let (_dir, file) = desired_file(one_account(PRODUCTION));
    let output = sandbox
        .keyrot(&file)
        .env("CLOUDFLARE_API_TOKEN", "wrong-token-3e8a")
        .arg("plan")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let error = stderr(&output);
    assert_eq!(
        error.trim(),
        format!(
            "error: Cloudflare: the API refused the credentials (HTTP 403: 10000 Authentication error); check CLOUDFLARE_API_TOKEN and what it may access. Reading from Cloudflare stopped there: 1 account not read"
        )
    );
    assert_never_shown(&output, "wrong-token-3e8a");
}

#[test]
fn email_and_key_authenticate_too() {
    let sandbox = production_sandbox();
    let (_dir, file) = desired_file(one_account(PRODUCTION));
    let credentials = sandbox.credentials();
    let output = sandbox
        .keyrot(&file)
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env("CLOUDFLARE_EMAIL", credentials.email)
        .env("CLOUDFLARE_API_KEY", credentials.api_key)
        .arg("plan")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_never_shown(&output, credentials.api_key);
}

#[test]
fn wrong_key_is_refused_and_never_printed() {
    let sandbox = production_sandbox();
    let (_dir, file) = desired_file(one_account(PRODUCTION));
    let output = sandbox
        .keyrot(&file)
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env("CLOUDFLARE_EMAIL", "ops@example.com")
        .env("CLOUDFLARE_API_KEY", "not-the-key-77c1")
        .arg("plan")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("HTTP 403: 10000 Authentication error"));
    assert_never_shown(&output, "not-the-key-77c1");
}

#[test]
fn an_unknown_account_is_no_route_naming_it() {
    let sandbox = production_sandbox();
    let (_dir, file) = desired_file(one_account(UNKNOWN));
    let output = sandbox.run(&file, &["plan"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output).trim(),
        format!(
            "error: cloudflare account \"production\" ({UNKNOWN}): GET /accounts/{UNKNOWN}/access/keys failed: HTTP 404: 7003 No route for the URI; check account_id"
        )
    );
}

#[test]
fn half_a_credential_pair_fails_before_any_request() {
    let sandbox = production_sandbox();
    let (_dir, file) = desired_file(one_account(PRODUCTION));
    let output = sandbox
        .keyrot(&file)
        .env_remove("CLOUDFLARE_API_TOKEN")
        .env("CLOUDFLARE_EMAIL", "ops@example.com")
        .arg("plan")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("CLOUDFLARE_EMAIL is set but CLOUDFLARE_API_KEY is not"),
        "{}",
        stderr(&output)
    );
    assert!(sandbox.requests().is_empty());
}

#[test]
fn no_credentials_at_all_is_a_clear_error() {
    let (_dir, file) = desired_file(one_account(PRODUCTION));
    let output = run_with_env(&[], &file, &["plan"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("no Cloudflare credentials in the environment"));
}

#[test]
fn plain_http_to_another_host_is_refused_before_any_request() {
    let (_dir, file) = desired_file(one_account(PRODUCTION));
    let env = [
        ("CLOUDFLARE_BASE_URL", "http://api.example.com/client/v4"),
        ("CLOUDFLARE_API_TOKEN", "t"),
    ];
    let output = run_with_env(&env, &file, &["plan"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("plain http:// is accepted only for loopback hosts"));
}

#[test]
fn an_unreachable_api_is_a_transport_error_naming_the_variable_to_check() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_dir, file) = desired_file(one_account(PRODUCTION));
    let base_url = format!("http://127.0.0.1:{closed_port}/client/v4");
    let env = [
        ("CLOUDFLARE_BASE_URL", base_url.as_str()),
        ("CLOUDFLARE_API_TOKEN", "t"),
    ];
    let output = run_with_env(&env, &file, &["plan"]);
    assert_eq!(output.status.code(), Some(1));
    let error = stderr(&output);
    assert!(
        error.starts_with("error: Cloudflare: cannot connect to 127.0.0.1:"),
        "{error}"
    );
    assert!(
        error.contains(
            "check CLOUDFLARE_BASE_URL. Reading from Cloudflare stopped there: 1 account not read"
        ),
        "{error}"
    );
}

#[test]
fn usage_errors_exit_1_not_2() {
    let output = keyrot_command()
        .args(["plan", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let help = keyrot_command().args(["plan", "--help"]).output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("Example: keyrot plan"));
}
