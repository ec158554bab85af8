//! The README's tour, run as written: every `keyrot` command of its `sh` blocks, in order,
//! against a sandbox, with the edits its prose asks for made between them.

use std::path::Path;
use std::process::{Command, Output};

use jiff::Timestamp;
use keyrot::config::SINK_PLACEHOLDER;
use keyrot::sandbox::{Clock, Faults};
use keyrot::vendor::cloudflare_tokens::sandbox::SandboxToken;
use keyrot::vendor::rixl::sandbox::SandboxKey;

use crate::harness::{TestSandbox, account, answer_on_a_terminal, days, id, stderr, stdout};

const README: &str = include_str!("../../README.md");

/// One command of the tour (`keyrot`, or the `mkdir` that makes a sink's directory), with the
/// section it is in and the comment after it.
struct TourCommand {
    section: String,
    program: String,
    words: Vec<String>,
    comment: String,
}

/// The `keyrot` commands of the tour's `sh` blocks, `a && b` as two.
fn tour_commands() -> Vec<TourCommand> {
    let tour = README
        .split_once("\n## A tour\n")
        .and_then(|(_, rest)| rest.split("\n## ").next())
        .expect("the README has a tour");
    let mut commands = Vec::new();
    let mut section = String::new();
    let mut in_sh = false;
    for line in tour.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            section = heading.to_owned();
        } else if line.starts_with("```") {
            in_sh = line == "```sh";
        } else if in_sh {
            let (command, comment) = line.split_once(" # ").unwrap_or((line, ""));
            for part in command.split("&&") {
                let words: Vec<String> = part.split_whitespace().map(str::to_owned).collect();
                let Some((program, arguments)) = words.split_first() else {
                    continue;
                };
                if program == "keyrot" || program == "mkdir" {
                    commands.push(TourCommand {
                        section: section.clone(),
                        program: program.clone(),
                        words: arguments.to_vec(),
                        comment: comment.trim().to_owned(),
                    });
                }
            }
        }
    }
    commands
}

/// The tour's account that owns an API token.
const TOKEN_ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";

/// A token of `account_id` (the user's when `None`) named `name`, issued at `issued_on`.
fn tour_token(
    id: &str,
    name: &str,
    account_id: Option<&str>,
    issued_on: Timestamp,
) -> SandboxToken {
    SandboxToken {
        id: id.to_owned(),
        name: name.to_owned(),
        account_id: account_id.map(str::to_owned),
        status: "active".to_owned(),
        issued_on,
        modified_on: issued_on,
        expires_on: None,
        value: Some(format!("cfut_tour-value-of-{name}")),
    }
}

/// Live accounts, a key and two API tokens (the user's and an account's), all 70 days old by
/// the sandbox's clock, which stands at the real time so the tour's commands (which take no
/// --now) judge them as the sandbox does.
fn tour_sandbox() -> TestSandbox {
    let now = Timestamp::from_second(Timestamp::now().as_second()).unwrap();
    let accounts = (1..=3)
        .map(|n| account(&id(n), 90, now - days(70)))
        .collect();
    let key = SandboxKey {
        id: "K1".to_owned(),
        name: "ci-uploader".to_owned(),
        org_id: "OR1".to_owned(),
        project_id: "PR1".to_owned(),
        project_name: "project".to_owned(),
        created_at: now - days(70),
        expiring_at: Some(now + days(300)),
        last_used: None,
        secret: "rxl_tour-secret".to_owned(),
    };
    let tokens = vec![
        tour_token(
            "ed17574386854bf78a67040be0a770b0",
            "ci-deploy",
            None,
            now - days(70),
        ),
        tour_token(
            "4f2a0c6b8e1d4a7f9b3c5e7d9f1a3b5c",
            "billing-export",
            Some(TOKEN_ACCOUNT),
            now - days(70),
        ),
    ];
    let seeds = (accounts, vec![key], tokens);
    TestSandbox::holding(Clock::Fixed(now), seeds, Faults::default())
}

/// What the prose asks for between commands: a sink for every imported RIXL key once they are
/// imported, and, as section 2 begins, rules that make keys of 70 days due.
fn edit_as_the_prose_says(directory: &Path, section: &str, after: Option<&[String]>) {
    let file = directory.join("keyrot.yaml");
    let Ok(text) = std::fs::read_to_string(&file) else {
        return;
    };
    let imported = |vendor: &str| {
        after.is_some_and(|words| words.starts_with(&["import".into(), vendor.into()]))
    };
    let edited = if imported("rixl") {
        text.replace(
            &format!("file: {SINK_PLACEHOLDER}"),
            "file: secrets/ci-uploader.key",
        )
    } else if imported("cloudflare-tokens") {
        // Each token its own file: two entries may not share one.
        ["ci-deploy", "billing-export"]
            .iter()
            .fold(text, |text, name| {
                let sink = format!("file: secrets/{name}.token");
                text.replacen(&format!("file: {SINK_PLACEHOLDER}"), &sink, 1)
            })
    } else if section.starts_with("2.") && !text.contains("max_key_age: 60d") {
        let rule = "  defaults:\n    max_key_age: 60d\n";
        ["cloudflare", "rixl", "cloudflare_tokens"]
            .iter()
            .fold(text, |text, section| {
                let heading = format!("\n{section}:\n");
                text.replacen(&heading, &format!("{heading}{rule}"), 1)
            })
    } else {
        return;
    };
    std::fs::write(&file, edited).unwrap();
}

/// Runs one command in `directory`; `apply` without a plan file is answered `yes` on a
/// terminal, as a person would; absolute paths land inside `directory`.
fn run(sandbox: &TestSandbox, directory: &Path, words: &[String]) -> Output {
    let words: Vec<String> = words
        .iter()
        .map(|word| match word.strip_prefix('/') {
            Some(relative) => {
                let inside = directory.join(relative);
                std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
                inside.display().to_string()
            }
            None => word.clone(),
        })
        .collect();
    if words == ["apply"] {
        let command_line = format!("{} apply", env!("CARGO_BIN_EXE_keyrot"));
        let mut script = Command::new("script");
        script.args(["-qec", &command_line, "/dev/null"]);
        point_at(sandbox, &mut script, directory);
        return answer_on_a_terminal(script, "will be accepted: ", "yes\n", || {});
    }
    let mut keyrot = sandbox.keyrot_anywhere();
    keyrot.current_dir(directory).args(&words);
    keyrot.output().unwrap()
}

/// `mkdir -m 700 NAME`, inside `directory`.
fn make_directory(directory: &Path, words: &[String]) {
    use std::os::unix::fs::DirBuilderExt;
    assert_eq!(
        words.len(),
        3,
        "the tour's mkdir takes -m MODE NAME: {words:?}"
    );
    let mode = u32::from_str_radix(&words[1], 8).unwrap();
    std::fs::DirBuilder::new()
        .mode(mode)
        .create(directory.join(&words[2]))
        .unwrap();
}

fn point_at(sandbox: &TestSandbox, command: &mut Command, directory: &Path) {
    let probe = sandbox.keyrot_anywhere();
    for (name, value) in probe.get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    command.current_dir(directory);
}

#[test]
fn the_readme_tour_runs_as_written() {
    let commands = tour_commands();
    assert!(commands.len() >= 8, "the tour lost its commands");
    let sandbox = tour_sandbox();
    let workspace = tempfile::tempdir().unwrap();
    let directory = workspace.path();
    let mut rotations_seen = false;
    for command in &commands {
        edit_as_the_prose_says(directory, &command.section, None);
        if command.program == "mkdir" {
            make_directory(directory, &command.words);
            continue;
        }
        let output = run(&sandbox, directory, &command.words);
        edit_as_the_prose_says(directory, &command.section, Some(&command.words));
        let shown = format!("{}{}", stdout(&output), stderr(&output));
        let line = command.words.join(" ");
        assert_eq!(output.status.code(), Some(0), "`keyrot {line}`:\n{shown}");
        if command.comment.starts_with("No changes") {
            assert!(
                shown.contains(&command.comment),
                "`keyrot {line}`:\n{shown}"
            );
        }
        rotations_seen |= shown.contains("↻ rotate");
    }
    assert!(rotations_seen, "the tour's rules never made a rotation due");
    let rotations = sandbox.sandbox.counters().rotations;
    assert!(
        rotations.len() == 6 && rotations.values().all(|count| *count == 1),
        "each account, the key and each token rotated once: {rotations:?}"
    );
    let secret = std::fs::read_to_string(directory.join("secrets/ci-uploader.key")).unwrap();
    assert_eq!(secret.trim_end(), sandbox.rixl_key("K1").unwrap().secret);
    for (name, id) in [
        ("ci-deploy", "ed17574386854bf78a67040be0a770b0"),
        ("billing-export", "4f2a0c6b8e1d4a7f9b3c5e7d9f1a3b5c"),
    ] {
        let value = std::fs::read_to_string(directory.join(format!("secrets/{name}.token")));
        let live = sandbox.tokens().token(id).unwrap().value.unwrap();
        assert_eq!(
            value.unwrap().trim_end(),
            live,
            "{name}'s new value is in its sink"
        );
    }
}
