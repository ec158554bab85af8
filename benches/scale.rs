//! keyrot at scale: the time the API's latency and rate limit impose, and what keyrot adds.
//! Prints one table; a row whose target is missed makes the run exit 1.
//!
//! `cargo bench` runs every scenario; `cargo bench -- a c` runs some.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use keyrot::config::{DesiredState, Resource, RotationPolicy};
use keyrot::plan::{LiveState, Observation, PlanOptions, Schedule, plan};
use keyrot::render::{Command as Rendered, Style, plan_chunks};
use keyrot::sandbox::{Clock, Faults, ServerRateLimit};
use keyrot::vendor::cloudflare;
use keyrot::vendor::cloudflare::sandbox::SandboxAccount;
use keyrot::vendor::rixl::sandbox::SandboxKey;

#[allow(
    dead_code,
    reason = "the benchmark uses the sandbox and the fixtures, not the assertion helpers"
)]
#[path = "../tests/it/harness.rs"]
mod harness;

use harness::{
    NOW, TestPostgres, TestSandbox, account, days, days_ago, desired_file, id, keyrot_command, now,
    rixl_key,
};

#[path = "scale/serve.rs"]
mod serve;

#[path = "scale/simulated_day.rs"]
mod simulated_day;

/// The environment variable that makes this program run scenario d in a child process.
const CHILD: &str = "KEYROT_BENCH_PLAN_ONLY";

fn main() {
    if let Ok(count) = std::env::var(CHILD) {
        plan_and_render_only(count.parse().unwrap_or(100_000));
        return;
    }
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let mut rows = Vec::new();
    for scenario in SCENARIOS {
        if wanted.is_empty() || wanted.iter().any(|name| name == scenario.name) {
            eprintln!(
                "running {} ({} resources)…",
                scenario.name, scenario.resources
            );
            rows.push((scenario.run)(scenario));
        }
    }
    println!("{}", table(&rows));
    if rows.iter().any(|row| !row.met) {
        std::process::exit(1);
    }
}

/// One scenario: what it does, and its target.
struct Scenario {
    name: &'static str,
    what: &'static str,
    resources: usize,
    run: fn(&Scenario) -> Row,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "a",
        what: "plan, 25 ms latency, --parallelism 64",
        resources: 10_000,
        run: plan_under_latency,
    },
    Scenario {
        name: "b",
        what: "plan, server 200/1s with block, keyrot 190/1s",
        resources: 2_000,
        run: plan_under_rate_limit,
    },
    Scenario {
        name: "c",
        what: "apply update+rotate, 25 ms, --parallelism 32, local backend",
        resources: 1_000,
        run: apply_under_latency,
    },
    Scenario {
        name: "f",
        what: "as c, postgres backend (vs: the local journal on tmpfs)",
        resources: 1_000,
        run: apply_on_postgres,
    },
    Scenario {
        name: "d",
        what: "plan + render only (no HTTP)",
        resources: 100_000,
        run: plan_and_render,
    },
    Scenario {
        name: "e",
        what: "keyrot validate, whole process",
        resources: 10_000,
        run: validate_whole_process,
    },
    Scenario {
        name: "g",
        what: "apply, RIXL keys all due, server and keyrot 10/1s",
        resources: 10_000,
        run: rotate_rixl_keys_at_their_rate_limit,
    },
    Scenario {
        name: "h",
        what: "serve, 1,000 cycles each reading every account; then idle",
        resources: 100,
        run: serve::many_cycles,
    },
    Scenario {
        name: "i",
        what: "serve --apply, a simulated day, server and keyrot 1200/5m",
        resources: 10_000,
        run: simulated_day::a_day_of_serve,
    },
];

/// One line of the table.
struct Row {
    name: &'static str,
    what: &'static str,
    resources: usize,
    wall: Duration,
    ideal: Option<Duration>,
    ratio_target: Option<f64>,
    wall_target: Option<Duration>,
    requests: Option<usize>,
    throttled: Option<usize>,
    peak_rss_kib: u64,
    rss_target_kib: Option<u64>,
    /// The wall time of a comparison run and the largest ratio allowed against it.
    baseline: Option<(Duration, f64)>,
    /// A target of the scenario's own, as the table says it, and whether it was met.
    extra: Option<(String, bool)>,
    met: bool,
}

impl Row {
    /// A row of `scenario` with its measurements and no targets yet.
    fn measured(scenario: &Scenario, wall: Duration, peak_rss_kib: u64) -> Self {
        Self {
            name: scenario.name,
            what: scenario.what,
            resources: scenario.resources,
            wall,
            ideal: None,
            ratio_target: None,
            wall_target: None,
            requests: None,
            throttled: None,
            peak_rss_kib,
            rss_target_kib: None,
            baseline: None,
            extra: None,
            met: false,
        }
    }

    fn ratio(&self) -> Option<f64> {
        self.ideal
            .map(|ideal| self.wall.as_secs_f64() / ideal.as_secs_f64())
    }

    fn judge(mut self) -> Self {
        let ratio_ok = match (self.ratio(), self.ratio_target) {
            (Some(ratio), Some(target)) => ratio <= target,
            _ => true,
        };
        let wall_ok = self.wall_target.is_none_or(|target| self.wall <= target);
        let rss_ok = self
            .rss_target_kib
            .is_none_or(|target| self.peak_rss_kib <= target);
        let throttle_ok = self.throttled.is_none_or(|count| count == 0);
        let baseline_ok = self
            .baseline
            .is_none_or(|(wall, target)| self.wall.as_secs_f64() <= wall.as_secs_f64() * target);
        let extra_ok = self.extra.as_ref().is_none_or(|(_, met)| *met);
        self.met = ratio_ok && wall_ok && rss_ok && throttle_ok && baseline_ok && extra_ok;
        self
    }
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| scenario | resources | wall time | ideal bound | ratio | requests | 429s | peak RSS | target | met |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---|---|\n",
    );
    for row in rows {
        let dash = || "–".to_owned();
        let target = target_text(row);
        out.push_str(&format!(
            "| {} {} | {} | {:.3} s | {} | {} | {} | {} | {:.1} MB | {} | {} |\n",
            row.name,
            row.what,
            row.resources,
            row.wall.as_secs_f64(),
            row.ideal
                .map_or_else(dash, |ideal| format!("{:.3} s", ideal.as_secs_f64())),
            row.ratio().map_or_else(dash, |ratio| format!("{ratio:.3}")),
            row.requests.map_or_else(dash, |n| n.to_string()),
            row.throttled.map_or_else(dash, |n| n.to_string()),
            row.peak_rss_kib as f64 / 1024.0,
            target,
            if row.met { "yes" } else { "**no**" },
        ));
    }
    out
}

/// A row's targets, as the table shows them.
fn target_text(row: &Row) -> String {
    let mut targets = Vec::new();
    if let Some(ratio) = row.ratio_target {
        targets.push(format!("ratio ≤ {ratio}"));
    }
    if let Some(wall) = row.wall_target {
        targets.push(format!("≤ {} ms", wall.as_millis()));
    }
    if let Some(rss) = row.rss_target_kib {
        targets.push(format!("≤ {} MB", rss / 1024));
    }
    if row.throttled.is_some() {
        targets.push("no 429".to_owned());
    }
    if let Some((wall, limit)) = row.baseline {
        targets.push(format!(
            "≤ {limit}× vs ({:.3} s, {:.3}×)",
            wall.as_secs_f64(),
            row.wall.as_secs_f64() / wall.as_secs_f64()
        ));
    }
    if let Some((text, _)) = &row.extra {
        targets.push(text.clone());
    }
    match targets.is_empty() {
        true => "–".to_owned(),
        false => targets.join(", "),
    }
}

/// A desired-state file of `count` accounts at 90 days, with `extra` under each account and
/// `rate_limit` for Cloudflare.
fn accounts_file(count: usize, rate_limit: &str, extra: &str) -> String {
    let mut file = format!(
        "version: 1\nsettings:\n  max_rotations_per_apply: 1000000\ncloudflare:\n  rate_limit: {rate_limit}\n  accounts:\n"
    );
    for n in 0..count {
        file.push_str(&format!(
            "    account-{n}:\n      account_id: {}\n      key_rotation_interval_days: 90\n{extra}",
            id(n)
        ));
    }
    file
}

/// `count` sandbox accounts at a 90-day interval, last rotated `age_days` ago.
fn sandbox_accounts(count: usize, age_days: i64) -> Vec<SandboxAccount> {
    (0..count)
        .map(|n| account(&id(n), 90, days_ago(age_days)))
        .collect()
}

/// Runs the keyrot binary on `file` with `args` to the end, against `sandbox` if given; returns
/// its wall time and peak RSS (KiB).
fn run_keyrot(sandbox: Option<&TestSandbox>, file: &Path, args: &[&str]) -> (Duration, u64) {
    let mut command = match sandbox {
        Some(sandbox) => sandbox.keyrot(file),
        None => {
            let mut command = keyrot_command();
            command.arg("-f").arg(file);
            command
        }
    };
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    run_measured(command)
}

/// Spawns `command`, waits for it with `wait4` to learn its own peak RSS, and fails loudly if
/// it did not exit 0 or 2.
#[allow(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also reports its resource usage"
)]
fn run_measured(mut command: Command) -> (Duration, u64) {
    let started = Instant::now();
    let child = command.spawn().expect("the program starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; the pid is our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    if !matches!(code, Some(0 | 2)) {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr {
            use std::io::Read;
            let _ = pipe.read_to_string(&mut stderr);
        }
        panic!("{command:?} exited {code:?}: {stderr}");
    }
    (wall, usage.ru_maxrss as u64)
}

fn requests_and_throttled(sandbox: &TestSandbox) -> (usize, usize) {
    let counters = sandbox.sandbox.counters();
    (counters.by_method.values().sum(), counters.throttled)
}

fn plan_under_latency(scenario: &Scenario) -> Row {
    let count = scenario.resources;
    let accounts = sandbox_accounts(count, 10);
    let latency = Duration::from_millis(25);
    let faults = Faults {
        latency,
        ..Faults::default()
    };
    let sandbox = TestSandbox::with_faults(accounts, faults);
    let (_dir, file) = desired_file(accounts_file(count, "100000000/1s", ""));
    let (wall, rss) = run_keyrot(Some(&sandbox), &file, &plan_args("64"));
    let (requests, throttled) = requests_and_throttled(&sandbox);
    Row {
        ideal: Some(latency * count as u32 / 64),
        ratio_target: Some(1.15),
        rss_target_kib: Some(30 * 1024),
        requests: Some(requests),
        throttled: Some(throttled).filter(|n| *n > 0),
        ..Row::measured(scenario, wall, rss)
    }
    .judge()
}

fn plan_args(parallelism: &str) -> Vec<&str> {
    vec!["--now", NOW, "--parallelism", parallelism, "-q", "plan"]
}

fn plan_under_rate_limit(scenario: &Scenario) -> Row {
    let count = scenario.resources;
    let accounts = sandbox_accounts(count, 10);
    let faults = Faults {
        rate_limit: Some(ServerRateLimit {
            requests: 200,
            window: Duration::from_secs(1),
            block: Duration::from_secs(300),
        }),
        ..Faults::default()
    };
    let sandbox = TestSandbox::with_faults(accounts, faults);
    let (_dir, file) = desired_file(accounts_file(count, "190/1s", ""));
    let (wall, rss) = run_keyrot(Some(&sandbox), &file, &plan_args("64"));
    let (requests, throttled) = requests_and_throttled(&sandbox);
    Row {
        ideal: Some(Duration::from_secs_f64(count as f64 / 190.0)),
        ratio_target: Some(1.05),
        requests: Some(requests),
        throttled: Some(throttled),
        ..Row::measured(scenario, wall, rss)
    }
    .judge()
}

fn apply_under_latency(scenario: &Scenario) -> Row {
    let (_dir, file) = desired_file(apply_file(scenario.resources, ""));
    let (row, _) = apply_fleet(scenario, &file, None);
    Row {
        ratio_target: Some(1.2),
        ..row
    }
    .judge()
}

/// Scenario c on the postgres backend of a throwaway cluster, compared with the same run whose
/// local journal lives on tmpfs, where a flush costs nothing: the journal's I/O taken away.
fn apply_on_postgres(scenario: &Scenario) -> Row {
    let server =
        TestPostgres::start_durable().expect("PostgreSQL is installed (pg_config --bindir)");
    let url = server.url("bench");
    let tmpfs = tempfile::tempdir_in("/dev/shm").expect("a tmpfs at /dev/shm");
    let baseline_file = tmpfs.path().join("keyrot.yaml");
    std::fs::write(&baseline_file, apply_file(scenario.resources, "")).unwrap();
    let (_, baseline) = apply_fleet(scenario, &baseline_file, None);
    let (_dir, file) = desired_file(apply_file(scenario.resources, "  backend: postgres\n"));
    let (row, _) = apply_fleet(scenario, &file, Some(&url));
    Row {
        ratio_target: Some(1.25),
        baseline: Some((baseline, 1.1)),
        ..row
    }
    .judge()
}

/// Live 90 days and a 40-day-old key; desired 60 days and max_key_age 30d: an update and a
/// rotate each, and the new interval does not make Cloudflare rotate by itself. `settings` is
/// added under `settings:`.
fn apply_file(count: usize, settings: &str) -> String {
    accounts_file(count, "100000000/1s", "      max_key_age: 30d\n")
        .replace(
            "key_rotation_interval_days: 90",
            "key_rotation_interval_days: 60",
        )
        .replacen("settings:\n", &format!("settings:\n{settings}"), 1)
}

/// Applies `file` to a fresh sandbox of the scenario's accounts (with the postgres URL when
/// given); returns its row, not yet judged, and its wall time.
fn apply_fleet(scenario: &Scenario, file: &Path, database: Option<&str>) -> (Row, Duration) {
    let count = scenario.resources;
    let latency = Duration::from_millis(25);
    let faults = Faults {
        latency,
        ..Faults::default()
    };
    let sandbox = TestSandbox::with_faults(sandbox_accounts(count, 40), faults);
    let mut command = sandbox.keyrot(file);
    if let Some(url) = database {
        command.env("KEYROT_DATABASE_URL", url);
    }
    command
        .args([
            "--now",
            NOW,
            "--parallelism",
            "32",
            "-q",
            "apply",
            "--auto-approve",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let (wall, rss) = run_measured(command);
    let (requests, throttled) = requests_and_throttled(&sandbox);
    let rotations: usize = sandbox.sandbox.counters().rotations.values().sum();
    assert_eq!(rotations, count, "every account was rotated once");
    // Per account: the plan's read, the read right before the update, the update and the
    // rotate (which trusts the update's answer): 4 calls, 32 accounts at once.
    let row = Row {
        ideal: Some(latency * (4 * count) as u32 / 32),
        requests: Some(requests),
        throttled: Some(throttled).filter(|n| *n > 0),
        ..Row::measured(scenario, wall, rss)
    };
    (row, wall)
}

fn plan_and_render(scenario: &Scenario) -> Row {
    let mut command = Command::new(std::env::current_exe().expect("this benchmark's path"));
    command
        .env(CHILD, scenario.resources.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let (wall, rss) = run_measured(command);
    Row {
        wall_target: Some(Duration::from_secs(1)),
        rss_target_kib: Some(150 * 1024),
        ..Row::measured(scenario, wall, rss)
    }
    .judge()
}

/// 10,000 RIXL keys, every one due, against a server that allows 10 requests per second (and
/// blocks for a minute past that) with keyrot at its RIXL default, the same 10/1s. The floor
/// is one rotate per key plus one list pass (100 keys a page), at 10 per second. The run takes
/// longer than `max_clock_skew`, so the sandbox keeps the system's time instead of standing
/// still, and keyrot runs without `--now`.
fn rotate_rixl_keys_at_their_rate_limit(scenario: &Scenario) -> Row {
    let count = scenario.resources;
    let created = jiff::Timestamp::now() - days(40);
    let keys = (0..count)
        .map(|n| SandboxKey {
            created_at: created,
            expiring_at: Some(created + days(340)),
            ..rixl_key(&format!("K{n}"), 0, 0)
        })
        .collect();
    let faults = Faults {
        rate_limit: Some(ServerRateLimit {
            requests: 10,
            window: Duration::from_secs(1),
            block: Duration::from_secs(60),
        }),
        ..Faults::default()
    };
    let sandbox = TestSandbox::on(Clock::System, Vec::new(), keys, faults);
    let (dir, file) = desired_file(rixl_keys_file(count));
    std::fs::create_dir(dir.path().join("secrets")).expect("a directory for the secrets");
    let args = ["-q", "apply", "--auto-approve"];
    let (wall, rss) = run_keyrot(Some(&sandbox), &file, &args);
    let (requests, throttled) = requests_and_throttled(&sandbox);
    for n in 0..count {
        let id = format!("K{n}");
        let key = sandbox.rixl_key(&id).expect("the key exists");
        let sink = dir.path().join(format!("secrets/k{n}.key"));
        let delivered = std::fs::read_to_string(&sink).expect("every secret is in its sink");
        assert_eq!(
            delivered.trim_end(),
            key.secret,
            "{id}'s new secret is in its sink"
        );
    }
    let rotations = sandbox.sandbox.counters().rotations;
    assert!(
        rotations.len() == count && rotations.values().all(|&times| times == 1),
        "every key was rotated exactly once"
    );
    let floor = (count + count.div_ceil(100)) as f64 / 10.0;
    Row {
        ideal: Some(Duration::from_secs_f64(floor)),
        ratio_target: Some(1.1),
        requests: Some(requests),
        throttled: Some(throttled),
        ..Row::measured(scenario, wall, rss)
    }
    .judge()
}

/// `count` RIXL keys due by age, each with its own secret file.
fn rixl_keys_file(count: usize) -> String {
    let mut file = String::from(
        "version: 1\nsettings:\n  max_rotations_per_apply: 1000000\nrixl:\n  defaults:\n    \
         max_key_age: 30d\n  api_keys:\n",
    );
    for n in 0..count {
        file.push_str(&format!(
            "    k{n}:\n      key_id: K{n}\n      secret: {{file: secrets/k{n}.key}}\n"
        ));
    }
    file
}

/// Scenario d's child: builds `count` accounts (every other one drifted), plans them and
/// renders the human plan to stdout.
fn plan_and_render_only(count: usize) {
    let mut desired = DesiredState::empty("keyrot.yaml");
    // Loading a file allocates the accounts once, at their number (`config::validate`).
    desired.resources.reserve_exact(count);
    let mut live = LiveState::default();
    for n in 0..count {
        let name = format!("account-{n}");
        desired.resources.push(Resource {
            name: name.clone(),
            vendor: &cloudflare::VENDOR,
            id: id(n),
            rotation: RotationPolicy {
                max_key_age: Some(days(120)),
                rotate_by: Some(now() + days(20)),
                ..RotationPolicy::default()
            },
            sink: None,
            interval_days: Some(90),
        });
        let age = if n % 2 == 0 { 10 } else { 130 };
        live.resources.insert(
            name,
            Observation {
                last_rotation: Some(days_ago(age)),
                expires_at: None,
                schedule: Some(Schedule {
                    interval_days: if n % 4 == 1 { 30.0 } else { 90.0 },
                    days_until_next: None,
                }),
                ..Observation::default()
            },
        );
    }
    let plan = plan(&desired, &live, now(), PlanOptions::default()).expect("a plan");
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for chunk in plan_chunks(&plan, &desired.source, Style::PLAIN, Rendered::Plan) {
        out.write_all(chunk.as_bytes())
            .expect("stdout takes the plan");
    }
    out.flush().expect("stdout takes the plan");
}

fn validate_whole_process(scenario: &Scenario) -> Row {
    let extra = "      max_key_age: 120d\n      rotate_by: 2026-12-01T00:00:00Z\n";
    let (_dir, file) = desired_file(accounts_file(scenario.resources, "1200/5m", extra));
    // The fastest of a few runs: the target is keyrot's cost, not the machine's noise.
    let (wall, rss) = (0..5)
        .map(|_| run_keyrot(None, &file, &["validate"]))
        .min_by_key(|(wall, _)| *wall)
        .expect("five runs");
    Row {
        wall_target: Some(Duration::from_millis(100)),
        ..Row::measured(scenario, wall, rss)
    }
    .judge()
}
