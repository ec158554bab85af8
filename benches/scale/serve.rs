//! Scenario h: `keyrot serve` over many cycles. 1,000 cycles, each reading 100 accounts
//! (`--full-every` as short as `--every`): its resident memory after 100 cycles (the warm-up)
//! and after 1,000 must not differ by more than 1 MB. Then a replica with nothing due, for a
//! minute: the CPU it spends, as seconds per idle hour.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use keyrot::sandbox::{Clock, Faults};

use super::harness::{Served, TestSandbox, account, desired_file, id, wait_until_within};
use super::{Row, Scenario, accounts_file};

/// Cycles before memory is first measured.
const WARM_UP: f64 = 100.0;
/// Cycles in all.
const CYCLES: f64 = 1_000.0;
/// The most resident memory may grow between the warm-up and the last cycle.
const GROWTH_KIB: u64 = 1024;
/// How long the idle replica is watched.
const IDLE: Duration = Duration::from_secs(60);

/// `keyrot serve -f file` against `sandbox` with `args`, its log discarded.
fn serve(sandbox: &TestSandbox, file: &Path, args: &[&str]) -> Served {
    let mut command = sandbox.keyrot(file);
    command.stdout(Stdio::null()).stderr(Stdio::null());
    Served::start(command, args)
}

/// Waits until `served` has run `count` cycles that succeeded.
fn wait_for_cycles(served: &Served, count: f64) {
    let what = format!("{count} cycles");
    wait_until_within(Duration::from_secs(1200), &what, || {
        served.cycles("success") >= count
    });
}

/// A field of /proc/PID/status of `served`, in KiB.
fn status_kib(served: &Served, field: &str) -> u64 {
    process_status_kib(&served.child.id().to_string(), field)
}

/// A field of /proc/PROCESS/status (`self` for this one), in KiB.
pub fn process_status_kib(process: &str, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{process}/status")).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(field)?.trim().strip_suffix(" kB"))
        .and_then(|kib| kib.trim().parse().ok())
        .unwrap()
}

/// The user and system CPU time `served` has used so far.
fn cpu(served: &Served) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", served.child.id())).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Duration::from_secs_f64(ticks as f64 / per_second)
}

/// Runs scenario h: the busy replica's memory over 1,000 cycles, then the idle one's CPU.
pub fn many_cycles(scenario: &Scenario) -> Row {
    let count = scenario.resources;
    let since = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 10);
    let accounts = (0..count).map(|n| account(&id(n), 90, since)).collect();
    let sandbox = TestSandbox::on(Clock::System, accounts, Vec::new(), Faults::default());
    let (_dir, file) = desired_file(accounts_file(count, "100000000/1s", ""));

    let every = ["--every", "PT0.1S", "--full-every", "PT0.1S"];
    let busy = serve(&sandbox, &file, &every);
    wait_for_cycles(&busy, WARM_UP);
    let (warm, started) = (status_kib(&busy, "VmRSS:"), Instant::now());
    wait_for_cycles(&busy, CYCLES);
    let (last, wall) = (status_kib(&busy, "VmRSS:"), started.elapsed());
    let peak = status_kib(&busy, "VmHWM:");
    drop(busy);
    let growth = last.saturating_sub(warm);

    let idle = serve(&sandbox, &file, &[]);
    wait_for_cycles(&idle, 1.0);
    let before = cpu(&idle);
    std::thread::sleep(IDLE);
    let per_hour = (cpu(&idle) - before).as_secs_f64() * 3600.0 / IDLE.as_secs_f64();
    drop(idle);

    let mut row = Row::measured(scenario, wall, peak);
    row.extra = Some((
        format!(
            "RSS growth after {WARM_UP} cycles ≤ 1 MB ({:.2} MB); idle CPU {per_hour:.1} s/hour",
            growth as f64 / 1024.0
        ),
        growth <= GROWTH_KIB,
    ));
    row.judge()
}
