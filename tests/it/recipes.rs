//! Every recipe in `examples/` runs as its CI system would run it: the shell of each workflow
//! step that runs keyrot, with the step's environment (secrets filled in), in the checkout,
//! with `CI=true`, and the Kubernetes containers' arguments, against the sandbox and a
//! throwaway PostgreSQL: a PR check without the database, a plan job with a read-only role, the
//! gated apply of exactly that plan, the nightly drift check, the CronJob, and the Deployment's
//! `keyrot serve` with its probes and scrape path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use keyrot::config::load_file;
use keyrot::sandbox::{Clock, Faults};
use serde_json::Value;

use crate::harness::{
    EXAMPLE_FILE, TestPostgres, TestSandbox, Workspace, clean_environment, exit_within_30s,
    http_get, stderr, stdout, wait_until,
};

/// A recipe file of `examples/`, read as its CI system reads it.
fn recipe(path: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(path);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

/// Where the recipes run: a checkout holding the example on the postgres backend, the API, the
/// database, and the secrets a repository would hold.
struct Runner {
    checkout: Workspace,
    sandbox: TestSandbox,
    secrets: HashMap<&'static str, String>,
    /// A directory holding `keyrot`, first on PATH, as the install step leaves it.
    bin: tempfile::TempDir,
}

impl Runner {
    /// The shell of step `name` of job `job` in `workflow`, run in the checkout; returns its
    /// output and what it wrote to `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY`.
    fn step(&self, workflow: &Value, job: &str, name: &str) -> (Output, String, String) {
        let steps = workflow["jobs"][job]["steps"].as_array().unwrap();
        let step = steps
            .iter()
            .find(|step| step["name"] == name)
            .unwrap_or_else(|| panic!("job {job} has no step {name:?}"));
        let outputs = self.checkout.path("github_output");
        let summary = self.checkout.path("github_step_summary");
        std::fs::write(&outputs, "").unwrap();
        std::fs::write(&summary, "").unwrap();
        let mut shell = Command::new("bash");
        self.environment(&mut shell);
        shell
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
            .arg(step["run"].as_str().unwrap())
            .current_dir(self.checkout.directory())
            .env("GITHUB_OUTPUT", &outputs)
            .env("GITHUB_STEP_SUMMARY", &summary);
        for scope in [
            &workflow["env"],
            &workflow["jobs"][job]["env"],
            &step["env"],
        ] {
            for (variable, value) in scope.as_object().into_iter().flatten() {
                shell.env(variable, self.expression(value.as_str().unwrap()));
            }
        }
        let output = shell.output().unwrap();
        let read = |path: PathBuf| std::fs::read_to_string(path).unwrap();
        (output, read(outputs), read(summary))
    }

    /// What the runner's environment gives every step: keyrot on PATH, `CI=true`, and the
    /// sandbox's base URLs (the recipes use the vendors' own); no credential. The rest of this
    /// process's environment stays (a faked clock under libfaketime included).
    fn environment(&self, command: &mut Command) {
        let path = format!(
            "{}:{}",
            self.bin.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        clean_environment(command);
        command
            .env("PATH", path)
            .env("HOME", self.checkout.directory())
            .env("CI", "true")
            .env("CLOUDFLARE_BASE_URL", self.sandbox.cloudflare_base_url())
            .env("RIXL_BASE_URL", self.sandbox.rixl_base_url());
    }

    /// A workflow value with `${{ secrets.NAME }}` filled in; any other expression fails.
    fn expression(&self, value: &str) -> String {
        let Some(inner) = value
            .strip_prefix("${{")
            .and_then(|rest| rest.strip_suffix("}}"))
        else {
            return value.to_owned();
        };
        let name = inner.trim().strip_prefix("secrets.").unwrap_or_else(|| {
            panic!("a run step's environment uses {value}, which this test cannot fill in")
        });
        self.secrets
            .get(name)
            .unwrap_or_else(|| panic!("no secret {name} in this test's repository"))
            .clone()
    }
}

/// The example file on the postgres backend, in a checkout; the sandbox seeded from it, with a
/// clock that runs (the recipes pass no `--now`); the repository's secrets.
fn runner(server: &TestPostgres) -> Runner {
    let example = std::fs::read_to_string(EXAMPLE_FILE).unwrap();
    let on_postgres = example.replacen("settings:\n", "settings:\n  backend: postgres\n", 1);
    assert_ne!(on_postgres, example, "the example has a settings block");
    let checkout = Workspace::new(&on_postgres);
    let desired = load_file(&checkout.file()).unwrap();
    let sandbox = TestSandbox::seeded(Clock::System, &desired, Faults::default());
    let writer = server.url("recipes");
    server.sql(
        "recipes",
        "CREATE ROLE keyrot_reader LOGIN;
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO keyrot_reader;
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO keyrot_reader;",
    );
    let reader = TestPostgres::as_role(&writer, "keyrot_reader");
    let credentials = sandbox.credentials();
    let secrets = HashMap::from([
        ("CLOUDFLARE_API_TOKEN", credentials.api_token.to_owned()),
        (
            "CLOUDFLARE_API_TOKEN_READ",
            credentials.api_token.to_owned(),
        ),
        ("RIXL_API_TOKEN", credentials.rixl_token.to_owned()),
        ("RIXL_API_TOKEN_READ", credentials.rixl_token.to_owned()),
        ("KEYROT_DATABASE_URL", writer),
        ("KEYROT_DATABASE_URL_READ_ONLY", reader),
        ("SECRETS_WRITER_TOKEN", "unused-by-file-sinks".to_owned()),
    ]);
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_keyrot"), bin.path().join("keyrot")).unwrap();
    Runner {
        checkout,
        sandbox,
        secrets,
        bin,
    }
}

#[test]
fn every_recipe_runs_against_the_sandbox_and_a_shared_database() {
    let Some(server) = TestPostgres::start() else {
        return;
    };
    let runner = runner(&server);

    // A pull request's check: no database credential; the plan says what it could not see.
    let pull_request = recipe("github/plan-on-pull-request.yml");
    let (plan, _, _) = runner.step(&pull_request, "plan", "Plan");
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let comment = std::fs::read_to_string(runner.checkout.path("plan.md")).unwrap();
    assert!(comment.starts_with("## keyrot plan\n"), "{comment}");
    assert!(stderr(&plan).contains("KEYROT_DATABASE_URL is not set"));

    // On main: a plan job with a read-only role, before any apply created the tables...
    let on_main = recipe("github/apply-on-main.yml");
    let (plan, _, summary) = runner.step(&on_main, "plan", "Plan");
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    assert!(
        summary.starts_with("## keyrot saved plan `plan.json`\n"),
        "{summary}"
    );
    assert!(summary.contains("to rotate"), "{summary}");
    // ...then, once approved, the apply job applies exactly that plan.
    let (apply, _, _) = runner.step(&on_main, "apply", "Apply exactly the approved plan");
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert!(
        stdout(&apply).contains("Apply complete"),
        "{}",
        stdout(&apply)
    );
    let rotations = runner.sandbox.sandbox.counters().rotations;
    assert!(!rotations.is_empty() && rotations.values().all(|&count| count == 1));

    // The nightly drift check, with the read-only role: converged.
    let nightly = recipe("github/drift-nightly.yml");
    let (drift, outputs, _) = runner.step(&nightly, "drift", "Drift");
    assert_eq!(drift.status.code(), Some(0), "{}", stderr(&drift));
    assert_eq!(outputs, "code=0\n", "{}", stderr(&drift));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(runner.checkout.path("drift.json")).unwrap())
            .unwrap();
    assert_eq!(report["command"], "drift", "{report:#}");

    // The CronJob's container, its file where its volume would put it: in sync, exit 0.
    let cronjob = recipe("kubernetes/drift-cronjob.yaml");
    let container = &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    let file = runner.checkout.file().display().to_string();
    let args = container_args(container, &[("/etc/keyrot/keyrot.yaml", &file)]);
    let mut keyrot = Command::new("keyrot");
    runner.environment(&mut keyrot);
    let secrets =
        ["CLOUDFLARE_API_TOKEN", "RIXL_API_TOKEN"].map(|name| (name, &runner.secrets[name]));
    let reader = &runner.secrets["KEYROT_DATABASE_URL_READ_ONLY"];
    let drift = keyrot
        .args(&args)
        .envs(secrets)
        .env("KEYROT_DATABASE_URL", reader)
        .output()
        .unwrap();
    assert_eq!(drift.status.code(), Some(0), "{}", stderr(&drift));
    let report: Value = serde_json::from_str(&stdout(&drift)).unwrap();
    assert_eq!(report["command"], "drift", "{report:#}");

    serve_deployment(&runner);
}

/// The arguments of a Kubernetes `container`, with each `(from, to)` replaced.
fn container_args(container: &Value, replace: &[(&str, &str)]) -> Vec<String> {
    container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|arg| {
            let arg = arg.as_str().unwrap();
            replace
                .iter()
                .fold(arg.to_owned(), |arg, (from, to)| arg.replace(from, to))
        })
        .collect()
}

/// The Deployment's container, its file where its volumes would put it and its port free:
/// it leads, its probes and its scrape path answer, and SIGTERM ends it with 0.
fn serve_deployment(runner: &Runner) {
    let deployment = recipe("kubernetes/serve-deployment.yaml");
    let pod = &deployment["spec"]["template"];
    let container = &pod["spec"]["containers"][0];
    let port = crate::harness::free_port();
    let file = runner.checkout.file().display().to_string();
    let listen = format!("127.0.0.1:{port}");
    let args = container_args(
        container,
        &[
            ("/var/lib/keyrot/keyrot.yaml", &file),
            ("0.0.0.0:9466", &listen),
        ],
    );
    let mut keyrot = Command::new("keyrot");
    runner.environment(&mut keyrot);
    let secrets = [
        "CLOUDFLARE_API_TOKEN",
        "RIXL_API_TOKEN",
        "KEYROT_DATABASE_URL",
    ]
    .map(|name| (name, &runner.secrets[name]));
    let mut served = keyrot
        .args(&args)
        .envs(secrets)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let get = |path: &Value| {
        let path = path.as_str().unwrap();
        std::net::TcpStream::connect(("127.0.0.1", port))
            .ok()
            .map(|_| http_get(port, path))
    };
    let probe = |name: &str| get(&container[name]["httpGet"]["path"]);
    wait_until("the readiness probe passes", || {
        probe("readinessProbe").is_some_and(|(code, _)| code == 200)
    });
    assert_eq!(probe("livenessProbe").map(|(code, _)| code), Some(200));
    let scrape = &pod["metadata"]["annotations"]["prometheus.io/path"];
    let (code, metrics) = get(scrape).unwrap();
    assert_eq!(code, 200);
    assert!(metrics.contains("\nkeyrot_leader 1\n"), "{metrics}");
    // SAFETY: kill has no preconditions; the pid is our child's.
    assert_eq!(unsafe { libc::kill(served.id() as i32, libc::SIGTERM) }, 0);
    let ended = exit_within_30s(&mut served, "serve stops on SIGTERM");
    assert_eq!(ended.code(), Some(0));
}
