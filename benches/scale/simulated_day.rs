//! Scenario i: `keyrot serve --apply` through a simulated day over 10,000 Cloudflare accounts at
//! Cloudflare's own limit, 1200 requests per 5 minutes, which the sandbox enforces (with a
//! minute's block past it) and keyrot keeps to. keyrot and the sandbox run in one tokio runtime
//! whose clock is paused, and keyrot's clock and the sandbox's run with tokio's: the day passes as
//! fast as its work is done, and every wait in it (the cycles' cadence, the request budget, the
//! timeouts) is the one a real day has.
//!
//! The keys are from 0 to 60 days old, under `max_key_age: 60d`: one in sixty comes due during
//! the day. Targets: requests at most 1.1 × (one full read, plus one read and one write for each
//! key that came due); no 429; every key due by the day's last half hour rotated, and no key
//! rotated twice or before it was due.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use keyrot::apply::Signal;
use keyrot::sandbox::{Clock, Faults, SandboxCounters, ServerRateLimit};
use keyrot::serve::{Control, LogFormat};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use super::harness::{account, desired_file, id, now, sandbox_config, start_sandbox};
use super::serve::process_status_kib;
use super::{Row, Scenario, accounts_file};

/// The day simulated.
const DAY: Duration = Duration::from_secs(86_400);
/// `max_key_age`, in days; the keys' ages are spread evenly below it.
const MAX_AGE_DAYS: i64 = 60;
/// Keys due this long before the day's end may still wait for their cycle (15m +10%).
const LAST_CYCLE: SignedDuration = SignedDuration::from_mins(30);
/// Requests over (one full read + a read and a write per key that came due) at most.
const RATIO: f64 = 1.1;

/// keyrot's clock in the simulation: the sandbox's, which runs with tokio's.
struct MachineClock(Clock);

impl keyrot::apply::Clock for MachineClock {
    fn now(&self) -> Timestamp {
        self.0.now()
    }
}

/// Where `keyrot serve` runs in the simulation: the simulated clock, stop when the day ends,
/// no log.
struct Simulation {
    clock: MachineClock,
    controls: Mutex<Option<UnboundedReceiver<Control>>>,
}

impl keyrot::cli::ServeHost for Simulation {
    fn clock(&self) -> &dyn keyrot::apply::Clock {
        &self.clock
    }

    fn controls(&self) -> std::io::Result<UnboundedReceiver<Control>> {
        let taken = self.controls.lock().unwrap().take();
        taken.ok_or_else(|| std::io::Error::other("the simulation's controls were taken"))
    }

    fn start_log(&self, _format: LogFormat, _colored: bool) {}
}

/// When account `n` of `count` was last rotated: `n` sixtieths of 60 days before the start.
fn last_rotation(n: usize, count: usize) -> Timestamp {
    let max_age = SignedDuration::from_hours(24 * MAX_AGE_DAYS);
    now() - max_age.mul_f64(n as f64 / count as f64)
}

/// Runs scenario i: a day of `keyrot serve --apply`, then its requests and rotations judged.
pub fn a_day_of_serve(scenario: &Scenario) -> Row {
    let count = scenario.resources;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let started = Instant::now();
    let counters = runtime.block_on(serve_a_day(count));
    let wall = started.elapsed();

    let end = now() + SignedDuration::try_from(DAY).unwrap();
    let due = |n: &usize| last_rotation(*n, count) + SignedDuration::from_hours(24 * MAX_AGE_DAYS);
    let came_due = (0..count).filter(|n| due(n) < end).count();
    let rotations = |n: usize| counters.rotations.get(&id(n)).copied().unwrap_or(0);
    let missed = (0..count)
        .filter(|n| due(n) < end - LAST_CYCLE && rotations(*n) != 1)
        .count();
    let wrong = (0..count)
        .filter(|n| rotations(*n) > 1 || (rotations(*n) == 1 && due(n) >= end))
        .count();
    let requests: usize = counters.by_method.values().sum();
    let ideal = count + 2 * came_due;
    let ratio = requests as f64 / ideal as f64;
    let mut row = Row::measured(scenario, wall, process_status_kib("self", "VmHWM:"));
    row.requests = Some(requests);
    row.throttled = Some(counters.throttled);
    row.extra = Some((
        format!(
            "requests ≤ {RATIO}× (one full read + a read and a write per key due): {requests} \
             of {ideal} ({ratio:.3}×; {}); {came_due} keys came due, {} rotated, {missed} \
             missed, {wrong} rotated twice or early",
            by_method(&counters),
            counters.rotations.values().sum::<usize>(),
        ),
        ratio <= RATIO && missed == 0 && wrong == 0,
    ));
    row.judge()
}

/// Starts the sandbox and `keyrot serve --apply` on `count` accounts, lets a day pass, stops
/// keyrot and returns what the sandbox counted.
async fn serve_a_day(count: usize) -> SandboxCounters {
    let clock = Clock::tokio_from(now());
    let accounts = (0..count)
        .map(|n| account(&id(n), 90, last_rotation(n, count)))
        .collect();
    let faults = Faults {
        rate_limit: Some(ServerRateLimit {
            requests: 1200,
            window: Duration::from_secs(300),
            block: Duration::from_secs(60),
        }),
        ..Faults::default()
    };
    let seeds = (accounts, Vec::new(), Vec::new());
    let sandbox = start_sandbox(sandbox_config(clock, seeds, faults)).await;
    for (variable, value) in sandbox.environment() {
        // SAFETY: this runtime has one thread, and nothing else in the process reads the
        // environment meanwhile: the scenarios before this one have ended.
        unsafe { std::env::set_var(variable, value) };
    }
    let extra = format!("      max_key_age: {MAX_AGE_DAYS}d\n");
    let (_dir, file) = desired_file(accounts_file(count, "1200/5m", &extra));
    let (stop, controls) = unbounded_channel();
    let host = Simulation {
        clock: MachineClock(clock),
        controls: Mutex::new(Some(controls)),
    };
    let file = file.display().to_string();
    let args = ["--apply", "-f", &file, "--listen", "127.0.0.1:0"];
    let day = async {
        tokio::time::sleep(DAY).await;
        stop.send(Control::Stop(Signal::Terminate)).unwrap();
    };
    let (served, ()) = tokio::join!(keyrot::cli::serve_on(&args, &host), day);
    served.expect("keyrot serve runs the day and stops when asked");
    sandbox.counters()
}

/// The requests by method, as "10336 GET, 167 POST".
fn by_method(counters: &SandboxCounters) -> String {
    let each = counters
        .by_method
        .iter()
        .map(|(method, count)| format!("{count} {method}"));
    each.collect::<Vec<_>>().join(", ")
}
