//! The rate limit against a sandbox that blocks like Cloudflare: never a 429, even while sibling
//! tests compete for the CPU (a request counts until a window after its answer, so requests that
//! reach the server late cannot bunch up into one of its windows).

use std::time::{Duration, Instant};

use keyrot::sandbox::{Faults, ServerRateLimit};

use crate::harness::{TestSandbox, desired_file, fleet, stderr};

fn blocking_server(requests: u32) -> Faults {
    Faults {
        rate_limit: Some(ServerRateLimit {
            requests,
            window: Duration::from_secs(1),
            block: Duration::from_secs(60),
        }),
        ..Faults::default()
    }
}

#[test]
fn the_rate_limit_is_never_exceeded() {
    let (file, accounts) = fleet(30, Some("9/1s"));
    let sandbox = TestSandbox::with_faults(accounts, blocking_server(10));
    let (_dir, path) = desired_file(&file);
    let started = Instant::now();
    let output = sandbox.run(&path, &["--parallelism", "30", "plan"]);
    let elapsed = started.elapsed();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(sandbox.sandbox.counters().throttled, 0);
    // 30 reads at 9 per second: the last three windows cannot start before 3 seconds have
    // passed, so finishing sooner would mean the limiter let requests through early.
    assert!(elapsed >= Duration::from_secs(3), "{elapsed:?}");
}

#[test]
fn the_servers_ratelimit_header_slows_keyrot_before_the_budget_runs_out() {
    // keyrot's own budget (100/1s) is far above the server's (10/1s, then a 60 s block): only
    // the server's `Ratelimit: r=…;t=…` header keeps one request at a time from tripping it.
    let (file, accounts) = fleet(25, Some("100/1s"));
    let sandbox = TestSandbox::with_faults(accounts, blocking_server(10));
    let (_dir, path) = desired_file(&file);
    let output = sandbox.run(&path, &["--parallelism", "1", "-v", "plan"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(sandbox.sandbox.counters().throttled, 0);
    assert!(
        stderr(&output).contains("rate limit is nearly spent"),
        "{}",
        stderr(&output)
    );
}
