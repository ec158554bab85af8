//! Shared test harness: an in-process sandbox on its own runtime, the real binary run against it
//! (on a pipe or on a pseudo-terminal), fixtures, and the snapshot settings.
//!
//! `benches/scale.rs` includes this file too (`#[path]`), so it must build as part of either.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use jiff::{SignedDuration, Timestamp};
use keyrot::sandbox::{Clock, Faults, RecordedRequest, Sandbox, SandboxConfig};
use keyrot::vendor::cloudflare::sandbox::{
    SandboxAccount, SandboxCloudflareCredentials, SimulatedCloudflare,
};
use keyrot::vendor::cloudflare_tokens::sandbox::{SandboxToken, SimulatedTokens};
use keyrot::vendor::rixl::sandbox::{SandboxKey, SandboxRixlCredentials, SimulatedRixl};

/// The instant every test's sandbox clock and `--now` agree on.
pub const NOW: &str = "2026-11-24T12:00:00Z";

/// The example desired-state file, as text.
pub const EXAMPLE: &str = include_str!("../../examples/keyrot.yaml");

/// The example desired-state file's path.
pub const EXAMPLE_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/keyrot.yaml");

pub fn now() -> Timestamp {
    NOW.parse().unwrap()
}

pub fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

pub fn days(count: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * count)
}

pub fn days_ago(count: i64) -> Timestamp {
    now() - days(count)
}

/// The credentials every test's sandbox accepts.
#[derive(Clone)]
pub struct TestCredentials {
    /// Cloudflare's `Authorization: Bearer`.
    pub api_token: &'static str,
    /// Cloudflare's `X-Auth-Email`.
    pub email: &'static str,
    /// Cloudflare's `X-Auth-Key`.
    pub api_key: &'static str,
    /// RIXL's `Authorization: Bearer`.
    pub rixl_token: &'static str,
    /// RIXL's API key, exchanged for a token.
    pub rixl_api_key: &'static str,
}

pub const CREDENTIALS: TestCredentials = TestCredentials {
    api_token: "test-token-5f2c",
    email: "ops@example.com",
    api_key: "test-global-key-9d1e",
    rixl_token: "test-rixl-token-41aa",
    rixl_api_key: "rxl_test-exchange-key",
};

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
        Self::at(now(), accounts, rixl_keys, faults)
    }

    /// A sandbox whose clock stands at `instant`.
    pub fn at(
        instant: Timestamp,
        accounts: Vec<SandboxAccount>,
        rixl_keys: Vec<SandboxKey>,
        faults: Faults,
    ) -> Self {
        Self::on(Clock::Fixed(instant), accounts, rixl_keys, faults)
    }

    /// A sandbox whose clock is `clock`: [`Clock::System`] for a run longer than keyrot's
    /// `max_clock_skew`, which a clock standing still would fail.
    pub fn on(
        clock: Clock,
        accounts: Vec<SandboxAccount>,
        rixl_keys: Vec<SandboxKey>,
        faults: Faults,
    ) -> Self {
        let config = sandbox_config(clock, (accounts, rixl_keys, Vec::new()), faults);
        Self::of(config)
    }

    /// A sandbox at [`NOW`] whose Cloudflare has `accounts` and API `tokens` (and the
    /// managing token), with `faults`.
    pub fn with_tokens(
        accounts: Vec<SandboxAccount>,
        tokens: Vec<SandboxToken>,
        faults: Faults,
    ) -> Self {
        Self::holding(Clock::Fixed(now()), (accounts, Vec::new(), tokens), faults)
    }

    /// A sandbox on `clock` holding Cloudflare accounts, RIXL keys and Cloudflare API tokens
    /// (and the managing token), with `faults`.
    pub fn holding(
        clock: Clock,
        seeds: (Vec<SandboxAccount>, Vec<SandboxKey>, Vec<SandboxToken>),
        faults: Faults,
    ) -> Self {
        Self::of(sandbox_config(clock, seeds, faults))
    }

    /// A sandbox on `clock` holding every resource of `desired`, as `keyrot sandbox --seed`
    /// makes them, with `faults`.
    pub fn seeded(clock: Clock, desired: &keyrot::config::DesiredState, faults: Faults) -> Self {
        use keyrot::vendor::{cloudflare, cloudflare_tokens, rixl};
        let now = clock.now();
        let seeds = (
            cloudflare::sandbox::seed_accounts(desired, now),
            rixl::sandbox::seed_rixl_keys(desired, now),
            cloudflare_tokens::sandbox::seed_tokens(desired, now),
        );
        Self::holding(clock, seeds, faults)
    }

    /// The sandbox `config` describes, on a runtime of its own.
    fn of(config: SandboxConfig) -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let sandbox = runtime.block_on(start_sandbox(config));
        Self {
            sandbox,
            _runtime: runtime,
        }
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.sandbox.requests()
    }

    pub fn account(&self, account_id: &str) -> SandboxAccount {
        self.cloudflare().account(account_id).unwrap()
    }

    /// The simulated Cloudflare.
    pub fn cloudflare(&self) -> &SimulatedCloudflare {
        self.sandbox.simulated().unwrap()
    }

    /// The simulated RIXL.
    pub fn rixl(&self) -> &SimulatedRixl {
        self.sandbox.simulated().unwrap()
    }

    /// The simulated Cloudflare API tokens.
    pub fn tokens(&self) -> &SimulatedTokens {
        self.sandbox.simulated().unwrap()
    }

    /// A RIXL key's current state, its secret included.
    pub fn rixl_key(&self, key_id: &str) -> Option<SandboxKey> {
        self.rixl().key(key_id)
    }

    /// The credentials the sandbox accepts.
    pub fn credentials(&self) -> TestCredentials {
        CREDENTIALS
    }

    /// The value of `variable` that points keyrot at the sandbox.
    fn environment(&self, variable: &str) -> String {
        let environment = self.sandbox.environment();
        let found = environment.into_iter().find(|(name, _)| *name == variable);
        found.map(|(_, value)| value).unwrap()
    }

    /// `CLOUDFLARE_BASE_URL` for the sandbox.
    pub fn cloudflare_base_url(&self) -> String {
        self.environment("CLOUDFLARE_BASE_URL")
    }

    /// `RIXL_BASE_URL` for the sandbox.
    pub fn rixl_base_url(&self) -> String {
        self.environment("RIXL_BASE_URL")
    }

    pub fn writes(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|request| request.method != "GET")
            .collect()
    }

    /// Waits until the sandbox has received a request: a keyrot that reads the live state
    /// holds its lock by then.
    pub fn wait_for_a_request(&self) {
        wait_until("the sandbox received a request", || {
            !self.sandbox.requests().is_empty()
        });
    }

    /// How many POST requests (rotates, token exchanges) the sandbox received.
    pub fn posts(&self) -> usize {
        self.sandbox
            .counters()
            .by_method
            .get("POST")
            .copied()
            .unwrap_or(0)
    }

    /// Runs the binary against this sandbox with `args`, and waits for it; `-f file` and
    /// `--now` [`NOW`] are added for the commands that take them.
    pub fn run(&self, file: &Path, args: &[&str]) -> Output {
        let commands = [
            "plan", "apply", "drift", "import", "show", "history", "validate", "journal",
        ];
        let name = args
            .iter()
            .copied()
            .find(|arg| commands.contains(arg))
            .unwrap_or_default();
        let mut command = self.keyrot_anywhere();
        if !matches!(name, "import" | "show") {
            command.arg("-f").arg(file);
        }
        if matches!(name, "plan" | "apply" | "drift") {
            command.args(["--now", NOW]);
        }
        command.args(args).output().unwrap()
    }

    /// The binary, pointed at this sandbox with the token, reading `file`.
    pub fn keyrot(&self, file: &Path) -> Command {
        let mut command = self.keyrot_anywhere();
        command.arg("-f").arg(file);
        command
    }

    /// The binary, pointed at this sandbox with the token, for a command that reads no
    /// desired-state file (`import`, `show`).
    pub fn keyrot_anywhere(&self) -> Command {
        let mut command = keyrot_command();
        self.point_at(&mut command);
        command
    }

    /// `script` running the binary on a pseudo-terminal, pointed at this sandbox, at [`NOW`],
    /// on `file`, with `args` (shell words): what the terminal shows is the child's stdout.
    pub fn keyrot_on_a_terminal(&self, file: &Path, args: &str) -> Command {
        let command_line = format!(
            "{} -f {} --now {NOW} {args}",
            env!("CARGO_BIN_EXE_keyrot"),
            file.display()
        );
        let mut script = Command::new("script");
        clean_environment(&mut script);
        self.point_at(&mut script);
        script.args(["-qec", &command_line, "/dev/null"]);
        script
    }

    /// Sets the base URLs and tokens of this sandbox in `command`'s environment.
    fn point_at(&self, command: &mut Command) {
        command.envs(self.sandbox.environment());
    }
}

/// Runs `terminal` (from [`TestSandbox::keyrot_on_a_terminal`]) until it shows `prompt`, runs
/// `meanwhile`, types `answer`, and returns its output with everything the terminal showed as
/// stdout.
pub fn answer_on_a_terminal(
    mut terminal: Command,
    prompt: &str,
    answer: &str,
    meanwhile: impl FnOnce(),
) -> Output {
    let mut child = terminal
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` gives the terminal tests a pseudo-terminal");
    let mut stdout = child.stdout.take().unwrap();
    let mut shown = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&shown).contains(prompt) {
        if stdout.read(&mut byte).unwrap() == 0 {
            break;
        }
        shown.push(byte[0]);
    }
    meanwhile();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(answer.as_bytes()).unwrap();
    drop(stdin);
    let mut output = child.wait_with_output().unwrap();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    shown.extend(rest);
    output.stdout = shown;
    output
}

/// Removes the variables that would point keyrot elsewhere, change its colors, or make it
/// warn as on a CI runner (CI runs these tests with CI=true).
pub fn clean_environment(command: &mut Command) {
    for variable in [
        "CI",
        "KEYROT_DATABASE_URL",
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
}

/// The binary with a clean environment: no credentials, no colors forced.
pub fn keyrot_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyrot"));
    clean_environment(&mut command);
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

/// A sandbox of Cloudflare `accounts`, RIXL `rixl_keys` and Cloudflare API `tokens` (with the
/// managing token) on `clock`, with `faults`, that takes the test credentials.
pub fn sandbox_config(
    clock: Clock,
    (accounts, rixl_keys, tokens): (Vec<SandboxAccount>, Vec<SandboxKey>, Vec<SandboxToken>),
    faults: Faults,
) -> SandboxConfig {
    let cloudflare = SandboxCloudflareCredentials {
        api_token: CREDENTIALS.api_token.to_owned(),
        email: CREDENTIALS.email.to_owned(),
        api_key: CREDENTIALS.api_key.to_owned(),
    };
    let rixl = SandboxRixlCredentials {
        token: CREDENTIALS.rixl_token.to_owned(),
        api_key: CREDENTIALS.rixl_api_key.to_owned(),
    };
    SandboxConfig {
        clock,
        vendors: vec![
            Box::new(SimulatedCloudflare::new(clock, cloudflare, accounts)),
            Box::new(SimulatedRixl::new(clock, rixl, rixl_keys)),
            Box::new(SimulatedTokens::new(clock, tokens)),
        ],
        faults,
    }
}

/// Starts the sandbox `config` describes on a free port of 127.0.0.1, in the current runtime.
pub async fn start_sandbox(config: SandboxConfig) -> Sandbox {
    let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    Sandbox::start(listen, config).await.unwrap()
}

pub fn account(account_id: &str, interval: u32, last_rotation: Timestamp) -> SandboxAccount {
    SandboxAccount {
        account_id: account_id.to_owned(),
        key_rotation_interval_days: interval,
        last_key_rotation_at: last_rotation,
        name: None,
    }
}

/// A RIXL key `id` of organization `OR1`, created `age_days` ago, expiring in
/// `expires_in_days`, whose secret is `rxl_seeded-secret-of-{id}`.
pub fn rixl_key(id: &str, age_days: i64, expires_in_days: i64) -> SandboxKey {
    SandboxKey {
        id: id.to_owned(),
        name: format!("key {id}"),
        org_id: "OR1".to_owned(),
        project_id: "PR1".to_owned(),
        project_name: "project".to_owned(),
        created_at: days_ago(age_days),
        expiring_at: Some(now() + days(expires_in_days)),
        last_used: None,
        secret: format!("rxl_seeded-secret-of-{id}"),
    }
}

/// Writes `contents` to `keyrot.yaml` in a fresh directory.
pub fn desired_file(contents: impl AsRef<[u8]>) -> (tempfile::TempDir, PathBuf) {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("keyrot.yaml");
    std::fs::write(&path, contents).unwrap();
    (directory, path)
}

/// A desired-state file in a fresh directory, with a `secrets/` directory beside it.
pub struct Workspace {
    directory: tempfile::TempDir,
}

impl Workspace {
    pub fn new(contents: &str) -> Self {
        let (directory, _) = desired_file(contents);
        std::fs::create_dir(directory.path().join("secrets")).unwrap();
        Self { directory }
    }

    pub fn directory(&self) -> &Path {
        self.directory.path()
    }

    pub fn file(&self) -> PathBuf {
        self.path("keyrot.yaml")
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.directory().join(relative)
    }

    /// The files under `.keyrot/recovered`.
    pub fn recovered(&self) -> Vec<PathBuf> {
        let directory = self.path(".keyrot/recovered");
        match std::fs::read_dir(directory) {
            Ok(entries) => entries.map(|entry| entry.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// The permission bits of `path`.
pub fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Fails when `secret` appears in what `output` printed, on stdout or on stderr.
pub fn assert_never_shown(output: &Output, secret: &str) {
    for (stream, text) in [("stdout", stdout(output)), ("stderr", stderr(output))] {
        assert!(
            !text.contains(secret),
            "a secret was shown on {stream}:\n{text}"
        );
    }
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Snapshot settings: the top-level `snapshots/` folder, temp paths and ports hidden.
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT");
    settings.add_filter(r"/tmp/[^\s\x22]*/keyrot\.yaml", "keyrot.yaml");
    settings.add_filter(r"/tmp/\.tmp[A-Za-z0-9]+/", "");
    settings
}

/// Account ID number `n`: 32 hexadecimal digits.
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

/// The password in every test URL: it must never appear in keyrot's output.
pub const PASSWORD: &str = "pw-never-shown-7f3a";

/// A PostgreSQL cluster of its own, started from the system's binaries (`pg_config --bindir`)
/// on 127.0.0.1 and a free port, stopped and removed when dropped.
pub struct TestPostgres {
    bindir: PathBuf,
    directory: tempfile::TempDir,
    port: u16,
}

impl TestPostgres {
    /// A running cluster, or `None` (with a message) where PostgreSQL is not installed.
    pub fn start() -> Option<Self> {
        Self::start_with(false)
    }

    /// A running cluster that flushes every commit to disk as a production server does (the
    /// tests' clusters skip that, for speed).
    #[allow(dead_code, reason = "the benchmark's")]
    pub fn start_durable() -> Option<Self> {
        Self::start_with(true)
    }

    fn start_with(durable: bool) -> Option<Self> {
        let Some(bindir) = bindir() else {
            assert!(
                std::env::var_os("KEYROT_REQUIRE_POSTGRES").is_none(),
                "PostgreSQL is not installed (no pg_config), and KEYROT_REQUIRE_POSTGRES is set"
            );
            eprintln!("skipped: PostgreSQL is not installed (no pg_config on PATH)");
            return None;
        };
        let directory = tempfile::tempdir().unwrap();
        std::fs::set_permissions(directory.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let port = free_port();
        let cluster = Self {
            bindir,
            directory,
            port,
        };
        cluster.as_postgres(
            "initdb",
            &[
                "-D",
                &cluster.data(),
                "-U",
                "keyrot",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        std::fs::write(
            cluster.directory.path().join("durable"),
            if durable { "on" } else { "off" },
        )
        .unwrap();
        cluster.resume();
        Some(cluster)
    }

    /// Starts the server (again, after [`TestPostgres::halt`]).
    pub fn resume(&self) {
        let durable = std::fs::read_to_string(self.directory.path().join("durable")).unwrap();
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync={durable}",
            self.port,
            self.directory.path().display(),
        );
        let log = format!("{}/server.log", self.directory.path().display());
        self.as_postgres(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server at once, as a crash or a lost network would.
    #[allow(dead_code, reason = "the tests', not the benchmark's")]
    pub fn halt(&self) {
        self.as_postgres(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }

    fn data(&self) -> String {
        format!("{}/data", self.directory.path().display())
    }

    /// The URL of `database`, created if missing, with a password that trust auth ignores.
    pub fn url(&self, database: &str) -> String {
        self.sql("postgres", &format!("CREATE DATABASE {database}"));
        format!(
            "postgres://keyrot:{PASSWORD}@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }

    /// `url` (one of [`TestPostgres::url`]) for role `role` instead of the owner.
    pub fn as_role(url: &str, role: &str) -> String {
        url.replacen("postgres://keyrot:", &format!("postgres://{role}:"), 1)
    }

    /// Runs `sql` in `database` with psql; returns what it printed (unaligned, tuples only).
    pub fn sql(&self, database: &str, sql: &str) -> String {
        let output = self.as_postgres(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "keyrot",
                "-d",
                database,
                "-qAt",
                "-c",
                sql,
            ],
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Runs one of the server's programs as the `postgres` user when this is root (PostgreSQL
    /// refuses to run as root), as this user otherwise.
    fn as_postgres(&self, program: &str, args: &[&str]) -> Output {
        let path = self.bindir.join(program);
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&path);
            command
        } else {
            Command::new(&path)
        };
        let output = command
            .args(args)
            .current_dir(self.directory.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let path = self.bindir.join("pg_ctl");
        let data = self.data();
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&path);
            command
        } else {
            Command::new(&path)
        };
        let _ = command
            .args(["-D", &data, "-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn bindir() -> Option<PathBuf> {
    let output = Command::new("pg_config").arg("--bindir").output().ok()?;
    let path = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    path.join("initdb").exists().then_some(path)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits for `child` to exit; kills it and fails the test when it has not after 30 seconds.
pub fn exit_within_30s(child: &mut std::process::Child, what: &str) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() >= deadline {
            child.kill().unwrap();
            panic!("never happened: {what}");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// A running `keyrot serve`, killed when dropped.
pub struct Served {
    pub child: std::process::Child,
    pub port: u16,
}

impl Served {
    /// `command` running `keyrot serve` with `args` on a free loopback port (its output where
    /// `command` sends it), once its endpoints answer.
    pub fn start(mut command: Command, args: &[&str]) -> Self {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let child = command
            .args(["serve", "--listen", &listen])
            .args(args)
            .spawn()
            .unwrap();
        let served = Self { child, port };
        wait_until("the endpoints answer", || {
            std::net::TcpStream::connect(("127.0.0.1", served.port)).is_ok()
        });
        served
    }

    /// `GET path`: the status code and the body.
    pub fn get(&self, path: &str) -> (u16, String) {
        http_get(self.port, path)
    }

    /// `/status` as JSON.
    pub fn status(&self) -> serde_json::Value {
        serde_json::from_str(&self.get("/status").1).unwrap()
    }

    /// The value of the sample `name` (with its labels, if any) in `/metrics`.
    pub fn metric(&self, name: &str) -> Option<f64> {
        let (_, text) = self.get("/metrics");
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    }

    /// Cycles that ended as `outcome`.
    pub fn cycles(&self, outcome: &str) -> f64 {
        self.metric(&format!("keyrot_cycles_total{{outcome=\"{outcome}\"}}"))
            .unwrap_or(0.0)
    }

    /// Sends `signal` to it.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill has no preconditions; the pid is our child's.
        let sent = unsafe { libc::kill(self.child.id() as i32, signal) };
        assert_eq!(sent, 0);
    }

    /// SIGTERM, then the exit code and what it logged (its stderr, when piped).
    pub fn stop(mut self) -> (Option<i32>, String) {
        self.signal(libc::SIGTERM);
        let status = exit_within_30s(&mut self.child, "serve stops on SIGTERM");
        let mut log = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            stderr.read_to_string(&mut log).unwrap();
        }
        (status.code(), log)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` on loopback `port` (HTTP/1.1, one request a connection): the status code and
/// the body.
pub fn http_get(port: u16, path: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: keyrot\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let code = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (code, body.to_owned())
}

/// Polls `done` until it holds; fails the test after 30 seconds that it never did.
pub fn wait_until(what: &str, done: impl Fn() -> bool) {
    wait_until_within(std::time::Duration::from_secs(30), what, done);
}

/// Polls `done` until it holds; fails the test after `limit` that it never did.
pub fn wait_until_within(limit: std::time::Duration, what: &str, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + limit;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// The journal a run killed in the middle leaves: a rotate intent of run `r1` with no outcome
/// for each (resource, vendor, id, issues a secret), observed before the rotations it settles.
pub fn open_rotations(writes: &[(String, &str, String, bool)]) -> String {
    writes
        .iter()
        .enumerate()
        .map(|(seq, (resource, vendor, id, issues_secret))| {
            format!(
                "{{\"run_id\":\"r1\",\"at\":\"2026-11-20T12:00:00Z\",\"record\":\"intent\",\"seq\":{seq},\
                 \"resource\":\"{resource}\",\"vendor\":\"{vendor}\",\"id\":\"{id}\",\
                 \"action\":{{\"type\":\"rotate\"}},\"observed_last_rotation\":\"2020-01-01T00:00:00Z\",\
                 \"issues_secret\":{issues_secret},\"reason\":\"killed test\",\"by\":\"ops@ci\",\
                 \"command\":\"keyrot apply\"}}\n"
            )
        })
        .collect()
}
