//! Scenario h: `keyrot serve` over many cycles. 1,000 cycles, each reading 100 accounts
//! (`--full-every` as short as `--every`): its resident memory after 100 cycles (the warm-up)
//! and after 1,000 must not differ by more than 1 MB. Then a replica with nothing due, for a
//! minute: the CPU it spends, as seconds per idle hour.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use keyrot::sandbox::{Clock, Faults};

use super::harness::{TestSandbox, account, desired_file, free_port, http_get, id};
use super::{Row, Scenario, accounts_file};

/// Cycles before memory is first measured.
const WARM_UP: f64 = 100.0;
/// Cycles in all.
const CYCLES: f64 = 1_000.0;
/// The most resident memory may grow between the warm-up and the last cycle.
const GROWTH_KIB: u64 = 1024;
/// How long the idle replica is watched.
const IDLE: Duration = Duration::from_secs(60);

/// A running `keyrot serve` and its port.
struct Served {
    child: Child,
    port: u16,
}

impl Served {
    fn start(sandbox: &TestSandbox, file: &Path, args: &[&str]) -> Self {
        let port = free_port();
        let child = sandbox
            .keyrot(file)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self { child, port }
    }

    /// Cycles that read everything and succeeded.
    fn cycles(&self) -> f64 {
        let Ok(_) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return 0.0;
        };
        let (_, text) = http_get(self.port, "/metrics");
        text.lines()
            .find_map(|line| line.strip_prefix("keyrot_cycles_total{outcome=\"success\"} "))
            .and_then(|count| count.parse().ok())
            .unwrap_or(0.0)
    }

    fn wait_for_cycles(&self, count: f64) {
        let deadline = Instant::now() + Duration::from_secs(1200);
        while self.cycles() < count {
            assert!(Instant::now() < deadline, "never reached {count} cycles");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A field of /proc/PID/status, in KiB.
    fn status_kib(&self, field: &str) -> u64 {
        let mut text = String::new();
        std::fs::File::open(format!("/proc/{}/status", self.child.id()))
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(field)?.trim().strip_suffix(" kB"))
            .and_then(|kib| kib.trim().parse().ok())
            .unwrap()
    }

    /// User and system CPU time so far.
    fn cpu(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        let after_name = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after_name.split(' ').collect();
        // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        // SAFETY: sysconf has no preconditions.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        Duration::from_secs_f64(ticks as f64 / per_second)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // SAFETY: kill has no preconditions; the pid is our child's.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// Runs scenario h: the busy replica's memory over 1,000 cycles, then the idle one's CPU.
pub fn many_cycles(scenario: &Scenario) -> Row {
    let count = scenario.resources;
    let since = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 10);
    let accounts = (0..count).map(|n| account(&id(n), 90, since)).collect();
    let sandbox = TestSandbox::on(Clock::System, accounts, Vec::new(), Faults::default());
    let (_dir, file) = desired_file(accounts_file(count, "100000000/1s", ""));

    let every = ["--every", "PT0.1S", "--full-every", "PT0.1S"];
    let busy = Served::start(&sandbox, &file, &every);
    busy.wait_for_cycles(WARM_UP);
    let (warm, started) = (busy.status_kib("VmRSS:"), Instant::now());
    busy.wait_for_cycles(CYCLES);
    let (last, wall) = (busy.status_kib("VmRSS:"), started.elapsed());
    let peak = busy.status_kib("VmHWM:");
    drop(busy);
    let growth = last.saturating_sub(warm);

    let idle = Served::start(&sandbox, &file, &[]);
    idle.wait_for_cycles(1.0);
    let before = idle.cpu();
    std::thread::sleep(IDLE);
    let per_hour = (idle.cpu() - before).as_secs_f64() * 3600.0 / IDLE.as_secs_f64();
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
