//! The container image: `image/rootfs.sh` lays out its root file system from the binary under
//! test and `buildah` builds the `Dockerfile` (FROM scratch: nothing is pulled); the image runs
//! as the non-root user it names, and `keyrot plan` run inside it, with nothing but the image's
//! files, reads the sandbox.

use std::path::Path;
use std::process::{Command, Output};

use crate::harness::{NOW, TestSandbox, account, days_ago, id};

/// `buildah` with its storage in `store`, a directory of this test's own.
fn buildah(store: &Path) -> Command {
    let mut command = Command::new("buildah");
    command
        .arg("--root")
        .arg(store.join("root"))
        .arg("--runroot")
        .arg(store.join("run"))
        .args(["--storage-driver", "vfs"])
        // The image is the same at any date: keep libfaketime (the suite's run years ahead)
        // out of buildah and of what runs in the image.
        .env_remove("LD_PRELOAD");
    command
}

fn succeeded(output: std::io::Result<Output>, what: &str) -> String {
    let output = output.unwrap_or_else(|error| {
        panic!("{what}: {error} (buildah, Debian's package, builds the image; .ci/run installs it)")
    });
    assert!(
        output.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
fn the_image_builds_from_scratch_runs_as_non_root_and_plans_with_only_its_own_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    let (context, store) = (work.path().join("context"), work.path().join("store"));
    let laid_out = Command::new(root.join("image/rootfs.sh"))
        .arg(env!("CARGO_BIN_EXE_keyrot"))
        .arg(&context)
        .output();
    succeeded(laid_out, "image/rootfs.sh");
    let built = buildah(&store)
        .args([
            "bud",
            "--isolation",
            "chroot",
            "-q",
            "-t",
            "localhost/keyrot:it",
            "-f",
        ])
        .arg(root.join("Dockerfile"))
        .arg(&context)
        .output();
    succeeded(built, "buildah bud");
    let config = buildah(&store)
        .args([
            "inspect",
            "--format",
            "{{.OCIv1.Config.User}} {{.OCIv1.Config.Entrypoint}}",
            "localhost/keyrot:it",
        ])
        .output();
    assert_eq!(
        succeeded(config, "buildah inspect"),
        "65532:65532 [/usr/local/bin/keyrot]"
    );

    let sandbox = TestSandbox::start(vec![account(&id(1), 90, days_ago(10))]);
    let desired = work.path().join("keyrot.yaml");
    let file = format!(
        "version: 1\ncloudflare:\n  accounts:\n    production:\n      account_id: {}\n",
        id(1)
    );
    std::fs::write(&desired, file).unwrap();
    let container = succeeded(
        buildah(&store)
            .args(["from", "localhost/keyrot:it"])
            .output(),
        "buildah from",
    );
    let copied = buildah(&store)
        .args(["copy", "--chown", "65532:65532", &container])
        .arg(&desired)
        .arg("/tmp/keyrot.yaml")
        .output();
    succeeded(copied, "buildah copy");
    let mut run = buildah(&store);
    run.args(["run", "--isolation", "chroot", "--user", "65532:65532"]);
    for (name, value) in sandbox.sandbox.environment() {
        run.arg("--env").arg(format!("{name}={value}"));
    }
    let planned = run
        .args([
            &container,
            "--",
            "/usr/local/bin/keyrot",
            "-f",
            "/tmp/keyrot.yaml",
        ])
        .args(["--now", NOW, "plan", "--color", "never"])
        .output();
    let plan = succeeded(planned, "keyrot plan in the image");
    assert!(plan.contains("No changes."), "{plan}");
    let _ = buildah(&store).args(["rm", &container]).output();
}
