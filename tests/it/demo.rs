//! `keyrot demo` and `keyrot sandbox`: the quickstart's main job, and the sandbox a user points
//! keyrot at by pasting its exports.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::harness::{EXAMPLE_FILE, NOW, keyrot_command, snapshot_settings, stderr, stdout};

#[test]
fn demo_plans_applies_and_converges() {
    let output = keyrot_command()
        .args(["demo", "--now", NOW])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("demo_human", stdout(&output));
    });
}

/// Kills the child when the test ends, however it ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sandbox_prints_exports_that_keyrot_can_use() {
    let example = EXAMPLE_FILE;
    let mut child = Running(
        keyrot_command()
            .args([
                "sandbox",
                "--seed",
                example,
                "--latency",
                "25ms",
                "--now",
                NOW,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout_pipe = child.0.stdout.take().unwrap();
    let lines: Vec<String> = BufReader::new(stdout_pipe)
        .lines()
        .take(9)
        .map(Result::unwrap)
        .collect();
    let exports: Vec<(String, String)> = lines
        .iter()
        .filter_map(|line| line.strip_prefix("export "))
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let names: Vec<&str> = exports.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "CLOUDFLARE_BASE_URL",
            "CLOUDFLARE_API_TOKEN",
            "RIXL_BASE_URL",
            "RIXL_API_TOKEN"
        ]
    );
    assert!(exports[0].1.starts_with("http://127.0.0.1:"));
    assert!(exports[2].1.starts_with("http://127.0.0.1:"));
    let expected_comments = [
        (5, "# export CLOUDFLARE_EMAIL="),
        (6, "# export CLOUDFLARE_API_KEY="),
        (8, "# export RIXL_API_KEY=rxl_"),
    ];
    for (index, prefix) in expected_comments {
        assert!(lines[index].starts_with(prefix), "{lines:?}");
    }
    let mut settings = snapshot_settings();
    settings.add_filter(r"(?m)(=|=rxl_)[0-9a-f]{24,}$", "$1[RANDOM]");
    settings.bind(|| insta::assert_snapshot!("sandbox_exports", lines.join("\n")));

    let plan = keyrot_command()
        .envs(exports.iter().map(|(name, value)| (name, value)))
        .args(["-f", example, "--now", NOW, "plan", "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(2), "{}", stderr(&plan));
    assert!(stdout(&plan).contains("Plan: 1 to update, 3 to rotate, 1 unchanged."));
}

/// The example's deadline is a date that passes: the demo must converge before its window
/// opens, inside the window, on the deadline and years after it, whatever today's date is.
#[test]
fn the_demo_converges_before_during_and_long_after_the_examples_deadline() {
    let desired = keyrot::config::load_file(std::path::Path::new(EXAMPLE_FILE)).unwrap();
    let deadlines: Vec<jiff::Timestamp> = desired
        .resources_of(&keyrot::vendor::cloudflare::VENDOR)
        .filter_map(|account| account.rotation.rotate_by)
        .collect();
    assert!(!deadlines.is_empty(), "the example shows a deadline");
    for deadline in deadlines {
        let day = jiff::SignedDuration::from_hours(24);
        for instant in [
            deadline - day * 40,
            deadline - day * 2,
            deadline,
            deadline + day * 1900,
        ] {
            let now = instant.to_string();
            let output = keyrot_command()
                .args(["demo", "--now", &now])
                .output()
                .unwrap();
            assert_eq!(
                output.status.code(),
                Some(0),
                "at {now}: {}",
                stderr(&output)
            );
            let shown = stdout(&output);
            assert!(
                shown
                    .trim_end()
                    .ends_with("No changes. Live state matches examples/keyrot.yaml."),
                "at {now}, the demo does not converge:\n{shown}"
            );
        }
    }
}

#[test]
fn a_demo_file_that_is_not_there_is_named_as_validate_names_it() {
    let missing = std::env::temp_dir().join("keyrot-no-such-demo-file.yaml");
    let said = |command: &str| {
        let output = keyrot_command()
            .args([command, "-f", missing.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{command}");
        stderr(&output)
    };
    let demo = said("demo");
    assert!(demo.contains(": no such file; create it"), "{demo}");
    assert_eq!(demo, said("validate"));
}
