//! keyrot against a faulty sandbox: retries where they are safe, rotates settled by reading
//! instead of re-sending, the rate limit never exceeded, partial failures reported, Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};
use std::time::Duration;

use keyrot::sandbox::{FaultTarget, Faults};

use crate::harness::{NOW, TestSandbox, desired_file, fleet, id, keyrot_command, stderr, stdout};

fn rotations_expected(count: usize) -> usize {
    count.div_ceil(2)
}

fn faulty(count: usize, faults: Faults) -> (TestSandbox, tempfile::TempDir, std::path::PathBuf) {
    let (file, accounts) = fleet(count, None);
    let sandbox = TestSandbox::with_faults(accounts, faults);
    let (dir, path) = desired_file(&file);
    (sandbox, dir, path)
}

fn assert_each_odd_account_rotated_once(sandbox: &TestSandbox, count: usize) {
    let rotations = sandbox.sandbox.counters().rotations;
    for n in 1..=count {
        let expected = usize::from(n % 2 == 1);
        let actual = rotations.get(&id(n)).copied().unwrap_or(0);
        assert_eq!(actual, expected, "rotations of account-{n}: {rotations:?}");
    }
}

fn converged(sandbox: &TestSandbox, file: &std::path::Path) -> Output {
    sandbox.run(file, &["plan", "--detailed-exitcode"])
}

#[test]
fn server_errors_on_reads_are_retried_and_shown_with_verbose() {
    let faults = Faults {
        error_rate: 0.3,
        seed: 1,
        ..Faults::default()
    };
    let (sandbox, _dir, file) = faulty(6, faults);
    // -q and -v together: no progress bar, every retry logged (a cron job's choice).
    let output = sandbox.run(&file, &["-q", "-v", "plan"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("retrying GET /accounts/"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("HTTP 503"), "{}", stderr(&output));
    assert!(sandbox.sandbox.counters().by_method["GET"] > 6);
}

#[test]
fn throttled_reads_wait_and_retry() {
    let faults = Faults {
        throttle_rate: 0.3,
        seed: 2,
        ..Faults::default()
    };
    let (sandbox, _dir, file) = faulty(6, faults);
    let output = sandbox.run(&file, &["plan"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(sandbox.sandbox.counters().throttled > 0);
}

#[test]
fn dropped_connections_on_reads_are_retried() {
    let faults = Faults {
        drop_rate: 0.3,
        seed: 3,
        ..Faults::default()
    };
    let (sandbox, _dir, file) = faulty(6, faults);
    let output = sandbox.run(&file, &["plan"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(sandbox.sandbox.counters().by_method["GET"] > 6);
}

#[test]
fn a_rotate_whose_answer_is_lost_is_confirmed_by_reading_never_resent() {
    let faults = Faults {
        rotate_then_drop_rate: 1.0,
        ..Faults::default()
    };
    let (sandbox, _dir, file) = faulty(4, faults);
    let apply = sandbox.run(&file, &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert!(
        stdout(&apply)
            .contains("re-reading the account confirmed the rotation, which was not sent again"),
        "{}",
        stdout(&apply)
    );
    assert_eq!(
        sandbox.posts(),
        rotations_expected(4),
        "no rotate was sent twice"
    );
    assert_each_odd_account_rotated_once(&sandbox, 4);
    assert_eq!(converged(&sandbox, &file).status.code(), Some(0));
}

#[test]
fn a_rotate_answered_5xx_is_checked_reported_and_not_resent_then_converges() {
    let faults = Faults {
        error_rate: 1.0,
        target: FaultTarget::Rotates,
        ..Faults::default()
    };
    let (sandbox, _dir, file) = faulty(4, faults);
    let apply = sandbox.run(&file, &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(1), "{}", stdout(&apply));
    let report = stdout(&apply);
    assert!(
        report.contains("HTTP 503: 10502 Service temporarily unavailable")
            && report
                .contains("reading the key again showed no new rotation, so it was not rotated"),
        "{report}"
    );
    assert!(report.contains("account-2: ~ update key_rotation_interval_days: 90 -> 30: done"));
    assert!(
        report.contains("Apply failed: 2 done, 2 failed, 0 not started."),
        "{report}"
    );
    assert_eq!(
        sandbox.posts(),
        rotations_expected(4),
        "no rotate was sent twice"
    );

    sandbox.sandbox.set_faults(Faults::default());
    let again = sandbox.run(&file, &["apply", "--auto-approve"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert_each_odd_account_rotated_once(&sandbox, 4);
    assert_eq!(converged(&sandbox, &file).status.code(), Some(0));
}

#[test]
fn a_rotate_answered_429_is_retried_because_it_was_not_processed() {
    let faults = Faults {
        throttle_rate: 0.5,
        target: FaultTarget::Rotates,
        seed: 5,
        ..Faults::default()
    };
    let (sandbox, _dir, file) = faulty(4, faults);
    let apply = sandbox.run(&file, &["apply", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stdout(&apply));
    assert!(sandbox.sandbox.counters().throttled > 0);
    assert_each_odd_account_rotated_once(&sandbox, 4);
}

#[test]
fn fail_fast_starts_nothing_after_the_first_failure() {
    let faults = Faults {
        error_rate: 1.0,
        target: FaultTarget::Rotates,
        ..Faults::default()
    };
    let (sandbox, _dir, file) = faulty(4, faults);
    let apply = sandbox.run(
        &file,
        &[
            "--parallelism",
            "1",
            "apply",
            "--auto-approve",
            "--fail-fast",
        ],
    );
    assert_eq!(apply.status.code(), Some(1));
    let report = stdout(&apply);
    assert!(
        report.contains("account-1: ↻ rotate access keys: failed:"),
        "{report}"
    );
    assert!(
        report.contains("account-2: ~ update key_rotation_interval_days: 90 -> 30: not started: --fail-fast stopped the run after a failure"),
        "{report}"
    );
    assert_eq!(sandbox.writes().len(), 1);
}

#[test]
fn a_seeded_mix_of_faults_converges_without_a_double_rotation() {
    let faults = Faults {
        error_rate: 0.1,
        throttle_rate: 0.05,
        drop_rate: 0.1,
        rotate_then_drop_rate: 0.3,
        seed: 42,
        ..Faults::default()
    };
    let (sandbox, _dir, file) = faulty(8, faults);
    let mut applies = 0;
    while converged(&sandbox, &file).status.code() != Some(0) {
        applies += 1;
        assert!(applies <= 5, "no convergence after 5 applies");
        let apply = sandbox.run(&file, &["apply", "--auto-approve"]);
        assert!(
            matches!(apply.status.code(), Some(0 | 1)),
            "{}",
            stderr(&apply)
        );
    }
    assert_each_odd_account_rotated_once(&sandbox, 8);
}

#[test]
fn ctrl_c_finishes_in_flight_actions_reports_and_exits_130() {
    let faults = Faults {
        latency: Duration::from_millis(300),
        ..Faults::default()
    };
    let (sandbox, _dir, file) = faulty(8, faults);
    let mut child = sandbox
        .keyrot(&file)
        .args([
            "--now",
            NOW,
            "--parallelism",
            "1",
            "apply",
            "--auto-approve",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let first_done = line.ends_with(": done") || line.contains(": done;");
        seen.push(line);
        if first_done {
            break;
        }
    }
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    seen.extend(lines.map(Result::unwrap));
    let status = child.wait().unwrap();
    let report = seen.join("\n");
    assert_eq!(status.code(), Some(130), "{report}");
    assert!(
        report.contains("not started: interrupted (Ctrl-C)"),
        "{report}"
    );
    assert!(report.contains("Apply interrupted:"), "{report}");
    let done = report.matches(": done").count();
    assert!((1..8).contains(&done), "{report}");
}

/// Runs `keyrot plan` against `sandbox` on a pseudo-terminal, so stderr is a terminal; returns
/// everything the terminal showed.
fn plan_on_a_terminal(sandbox: &TestSandbox, file: &std::path::Path, extra: &str) -> String {
    let output = sandbox
        .keyrot_on_a_terminal(file, &format!("{extra} plan"))
        .stdin(Stdio::null())
        .output()
        .expect("util-linux `script` gives the progress test a pseudo-terminal");
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    stdout(&output)
}

#[test]
fn a_progress_bar_shows_only_on_a_terminal_and_never_with_quiet() {
    let faults = Faults {
        latency: Duration::from_millis(100),
        ..Faults::default()
    };
    let (sandbox, _dir, file) = faulty(8, faults);
    assert!(plan_on_a_terminal(&sandbox, &file, "").contains("reading live state"));
    assert!(!plan_on_a_terminal(&sandbox, &file, "-q").contains("reading live state"));
    let piped = sandbox.run(&file, &["plan"]);
    assert!(!stderr(&piped).contains("reading live state"));
}

#[test]
fn the_progress_bar_says_when_keyrot_waits_for_its_own_request_budget() {
    // Six requests in any 3 s: the seventh waits about 3 s, and the bar says so as it waits.
    let (file, accounts) = fleet(8, Some("6/3s"));
    let sandbox = TestSandbox::start(accounts);
    let (_dir, path) = desired_file(&file);
    let shown = plan_on_a_terminal(&sandbox, &path, "");
    assert!(
        shown.contains("for the request budget (6/3s)"),
        "the bar never said it was waiting:\n{shown}"
    );
    assert!(shown.contains(" 6/8 ("), "{shown}");
}

#[test]
fn the_progress_bar_says_when_the_api_asks_keyrot_to_slow_down() {
    // keyrot's own budget is ample; the server's (5 in 3 s) runs low and its Ratelimit
    // header pauses keyrot, which the bar puts down to the API, not to keyrot's budget.
    let (file, accounts) = fleet(8, Some("100/1s"));
    let faults = Faults {
        rate_limit: Some(keyrot::sandbox::ServerRateLimit {
            requests: 5,
            window: Duration::from_secs(3),
            block: Duration::from_secs(60),
        }),
        ..Faults::default()
    };
    let sandbox = TestSandbox::with_faults(accounts, faults);
    let (_dir, path) = desired_file(&file);
    let shown = plan_on_a_terminal(&sandbox, &path, "--parallelism 1");
    assert!(
        shown.contains(": the API asked keyrot to slow down"),
        "the bar never said the API paused it:\n{shown}"
    );
    assert!(
        !shown.contains("for the request budget (100/1s)"),
        "{shown}"
    );
}

#[test]
fn an_absurd_retry_after_neither_stalls_nor_crashes_keyrot() {
    // A server asking to wait u64::MAX seconds: keyrot caps the wait at its own total retry
    // budget instead of sleeping for ever (or overflowing the clock), and gives up.
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        for stream in listener.incoming().take(1) {
            let mut stream = stream.unwrap();
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let body = r#"{"success":false,"errors":[{"code":971,"message":"slow down"}],"messages":[],"result":null}"#;
            let response = format!(
                "HTTP/1.1 503 Service Unavailable\r\nretry-after: 18446744073709551615\r\nratelimit: \"default\";r=0;t=18446744073709551615\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    let (_dir, file) = desired_file(&fleet(1, None).0);
    let started = std::time::Instant::now();
    let output = keyrot_command()
        .env("CLOUDFLARE_BASE_URL", format!("http://{address}/client/v4"))
        .env("CLOUDFLARE_API_TOKEN", "t")
        .args(["-f", file.to_str().unwrap(), "plan"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("HTTP 503: 971 slow down"),
        "{}",
        stderr(&output)
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "keyrot waited as asked"
    );
    server.join().unwrap();
}

#[test]
fn ctrl_c_while_plan_or_apply_reads_says_nothing_was_changed() {
    // Every answer takes a minute: the command is still reading when the signal comes.
    let faults = Faults {
        latency: Duration::from_secs(60),
        ..Faults::default()
    };
    let cases: [(&[&str], &str); 2] = [
        (
            &["apply", "--auto-approve"],
            "apply stopped before its first write; nothing was changed",
        ),
        (&["plan"], "plan stopped; a plan changes nothing"),
    ];
    for (args, said) in cases {
        let (sandbox, _dir, file) = faulty(2, faults.clone());
        let child = sandbox
            .keyrot(&file)
            .args(["--now", NOW])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        sandbox.wait_for_a_request();
        let interrupted = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(interrupted.success());
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
        assert_eq!(stderr(&output), format!("\nCtrl-C: {said}\n"));
        assert!(sandbox.writes().is_empty());
    }
}

#[test]
fn an_api_that_answers_every_read_503_shows_its_retries_and_ends_in_one_line() {
    let faults = Faults {
        error_rate: 1.0,
        ..Faults::default()
    };
    let (sandbox, _dir, file) = faulty(30, faults);
    let output = sandbox
        .keyrot_on_a_terminal(&file, "plan")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let shown = stdout(&output);
    assert!(
        shown.contains("retrying in ") && shown.contains(" after HTTP 503"),
        "the bar never said it was retrying:\n{shown}"
    );
    let (_, said) = shown.split_once("error: ").expect("an error line");
    assert!(
        said.starts_with("Cloudflare: the API answered every read with a server error")
            && said
                .trim_end()
                .ends_with("Reading from Cloudflare stopped there: 30 accounts not read"),
        "{said}"
    );
    assert_eq!(shown.matches("error:").count(), 1, "{shown}");
}
