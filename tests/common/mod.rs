//! Shared test harness: an in-process sandbox on its own runtime, and the real binary run
//! against it.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the harness"
)]

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jiff::{SignedDuration, Timestamp};
use keyrot::sandbox::{
    Clock, Faults, RecordedRequest, Sandbox, SandboxAccount, SandboxConfig, SandboxCredentials,
    SandboxKey,
};

/// The instant every test's sandbox clock and `--now` agree on.
pub const NOW: &str = "2026-11-24T12:00:00Z";

pub fn now() -> Timestamp {
    NOW.parse().unwrap()
}

pub fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

pub fn days_ago(days: i64) -> Timestamp {
    now() - SignedDuration::from_hours(24 * days)
}

/// A sandbox running on a runtime of its own, so tests can block on the binary.
pub struct TestSandbox {
    pub sandbox: Sandbox,
    _runtime: tokio::runtime::Runtime,
}

impl TestSandbox {
    pub fn start(accounts: Vec<SandboxAccount>) -> Self {
        Self::with_faults(accounts, Faults::default())
    }

    pub fn with_faults(accounts: Vec<SandboxAccount>, faults: Faults) -> Self {
        Self::with_everything(accounts, Vec::new(), faults)
    }

    pub fn with_keys(accounts: Vec<SandboxAccount>, keys: Vec<SandboxKey>) -> Self {
        Self::with_everything(accounts, keys, Faults::default())
    }

    pub fn with_everything(
        accounts: Vec<SandboxAccount>,
        rixl_keys: Vec<SandboxKey>,
        faults: Faults,
    ) -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let config = SandboxConfig {
            clock: Clock::Fixed(now()),
            credentials: SandboxCredentials {
                api_token: "test-token-5f2c".to_owned(),
                email: "ops@example.com".to_owned(),
                api_key: "test-global-key-9d1e".to_owned(),
                rixl_token: "test-rixl-token-41aa".to_owned(),
                rixl_api_key: "rxl_test-exchange-key".to_owned(),
            },
            accounts,
            rixl_keys,
            faults,
        };
        let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let sandbox = runtime.block_on(Sandbox::start(listen, config)).unwrap();
        Self {
            sandbox,
            _runtime: runtime,
        }
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.sandbox.requests()
    }

    pub fn account(&self, account_id: &str) -> SandboxAccount {
        self.sandbox.account(account_id).unwrap()
    }

    pub fn writes(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|request| request.method != "GET")
            .collect()
    }

    /// Runs the binary against this sandbox at [`NOW`] with `args`, and waits for it.
    pub fn run(&self, file: &Path, args: &[&str]) -> Output {
        self.keyrot(file)
            .args(["--now", NOW])
            .args(args)
            .output()
            .unwrap()
    }

    /// The binary, pointed at this sandbox with the token.
    pub fn keyrot(&self, file: &Path) -> Command {
        let mut command = keyrot_command();
        command
            .env("CLOUDFLARE_BASE_URL", self.sandbox.cloudflare_base_url())
            .env(
                "CLOUDFLARE_API_TOKEN",
                &self.sandbox.credentials().api_token,
            )
            .env("RIXL_BASE_URL", self.sandbox.rixl_base_url())
            .env("RIXL_API_TOKEN", &self.sandbox.credentials().rixl_token)
            .arg("-f")
            .arg(file);
        command
    }
}

/// The binary with a clean environment: no credentials, no colors forced.
pub fn keyrot_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyrot"));
    for variable in [
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_EMAIL",
        "CLOUDFLARE_API_KEY",
        "CLOUDFLARE_BASE_URL",
        "RIXL_API_TOKEN",
        "RIXL_API_KEY",
        "RIXL_BASE_URL",
        "NO_COLOR",
    ] {
        command.env_remove(variable);
    }
    command
}

/// Runs the binary with a clean environment plus `env`, on `file`, with `args`.
pub fn run_with_env(env: &[(&str, &str)], file: &Path, args: &[&str]) -> Output {
    keyrot_command()
        .envs(env.iter().copied())
        .arg("-f")
        .arg(file)
        .args(args)
        .output()
        .unwrap()
}

pub fn account(account_id: &str, interval: u32, last_rotation: Timestamp) -> SandboxAccount {
    SandboxAccount {
        account_id: account_id.to_owned(),
        key_rotation_interval_days: interval,
        last_key_rotation_at: last_rotation,
    }
}

/// Writes `contents` to `keyrot.yaml` in a fresh directory.
pub fn desired_file(contents: &str) -> (tempfile::TempDir, PathBuf) {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("keyrot.yaml");
    std::fs::write(&path, contents).unwrap();
    (directory, path)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Snapshot settings: the top-level `snapshots/` folder, temp paths hidden.
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT");
    settings.add_filter(r"/tmp/[^\s\x22]*/keyrot\.yaml", "keyrot.yaml");
    settings
}

pub fn id(n: usize) -> String {
    format!("{n:032x}")
}

/// `count` accounts: even ones need an interval update (90 -> 30), odd ones a rotation (their
/// key is 60 days old, max_key_age 30d). `rate_limit` goes into the file when given.
pub fn fleet(count: usize, rate_limit: Option<&str>) -> (String, Vec<SandboxAccount>) {
    let mut file = String::from("version: 1\ncloudflare:\n");
    if let Some(rate_limit) = rate_limit {
        file.push_str(&format!("  rate_limit: {rate_limit}\n"));
    }
    file.push_str("  defaults:\n    max_key_age: 30d\n  accounts:\n");
    let mut accounts = Vec::new();
    for n in 1..=count {
        file.push_str(&format!("    account-{n}:\n      account_id: {}\n", id(n)));
        if n % 2 == 0 {
            file.push_str("      key_rotation_interval_days: 30\n");
            accounts.push(account(&id(n), 90, days_ago(10)));
        } else {
            accounts.push(account(&id(n), 90, days_ago(60)));
        }
    }
    (file, accounts)
}
