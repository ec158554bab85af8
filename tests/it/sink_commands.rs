//! Sink commands as an attacker or an unlucky operator meets them: a command that prints its
//! environment, and a command whose child outlives a keyrot killed with -9.

use std::path::Path;
use std::process::Stdio;

use crate::harness::{NOW, TestSandbox, Workspace, rixl_key, stderr, stdout, wait_until};

/// A file whose one RIXL key delivers through `sh ROOT/sink.sh`, with `extra` under `secret:`.
fn one_key_through_a_script(workspace_dir: &Path, extra: &str) -> String {
    format!(
        "version: 1\nrixl:\n  api_keys:\n    k1:\n      key_id: K1\n      max_key_age: 30d\n      \
         secret:\n        command: [\"sh\", \"{}/sink.sh\"]\n{extra}",
        workspace_dir.display()
    )
}

fn held_secret(workspace: &Workspace) -> String {
    std::fs::read_to_string(workspace.path("secrets/k1.key"))
        .unwrap_or_default()
        .trim_end()
        .to_owned()
}

#[test]
fn a_sink_command_sees_none_of_keyrots_credentials_unless_it_names_them() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 40, 300)]);
    let workspace = Workspace::new("version: 1\n");
    let root = workspace.directory().display().to_string();
    std::fs::write(
        workspace.path("sink.sh"),
        format!("env > {root}/env.txt\ncat > {root}/secrets/k1.key\n"),
    )
    .unwrap();
    let file = one_key_through_a_script(workspace.directory(), "        env: [GH_TOKEN]\n");
    std::fs::write(workspace.file(), file).unwrap();
    let database_url = "postgres://keyrot:db-pa55word@127.0.0.1:1/keyrot";
    let apply = sandbox
        .keyrot(&workspace.file())
        .args(["--now", NOW, "apply", "--auto-approve"])
        .env("KEYROT_DATABASE_URL", database_url)
        .env("GH_TOKEN", "named-for-the-sink")
        .env("AWS_SECRET_ACCESS_KEY", "not-for-the-sink")
        .output()
        .unwrap();
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    let seen = std::fs::read_to_string(workspace.path("env.txt")).unwrap();
    let credentials = sandbox.credentials();
    for never in [
        credentials.api_token,
        credentials.rixl_token,
        "db-pa55word",
        "not-for-the-sink",
        "CLOUDFLARE_BASE_URL",
    ] {
        assert!(!seen.contains(never), "the sink saw {never}:\n{seen}");
    }
    assert!(seen.contains("GH_TOKEN=named-for-the-sink"), "{seen}");
    assert!(seen.contains("PATH="), "{seen}");
    assert_eq!(
        held_secret(&workspace),
        sandbox.rixl_key("K1").unwrap().secret
    );
}

/// Whether process `pid` still runs (a zombie has ended).
fn running(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X'))
    })
}

#[test]
fn a_sink_commands_child_left_by_a_killed_apply_is_ended_before_the_secret_is_recovered() {
    let sandbox = TestSandbox::with_keys(Vec::new(), vec![rixl_key("K1", 40, 300)]);
    let workspace = Workspace::new("version: 1\n");
    let root = workspace.directory().display().to_string();
    // While `block` exists, the sink hands the secret to a background child that writes it
    // once `release` appears, and waits; otherwise it writes the secret itself.
    let script = format!(
        "if [ -e {root}/block ]; then\n  secret=$(cat)\n  export secret\n  \
         sh -c 'echo $$ > {root}/survivor.tmp; mv {root}/survivor.tmp {root}/survivor.pid; \
         while [ ! -e {root}/release ]; do sleep 0.05; done; \
         printf \"%s\\n\" \"$secret\" > {root}/secrets/k1.key' &\n  wait\nelse\n  \
         cat > {root}/secrets/k1.key\nfi\n"
    );
    std::fs::write(workspace.path("sink.sh"), script).unwrap();
    std::fs::write(
        workspace.file(),
        one_key_through_a_script(workspace.directory(), ""),
    )
    .unwrap();
    std::fs::write(workspace.path("block"), "").unwrap();
    let mut killed = sandbox
        .keyrot(&workspace.file())
        .args(["--now", NOW, "apply", "--auto-approve"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid_file = workspace.path("survivor.pid");
    wait_until("the sink's child holds the secret", || pid_file.exists());
    killed.kill().unwrap();
    killed.wait().unwrap();
    let survivor = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_owned();
    assert!(
        running(&survivor),
        "the sink's child should outlive keyrot for this test"
    );
    std::fs::remove_file(workspace.path("block")).unwrap();

    let recovery = sandbox
        .keyrot(&workspace.file())
        .args(["--now", NOW, "apply", "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(recovery.status.code(), Some(0), "{}", stdout(&recovery));
    assert!(
        !running(&survivor),
        "the killed run's sink child still runs after the recovery apply"
    );
    std::fs::write(workspace.path("release"), "").unwrap();
    assert_eq!(
        held_secret(&workspace),
        sandbox.rixl_key("K1").unwrap().secret
    );
}
