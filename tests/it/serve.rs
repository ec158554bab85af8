//! `keyrot serve` against the sandbox: cycles that rotate due keys once, its endpoints
//! (`/metrics` checked by promtool), SIGHUP with a broken file, SIGTERM, one leader among
//! replicas on one state (local and PostgreSQL), and a guardrail refusal as an alert. The
//! sandbox's clock runs with the system's and the keys are aged from it, so nothing depends on
//! the date.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use keyrot::sandbox::{Clock, Faults};
use keyrot::vendor::rixl::sandbox::SandboxKey;

use crate::harness::{
    Served, TestPostgres, TestSandbox, Workspace, account, exit_within_30s, free_port, id, mode,
    rixl_key, wait_until, wait_until_within,
};

/// A file with one due Cloudflare account and two due RIXL keys with file sinks.
fn due_file(settings: &str) -> String {
    format!(
        "version: 1\n{settings}cloudflare:\n  defaults:\n    max_key_age: 30d\n  accounts:\n    \
         production:\n      account_id: {}\nrixl:\n  defaults:\n    max_key_age: 30d\n  \
         api_keys:\n    k1:\n      key_id: K1\n      secret:\n        file: secrets/k1.key\n    \
         k2:\n      key_id: K2\n      secret:\n        file: secrets/k2.key\n",
        id(1)
    )
}

/// A key `id` created 40 days before the system's clock.
fn key_aged_40_days(id: &str) -> SandboxKey {
    let now = Timestamp::now();
    SandboxKey {
        created_at: now - SignedDuration::from_hours(40 * 24),
        expiring_at: Some(now + SignedDuration::from_hours(300 * 24)),
        ..rixl_key(id, 0, 0)
    }
}

/// The sandbox [`due_file`] is due against, on the system's clock.
fn due_sandbox() -> TestSandbox {
    let sixty_days_ago = Timestamp::now() - SignedDuration::from_hours(60 * 24);
    TestSandbox::on(
        Clock::System,
        vec![account(&id(1), 90, sixty_days_ago)],
        vec![key_aged_40_days("K1"), key_aged_40_days("K2")],
        Faults::default(),
    )
}

/// `keyrot serve -f file` against `sandbox` with `args`, its output kept, once its endpoints
/// answer.
fn serve(sandbox: &TestSandbox, file: &Path, args: &[&str]) -> Served {
    serve_with(sandbox.keyrot(file), args)
}

/// `command` running `keyrot serve` with `args`, its output kept.
fn serve_with(mut command: Command, args: &[&str]) -> Served {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    Served::start(command, args)
}

#[test]
fn serve_apply_rotates_each_due_key_once_over_several_cycles_and_stops_on_sigterm() {
    let sandbox = due_sandbox();
    let workspace = Workspace::new(&due_file(""));
    let served = serve(&sandbox, &workspace.file(), &["--apply", "--every", "1s"]);
    // The first cycle reads everything and rotates; the second reads again what it rotated;
    // then nothing can change before the next full read (--full-every, 24h): cycles read nothing.
    wait_until("two cycles succeed", || served.cycles("success") >= 2.0);
    wait_until("a cycle finds nothing due", || served.cycles("idle") >= 1.0);
    let requests = sandbox.requests().len();
    wait_until("two more cycles find nothing due", || {
        served.cycles("idle") >= 3.0
    });
    assert_eq!(
        sandbox.requests().len(),
        requests,
        "an idle cycle sent a request"
    );
    assert_eq!(served.cycles("success"), 2.0);
    let status = served.status();
    assert!(status["next_full_read_at"].is_string(), "{status}");
    assert_eq!(status["role"]["state"], "leader", "{status}");
    assert_eq!(status["mode"], "apply");
    assert_eq!(status["resources"]["k1"]["drift"], false, "{status}");
    assert_eq!(served.get("/healthz").0, 200);
    assert_eq!(served.get("/readyz"), (200, "ready\n".to_owned()));
    let (code, log) = served.stop();
    assert_eq!(code, Some(0), "{log}");

    let rotations = sandbox.sandbox.counters().rotations;
    for key in ["K1", "K2", id(1).as_str()] {
        assert_eq!(rotations.get(key), Some(&1), "{key}: {rotations:?}");
    }
    for key in ["K1", "K2"] {
        let secret = sandbox.rixl_key(key).unwrap().secret;
        let sink = workspace.path(&format!("secrets/{}.key", key.to_lowercase()));
        assert_eq!(std::fs::read_to_string(&sink).unwrap().trim_end(), secret);
        assert_eq!(mode(&sink), 0o600);
        assert!(!log.contains(&secret), "a secret was logged: {log}");
    }
    assert!(log.contains("rotated resource=\"k1\""), "{log}");
    assert!(log.contains("stopped; the lead is released"), "{log}");
}

#[test]
fn read_only_serve_never_writes_and_its_metrics_pass_promtool() {
    let sandbox = due_sandbox();
    let workspace = Workspace::new(&due_file(""));
    let served = serve(&sandbox, &workspace.file(), &["--every", "1s"]);
    wait_until("two cycles succeed", || served.cycles("success") >= 2.0);
    assert_eq!(served.metric("keyrot_leader"), Some(1.0));
    assert_eq!(
        served.metric("keyrot_resource_drift{resource=\"k1\",provider=\"rixl\"}"),
        Some(1.0)
    );
    let (_, metrics) = served.get("/metrics");
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian's `prometheus` package) checks /metrics; .ci/run installs it");
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool: {}{}\n{metrics}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    let (code, log) = served.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(sandbox.writes().is_empty(), "{:?}", sandbox.writes());
    assert!(log.contains("drift resource=\"k1\""), "{log}");
}

#[test]
fn sighup_with_a_broken_file_keeps_serving_the_old_one_and_readyz_says_why() {
    let sandbox = due_sandbox();
    let workspace = Workspace::new(&due_file(""));
    let served = serve(&sandbox, &workspace.file(), &["--every", "1s"]);
    wait_until("ready", || served.get("/readyz").0 == 200);
    let good = std::fs::read_to_string(workspace.file()).unwrap();
    std::fs::write(workspace.file(), format!("{good}  extra: [\n")).unwrap();
    served.signal(libc::SIGHUP);
    wait_until("readyz says the file is broken", || {
        served.get("/readyz").0 == 503
    });
    let (_, why) = served.get("/readyz");
    assert!(why.contains("keyrot.yaml:"), "{why}");
    assert_eq!(served.metric("keyrot_desired_state_valid"), Some(0.0));
    assert_eq!(
        served.metric("keyrot_desired_state_reload_failures_total"),
        Some(1.0)
    );
    let cycles = served.cycles("success");
    wait_until("the old file still runs", || {
        served.cycles("success") >= cycles + 2.0
    });
    assert_eq!(served.get("/healthz").0, 200);

    std::fs::write(workspace.file(), &good).unwrap();
    served.signal(libc::SIGHUP);
    wait_until("the fixed file is ready", || served.get("/readyz").0 == 200);
    assert_eq!(served.metric("keyrot_desired_state_valid"), Some(1.0));
    let (code, log) = served.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("did not reload"), "{log}");
}

#[test]
fn a_second_serve_on_the_same_state_stands_by_until_the_first_stops() {
    let sandbox = due_sandbox();
    let workspace = Workspace::new(&due_file(""));
    let first = serve(&sandbox, &workspace.file(), &["--every", "1s"]);
    wait_until("the first leads", || {
        first.metric("keyrot_leader") == Some(1.0)
    });
    let second = serve(&sandbox, &workspace.file(), &["--every", "1s"]);
    wait_until("the second stands by", || {
        second.status()["role"]["state"] == "standby"
    });
    assert_eq!(second.metric("keyrot_leader"), Some(0.0));
    assert_eq!(second.get("/readyz").0, 200, "a standby is ready to lead");
    let (code, _) = first.stop();
    assert_eq!(code, Some(0));
    wait_until("the second leads", || {
        second.metric("keyrot_leader") == Some(1.0)
    });
    wait_until("the second runs a cycle", || {
        second.cycles("success") >= 1.0
    });
    let (code, log) = second.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("standing by"), "{log}");
}

#[test]
fn a_guardrail_refusal_is_an_alert_that_writes_nothing_and_json_logs_hold_no_secret() {
    let sandbox = due_sandbox();
    let workspace = Workspace::new(&due_file("settings:\n  max_rotations_per_apply: 1\n"));
    let served = serve(
        &sandbox,
        &workspace.file(),
        &["--apply", "--every", "1s", "--log-format", "json"],
    );
    wait_until("two cycles are refused", || served.cycles("refused") >= 2.0);
    assert_eq!(served.cycles("failed"), 0.0);
    let status = served.status();
    assert_eq!(status["last_cycle"]["outcome"], "refused", "{status}");
    let (code, log) = served.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(sandbox.writes().is_empty(), "{:?}", sandbox.writes());
    for line in log.lines() {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(
            event["level"].is_string() && event["message"].is_string(),
            "{line}"
        );
    }
    // Told once, though every cycle was refused in the same words.
    assert_eq!(
        log.matches("\"message\":\"guardrail refused\"").count(),
        1,
        "{log}"
    );
    assert!(log.contains("run that apply by hand"), "{log}");
    for key in ["K1", "K2"] {
        let secret = sandbox.rixl_key(key).unwrap().secret;
        assert!(!log.contains(&secret), "{log}");
    }
}

#[test]
fn two_replicas_on_postgres_rotate_once_and_the_standby_leads_after_kill_9() {
    let Some(server) = TestPostgres::start() else {
        return;
    };
    let url = server.url("serve_replicas");
    let sandbox = due_sandbox();
    let workspace = Workspace::new(&due_file("settings:\n  backend: postgres\n"));
    let replica = || {
        let mut command = sandbox.keyrot(&workspace.file());
        command.env("KEYROT_DATABASE_URL", &url);
        // Every cycle reads everything, so that the standby's cycles would show.
        serve_with(command, &["--apply", "--every", "1s", "--full-every", "1s"])
    };
    let (a, b) = (replica(), replica());
    wait_until("one of them leads", || {
        a.metric("keyrot_leader") == Some(1.0) || b.metric("keyrot_leader") == Some(1.0)
    });
    let (mut leader, standby) = match a.metric("keyrot_leader") == Some(1.0) {
        true => (a, b),
        false => (b, a),
    };
    wait_until("the leader runs three cycles", || {
        leader.cycles("success") >= 3.0
    });
    assert_eq!(standby.metric("keyrot_leader"), Some(0.0));
    assert_eq!(standby.cycles("success"), 0.0);
    let status = standby.status();
    let named = status["role"]["leader"].as_str().unwrap_or_default();
    assert!(named.contains(" serve --listen "), "{status}");

    leader.child.kill().unwrap();
    leader.child.wait().unwrap();
    wait_until("the standby leads (within 30 s of kill -9)", || {
        standby.metric("keyrot_leader") == Some(1.0)
    });
    // Its first cycle may wait for the dead leader's apply lock: lease and grace, 30 s.
    wait_until_within(
        Duration::from_secs(60),
        "the new leader runs two cycles",
        || standby.cycles("success") >= 2.0,
    );
    let (code, log) = standby.stop();
    assert_eq!(code, Some(0), "{log}");
    let rotations = sandbox.sandbox.counters().rotations;
    for key in ["K1", "K2", id(1).as_str()] {
        assert_eq!(rotations.get(key), Some(&1), "{key}: {rotations:?}");
    }
}

/// A webhook receiver on loopback: the first request gets HTTP 500, every later one 204; it
/// keeps each body.
struct Receiver {
    port: u16,
    bodies: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Receiver {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = std::sync::Arc::clone(&bodies);
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                let body = read_request_body(&mut stream);
                kept.lock().unwrap().push(body);
                let status = if n == 0 {
                    "500 Internal Server Error"
                } else {
                    "204 No Content"
                };
                let answer =
                    format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        Self { port, bodies }
    }

    fn bodies(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }
}

/// The body of the one HTTP request on `stream`.
fn read_request_body(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = stream.read(&mut buffer).unwrap();
        received.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            if body.len() >= length || read == 0 {
                return body.to_owned();
            }
        }
        if read == 0 {
            return String::new();
        }
    }
}

#[test]
fn the_alert_webhook_gets_each_rotation_retried_after_a_failure_and_never_a_secret() {
    let sandbox = due_sandbox();
    let receiver = Receiver::start();
    let settings = "settings:\n  alert_webhook_env: KEYROT_TEST_WEBHOOK\n";
    let workspace = Workspace::new(&due_file(settings));
    let mut command = sandbox.keyrot(&workspace.file());
    let url = format!("http://127.0.0.1:{}/hooks/keyrot", receiver.port);
    command.env("KEYROT_TEST_WEBHOOK", &url);
    let served = serve_with(command, &["--apply", "--every", "1s"]);
    let rotated = |bodies: &[String]| {
        bodies
            .iter()
            .filter(|body| body.contains("\"event\":\"rotated\""))
            .count()
    };
    // The first rotation's alert was refused once and sent again.
    wait_until("three rotations are alerted", || {
        rotated(&receiver.bodies()) >= 4
    });
    let (code, log) = served.stop();
    assert_eq!(code, Some(0), "{log}");
    let bodies = receiver.bodies();
    let events: Vec<serde_json::Value> = bodies
        .iter()
        .map(|body| serde_json::from_str(body).unwrap())
        .collect();
    assert_eq!(events[0], events[1], "the refused alert is sent again");
    let mut alerted: Vec<&str> = events
        .iter()
        .skip(1)
        .filter(|event| event["event"] == "rotated")
        .map(|event| event["resource"].as_str().unwrap())
        .collect();
    alerted.sort_unstable();
    assert_eq!(alerted, ["k1", "k2", "production"], "{bodies:?}");
    for event in &events {
        assert_eq!(event["format_version"], 1, "{event}");
        assert!(
            event["at"].is_string() && event["replica"].is_string(),
            "{event}"
        );
    }
    for key in ["K1", "K2"] {
        let secret = sandbox.rixl_key(key).unwrap().secret;
        assert!(
            bodies.iter().all(|body| !body.contains(&secret)),
            "{bodies:?}"
        );
    }
    assert!(
        !log.contains("/hooks/keyrot"),
        "the webhook's URL was logged: {log}"
    );
}

#[test]
fn a_webhook_variable_that_is_not_set_stops_serve_at_start_naming_it() {
    let sandbox = due_sandbox();
    let settings = "settings:\n  alert_webhook_env: KEYROT_UNSET_WEBHOOK\n";
    let workspace = Workspace::new(&due_file(settings));
    let output = sandbox
        .keyrot(&workspace.file())
        .args(["serve", "--listen", &format!("127.0.0.1:{}", free_port())])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("settings.alert_webhook_env names KEYROT_UNSET_WEBHOOK, which is not set"),
        "{error}"
    );
}

#[test]
fn a_reload_that_adds_a_resource_reads_and_rotates_it_at_the_next_cycle_and_drops_a_removed_one() {
    let sandbox = due_sandbox();
    let whole = due_file("");
    let start = whole.split("    k2:\n").next().unwrap().to_owned();
    let workspace = Workspace::new(&start);
    let served = serve(&sandbox, &workspace.file(), &["--apply", "--every", "1s"]);
    wait_until("a cycle finds nothing due", || served.cycles("idle") >= 1.0);
    assert_eq!(sandbox.sandbox.counters().rotations.get("K2"), None);

    // k2 added, production removed: the next cycle reads everything again.
    let without_production = whole.replace(
        &format!("cloudflare:\n  defaults:\n    max_key_age: 30d\n  accounts:\n    production:\n      account_id: {}\n", id(1)),
        "",
    );
    std::fs::write(workspace.file(), without_production).unwrap();
    served.signal(libc::SIGHUP);
    wait_until("k2 is rotated", || {
        sandbox.sandbox.counters().rotations.get("K2") == Some(&1)
    });
    let status = served.status();
    assert!(status["resources"]["production"].is_null(), "{status}");
    let (_, metrics) = served.get("/metrics");
    assert!(!metrics.contains("resource=\"production\""), "{metrics}");
    let (code, log) = served.stop();
    assert_eq!(code, Some(0), "{log}");
}

#[test]
fn read_only_and_applying_replicas_elect_their_leaders_apart() {
    let sandbox = due_sandbox();
    let workspace = Workspace::new(&due_file(""));
    let watcher = serve(&sandbox, &workspace.file(), &["--every", "1s"]);
    wait_until("the read-only replica leads", || {
        watcher.metric("keyrot_leader") == Some(1.0)
    });
    let applier = serve(&sandbox, &workspace.file(), &["--apply", "--every", "1s"]);
    wait_until("the applying replica leads too, and rotates", || {
        sandbox.sandbox.counters().rotations.get("K1") == Some(&1)
    });
    assert_eq!(applier.metric("keyrot_leader"), Some(1.0));
    for served in [applier, watcher] {
        let (code, log) = served.stop();
        assert_eq!(code, Some(0), "{log}");
    }
}

#[test]
fn a_log_reader_that_goes_away_does_not_stop_serve() {
    let sandbox = due_sandbox();
    let workspace = Workspace::new(&due_file(""));
    let mut served = serve(&sandbox, &workspace.file(), &["--every", "1s"]);
    drop(served.child.stderr.take());
    let cycles = served.cycles("success");
    wait_until("two more cycles log into the closed pipe", || {
        served.cycles("success") >= cycles + 2.0
    });
    served.signal(libc::SIGTERM);
    let ended = exit_within_30s(&mut served.child, "serve stops on SIGTERM");
    assert_eq!(ended.code(), Some(0));
}

#[test]
fn a_standby_that_takes_over_from_a_leader_killed_mid_delivery_recovers_the_lost_secret() {
    let sandbox = due_sandbox();
    let workspace = Workspace::new("version: 1\n");
    let root = workspace.directory().display().to_string();
    // k1's sink stops (touching `started`) until `release` exists.
    let file = format!(
        "version: 1\nrixl:\n  defaults:\n    max_key_age: 30d\n  api_keys:\n    k1:\n      \
         key_id: K1\n      secret:\n        command: [\"sh\", \"-c\", \"touch {root}/started; \
         while [ ! -e {root}/release ]; do sleep 0.05; done; cat > {root}/secrets/k1.key\"]\n"
    );
    std::fs::write(workspace.file(), file).unwrap();
    let mut leader = serve(&sandbox, &workspace.file(), &["--apply", "--every", "1s"]);
    wait_until("the leader delivers k1's new secret", || {
        workspace.path("started").exists()
    });
    let standby = serve(&sandbox, &workspace.file(), &["--apply", "--every", "1s"]);
    wait_until("the other stands by", || {
        standby.status()["role"]["state"] == "standby"
    });

    // The leader dies holding the only copy of k1's new secret.
    leader.child.kill().unwrap();
    leader.child.wait().unwrap();
    std::fs::write(workspace.path("release"), "").unwrap();
    wait_until("the standby leads", || {
        standby.metric("keyrot_leader") == Some(1.0)
    });
    wait_until("the new leader rotates k1 again to recover it", || {
        sandbox.sandbox.counters().rotations.get("K1") == Some(&2)
    });
    wait_until("the recovered secret is in the sink", || {
        std::fs::read_to_string(workspace.path("secrets/k1.key"))
            .is_ok_and(|text| text.trim_end() == sandbox.rixl_key("K1").unwrap().secret)
    });
    let (code, log) = standby.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("secret recovered resource=\"k1\""), "{log}");
}
