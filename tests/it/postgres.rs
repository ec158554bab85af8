//! The `postgres` backend against a real server: a throwaway cluster ([`TestPostgres`]) of the
//! system's PostgreSQL. Where PostgreSQL is not installed these tests say so and pass, unless
//! `KEYROT_REQUIRE_POSTGRES` is set (as `.ci/run` sets it), when they fail.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use keyrot::sandbox::Faults;

use crate::harness::{
    NOW, PASSWORD, TestPostgres, TestSandbox, Workspace, account, days_ago, free_port, id,
    rixl_key, stderr, stdout,
};

const POSTGRES_SETTINGS: &str =
    "version: 1\nsettings:\n  backend: postgres\n  max_rotations_per_apply: 100\n";

/// A file of `accounts` due accounts and `keys` due RIXL keys with file sinks, on postgres.
fn fleet_file(accounts: usize, keys: usize) -> String {
    let mut file = String::from(POSTGRES_SETTINGS);
    file.push_str("cloudflare:\n  defaults:\n    max_key_age: 30d\n  accounts:\n");
    for n in 1..=accounts {
        file.push_str(&format!("    account-{n}:\n      account_id: {}\n", id(n)));
    }
    file.push_str("rixl:\n  defaults:\n    max_key_age: 30d\n  api_keys:\n");
    for n in 1..=keys {
        file.push_str(&format!(
            "    k{n}:\n      key_id: K{n}\n      secret:\n        file: secrets/k{n}.key\n"
        ));
    }
    file
}

fn fleet_sandbox(accounts: usize, keys: usize) -> TestSandbox {
    TestSandbox::with_everything(
        (1..=accounts)
            .map(|n| account(&id(n), 90, days_ago(60)))
            .collect(),
        (1..=keys)
            .map(|n| rixl_key(&format!("K{n}"), 40, 300))
            .collect(),
        Faults {
            latency: Duration::from_millis(50),
            ..Faults::default()
        },
    )
}

fn keyrot(sandbox: &TestSandbox, file: &Path, url: &str) -> Command {
    let mut command = sandbox.keyrot(file);
    command.env("KEYROT_DATABASE_URL", url).args(["--now", NOW]);
    command
}

fn assert_no_password(output: &Output) {
    for text in [stdout(output), stderr(output)] {
        assert!(
            !text.contains(PASSWORD),
            "the URL's password was shown: {text}"
        );
    }
}

#[test]
fn two_applies_from_two_working_copies_sharing_a_database_rotate_every_key_once() {
    let Some(server) = TestPostgres::start() else {
        return;
    };
    let url = server.url("race");
    let sandbox = fleet_sandbox(12, 4);
    let (ci, person) = (
        Workspace::new(&fleet_file(12, 4)),
        Workspace::new(&fleet_file(12, 4)),
    );
    let spawn = |workspace: &Workspace| {
        keyrot(&sandbox, &workspace.file(), &url)
            .args(["apply", "--auto-approve"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(&ci), spawn(&person));
    let outputs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    for output in &outputs {
        assert_no_password(output);
    }
    let codes: Vec<Option<i32>> = outputs.iter().map(|output| output.status.code()).collect();
    assert!(
        codes.contains(&Some(0)),
        "{codes:?}: {}",
        stderr(&outputs[0])
    );
    let loser = outputs
        .iter()
        .find(|output| output.status.code() == Some(1))
        .unwrap_or_else(|| panic!("one apply must lose the lock: {codes:?}"));
    let message = stderr(loser);
    assert!(
        message.contains("another apply holds the lock in the postgres database"),
        "{message}"
    );
    let rotated = sandbox.sandbox.counters().rotations;
    assert_eq!(rotated.len(), 16, "{rotated:?}");
    assert!(
        rotated.values().all(|&count| count == 1),
        "rotated twice: {rotated:?}"
    );
    let winner = if outputs[0].status.code() == Some(0) {
        &ci
    } else {
        &person
    };
    for n in 1..=4 {
        let held = std::fs::read_to_string(winner.path(&format!("secrets/k{n}.key"))).unwrap();
        assert_eq!(
            held.trim_end(),
            sandbox.rixl_key(&format!("K{n}")).unwrap().secret
        );
    }

    // Either working copy sees the whole history: it is in the database, not in .keyrot/.
    let history = sandbox
        .keyrot(&person.file())
        .env("KEYROT_DATABASE_URL", &url)
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(history.status.code(), Some(0), "{}", stderr(&history));
    let document: serde_json::Value = serde_json::from_str(&stdout(&history)).unwrap();
    assert_eq!(document["writes"].as_array().unwrap().len(), 16);
    assert!(!person.path(".keyrot").exists() && !ci.path(".keyrot").exists());
}

#[test]
fn a_waiting_apply_on_postgres_finds_the_first_ones_work_done() {
    let Some(server) = TestPostgres::start() else {
        return;
    };
    let url = server.url("waiting");
    let sandbox = fleet_sandbox(8, 2);
    let (ci, person) = (
        Workspace::new(&fleet_file(8, 2)),
        Workspace::new(&fleet_file(8, 2)),
    );
    let first = keyrot(&sandbox, &ci.file(), &url)
        .args(["apply", "--auto-approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    sandbox.wait_for_a_request();
    let second = keyrot(&sandbox, &person.file(), &url)
        .args(["apply", "--auto-approve", "--lock-timeout", "1m"])
        .output()
        .unwrap();
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("Nothing to apply."),
        "{}",
        stdout(&second)
    );
    let rotated = sandbox.sandbox.counters().rotations;
    assert!(
        rotated.values().all(|&count| count == 1),
        "rotated twice: {rotated:?}"
    );
}

#[test]
fn postgres_without_its_url_plans_without_the_journal_applies_never_and_a_bad_url_hides_its_password()
 {
    let sandbox = fleet_sandbox(1, 0);
    let workspace = Workspace::new(&fleet_file(1, 0));
    let plan = sandbox
        .keyrot(&workspace.file())
        .arg("plan")
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    assert!(stdout(&plan).contains("1 to rotate"), "{}", stdout(&plan));
    assert!(
        stderr(&plan).contains("KEYROT_DATABASE_URL is not set, so this run does not read it"),
        "{}",
        stderr(&plan)
    );
    let apply = sandbox
        .keyrot(&workspace.file())
        .args(["apply", "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(apply.status.code(), Some(1));
    assert!(
        stderr(&apply).contains("KEYROT_DATABASE_URL is not set"),
        "{}",
        stderr(&apply)
    );
    assert_eq!(sandbox.posts(), 0);
    assert!(
        !workspace.path(".keyrot").exists(),
        "no silent fall back to local"
    );

    let closed = format!(
        "postgres://keyrot:{PASSWORD}@127.0.0.1:{}/keyrot",
        free_port()
    );
    let unreachable = keyrot(&sandbox, &workspace.file(), &closed)
        .arg("plan")
        .output()
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(
        stderr(&unreachable).contains("the postgres database KEYROT_DATABASE_URL names"),
        "{}",
        stderr(&unreachable)
    );
    assert_no_password(&unreachable);
}

#[test]
fn who_holds_a_postgres_lock_is_seen_from_another_connection() {
    use keyrot::state::{LockHolder, PostgresBackend, StateBackend};
    let Some(server) = TestPostgres::start() else {
        return;
    };
    let url = server.url("holders");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let holder =
            LockHolder::this_process("run1", "keyrot apply", jiff::Timestamp::now(), &|_| None);
        let first = PostgresBackend::connect(&url).await.unwrap();
        let watcher = PostgresBackend::connect(&url).await.unwrap();
        assert_eq!(watcher.holder().await.unwrap(), None);
        let guard = first.lock(&holder, Duration::ZERO).await.unwrap();
        let seen = watcher.holder().await.unwrap();
        assert_eq!(seen.map(|holder| holder.run_id), Some("run1".to_owned()));
        guard.release().await;
        assert_eq!(
            watcher.holder().await.unwrap(),
            None,
            "released, it holds nothing"
        );
    });
}

/// Two RIXL keys on postgres, applied one at a time: k1's sink command stops (touching
/// `started`) until `release` exists; k2's secret goes to a file.
fn blocking_pair(workspace_dir: &Path) -> String {
    let root = workspace_dir.display();
    format!(
        "{POSTGRES_SETTINGS}rixl:\n  defaults:\n    max_key_age: 30d\n  api_keys:\n    k1:\n      \
         key_id: K1\n      secret:\n        command: [\"sh\", \"-c\", \"touch {root}/started; \
         while [ ! -e {root}/release ]; do sleep 0.05; done; cat > {root}/secrets/k1.key\"]\n    \
         k2:\n      key_id: K2\n      secret:\n        file: secrets/k2.key\n"
    )
}

#[test]
fn a_lock_whose_session_dies_keeps_a_second_apply_out_while_the_first_can_still_write() {
    let Some(server) = TestPostgres::start() else {
        return;
    };
    let url = server.url("lost_session");
    let sandbox = TestSandbox::with_keys(
        Vec::new(),
        vec![rixl_key("K1", 40, 300), rixl_key("K2", 40, 300)],
    );
    let first_dir = Workspace::new("version: 1\n");
    std::fs::write(first_dir.file(), blocking_pair(first_dir.directory())).unwrap();
    let first = keyrot(&sandbox, &first_dir.file(), &url)
        .args(["--parallelism", "1", "apply", "--auto-approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = first_dir.path("started");
    crate::harness::wait_until("k1's sink runs", || started.exists());
    // The lock's session dies under the first apply (a network blip, a pooler, a timeout).
    let ended = server.sql(
        "lost_session",
        "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory'",
    );
    assert_eq!(ended, "1");

    let second_dir = Workspace::new("version: 1\n");
    std::fs::write(second_dir.file(), blocking_pair(second_dir.directory())).unwrap();
    std::fs::write(second_dir.path("release"), "").unwrap();
    let second = keyrot(&sandbox, &second_dir.file(), &url)
        .args(["apply", "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1), "{}", stdout(&second));
    assert!(
        stderr(&second).contains("whose database session ended while it held the lock"),
        "{}",
        stderr(&second)
    );

    std::fs::write(first_dir.path("release"), "").unwrap();
    let first = first.wait_with_output().unwrap();
    // The first apply saw its session end: it sent nothing more, and says so.
    assert_eq!(first.status.code(), Some(1), "{}", stdout(&first));
    assert!(
        stderr(&first).contains("its database session ended"),
        "{}",
        stderr(&first)
    );
    let rotated = sandbox.sandbox.counters().rotations;
    assert_eq!(
        rotated.get("K2"),
        None,
        "written after the lock was lost: {rotated:?}"
    );
    assert!(
        rotated.values().all(|&count| count == 1),
        "rotated twice: {rotated:?}"
    );
    let released = server.sql("lost_session", "SELECT released FROM keyrot_lock_holder");
    assert_eq!(
        released, "f",
        "the first apply's session was gone: it could not release"
    );
}

#[test]
fn an_apply_releases_its_lease_so_the_next_one_starts_at_once() {
    let Some(server) = TestPostgres::start() else {
        return;
    };
    let url = server.url("released");
    let sandbox = fleet_sandbox(2, 0);
    let workspace = Workspace::new(&fleet_file(2, 0));
    for expected in ["Apply complete", "Nothing to apply."] {
        let apply = keyrot(&sandbox, &workspace.file(), &url)
            .args(["apply", "--auto-approve"])
            .output()
            .unwrap();
        assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
        assert!(stdout(&apply).contains(expected), "{}", stdout(&apply));
        let released = server.sql("released", "SELECT released FROM keyrot_lock_holder");
        assert_eq!(released, "t");
    }
}

#[test]
fn a_secret_delivered_while_the_database_was_down_is_not_called_lost() {
    let Some(server) = TestPostgres::start() else {
        return;
    };
    let url = server.url("down");
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 40, 300)]);
    let workspace = Workspace::new("version: 1\n");
    let root = workspace.directory().display().to_string();
    let file = format!(
        "{POSTGRES_SETTINGS}rixl:\n  api_keys:\n    k1:\n      key_id: K1\n      max_key_age: \
         30d\n      secret:\n        command: [\"sh\", \"-c\", \"touch {root}/started; while [ \
         ! -e {root}/release ]; do sleep 0.05; done; cat > {root}/secrets/k1.key\"]\n"
    );
    std::fs::write(workspace.file(), file).unwrap();
    let apply = keyrot(&sandbox, &workspace.file(), &url)
        .args(["apply", "--auto-approve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = workspace.path("started");
    crate::harness::wait_until("k1's sink runs", || started.exists());
    // The database goes away while the new secret is on its way to its sink.
    server.halt();
    std::fs::write(workspace.path("release"), "").unwrap();
    let apply = apply.wait_with_output().unwrap();
    assert!(
        stdout(&apply).contains("new secret delivered"),
        "{}{}",
        stdout(&apply),
        stderr(&apply)
    );
    let kept = workspace.path(".keyrot/unjournaled");
    assert_eq!(
        kept.read_dir().unwrap().count(),
        1,
        "the outcome was not kept"
    );
    let delivered = std::fs::read_to_string(workspace.path("secrets/k1.key")).unwrap();
    assert_eq!(delivered.trim_end(), sandbox.rixl_key("K1").unwrap().secret);

    server.resume();
    let plan = keyrot(&sandbox, &workspace.file(), &url)
        .args(["plan", "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}{}",
        stdout(&plan),
        stderr(&plan)
    );
    assert!(
        !stdout(&plan).contains("recover lost secret"),
        "{}",
        stdout(&plan)
    );
    let history = sandbox
        .keyrot(&workspace.file())
        .env("KEYROT_DATABASE_URL", &url)
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(history.status.code(), Some(0), "{}", stderr(&history));
    let document: serde_json::Value = serde_json::from_str(&stdout(&history)).unwrap();
    assert_eq!(
        document["writes"][0]["outcome"]["type"], "secret_delivered",
        "{document:#}"
    );
    // A plan writes nothing: the next apply moves the kept outcome into the journal (after
    // this one's lease ran out: its session died holding the lock).
    assert_eq!(kept.read_dir().unwrap().count(), 1);
    assert_eq!(sandbox.sandbox.counters().rotations.get("K1"), Some(&1));
}

#[test]
fn plan_and_drift_with_a_read_only_role_see_the_journal_and_write_nothing() {
    let Some(server) = TestPostgres::start() else {
        return;
    };
    let url = server.url("readers");
    let sandbox = fleet_sandbox(1, 1);
    let workspace = Workspace::new(&fleet_file(1, 1));
    // An apply with the owner's role creates the tables; then a killed run's open rotate.
    let apply = keyrot(&sandbox, &workspace.file(), &url)
        .args(["apply", "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    // A rotate intent of dead run `r1` that never got an outcome: what kill -9 leaves.
    let open = crate::harness::open_rotations(&[("k1".to_owned(), "rixl", "K1".to_owned(), true)]);
    server.sql(
        "readers",
        &format!(
            "INSERT INTO keyrot_journal (run_id, at, record) VALUES ('r1', now(), '{}');
             CREATE ROLE auditor LOGIN;
             GRANT SELECT ON ALL TABLES IN SCHEMA public TO auditor;",
            open.trim_end()
        ),
    );
    let records = || server.sql("readers", "SELECT count(*) FROM keyrot_journal");
    let before = records();
    let reader_url = TestPostgres::as_role(&url, "auditor");

    let plan = keyrot(&sandbox, &workspace.file(), &reader_url)
        .args(["plan", "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));
    assert!(
        stdout(&plan).contains("(recover lost secret)"),
        "{}",
        stdout(&plan)
    );
    let drift = keyrot(&sandbox, &workspace.file(), &reader_url)
        .arg("drift")
        .output()
        .unwrap();
    assert_eq!(drift.status.code(), Some(2), "{}", stderr(&drift));
    assert_eq!(records(), before, "a plan and a drift wrote to the journal");
    assert_no_password(&plan);

    let refused = keyrot(&sandbox, &workspace.file(), &reader_url)
        .args(["apply", "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert_eq!(records(), before);
}

/// A session that holds the apply lock for a holder whose lease ended `ended_ago_seconds` ago,
/// as a keyrot cut off from the database (a lost network) leaves it: the server keeps the
/// session, and its lock, until TCP gives up on it.
fn stranded_lock(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    ended_ago_seconds: u32,
) -> tokio_postgres::Client {
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .batch_execute(&format!(
                "SELECT pg_advisory_lock({lock});
                 INSERT INTO keyrot_lock_holder (lock_key, holder, lease_until, released, pid)
                 VALUES ({lock}, '{{\"run_id\":\"gone\",\"user\":\"ci\",\"host\":\"runner-7\",\
                 \"command\":\"keyrot apply\",\"started_at\":\"2026-11-24T11:00:00Z\"}}',
                         now() - interval '{ended_ago_seconds} seconds', false, pg_backend_pid())
                 ON CONFLICT (lock_key) DO UPDATE SET holder = EXCLUDED.holder,
                     lease_until = EXCLUDED.lease_until, released = false,
                     pid = EXCLUDED.pid",
                lock = 0x6b65_7972_i64
            ))
            .await
            .unwrap();
        client
    })
}

#[test]
fn a_lock_whose_holder_is_cut_off_past_its_lease_and_grace_is_taken_over() {
    let Some(server) = TestPostgres::start() else {
        return;
    };
    let url = server.url("stranded");
    let sandbox = fleet_sandbox(1, 0);
    let workspace = Workspace::new(&fleet_file(1, 0));
    // Tables first: an apply creates them.
    let first = keyrot(&sandbox, &workspace.file(), &url)
        .args(["apply", "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let runtime = tokio::runtime::Runtime::new().unwrap();

    // Within the grace the holder may still be writing: the lock stays its own.
    let _within_grace = stranded_lock(&runtime, &url, 5);
    let refused = keyrot(&sandbox, &workspace.file(), &url)
        .args(["apply", "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    assert!(
        stderr(&refused).contains("runner-7"),
        "{}",
        stderr(&refused)
    );
    drop(_within_grace);

    // Past its lease and grace it writes nothing more: its session is ended, the lock taken.
    let stranded = stranded_lock(&runtime, &url, 15);
    let apply = keyrot(&sandbox, &workspace.file(), &url)
        .args(["apply", "--auto-approve", "--lock-timeout", "30s"])
        .output()
        .unwrap();
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert!(
        stdout(&apply).contains("Nothing to apply."),
        "{}",
        stdout(&apply)
    );
    assert!(stranded.is_closed(), "the stranded session was not ended");
}
