//! The command line: commands, flags and their help.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::Timestamp;

use crate::config::{DurationError, RateLimit, parse_duration, parse_instant, parse_rate_limit};
use crate::vendor::registry::{REGISTERED, Registration};

/// keyrot: a declarative reconciler for API key rotation.
///
/// Keep the rotation interval and key age of every Cloudflare account, and the age of every
/// RIXL API key, in a desired-state file; `keyrot plan` shows what differs from the live state,
/// `keyrot apply` makes it match.
#[derive(Debug, Parser)]
#[command(name = "keyrot", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The desired-state file [default: keyrot.yaml]
    #[arg(short = 'f', long = "file", global = true, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// When to color the output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Evaluate the time rules as of this instant (RFC 3339, or a bare date for 00:00 UTC); for
    /// `sandbox`, the instant its clock stands at.
    #[arg(long, global = true, value_name = "INSTANT", value_parser = parse_instant)]
    pub now: Option<Timestamp>,
    /// Resources worked on at once.
    #[arg(long, global = true, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
    /// The request timeout, e.g. 30s or 2m [default: 30s].
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
    /// No progress bar and no notes; warnings, errors and results stay (with -v, still every
    /// retry: what a cron job wants).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Show every retry and every pause for the API's rate limit on stderr (no progress bar).
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

impl Cli {
    /// The command's name when it was asked for JSON output, which then carries errors too.
    pub fn json_command(&self) -> Option<&'static str> {
        let json = |format: OutputFormat| format == OutputFormat::Json;
        match &self.command {
            Command::Plan(args) if json(args.format) => Some("plan"),
            Command::Apply(args) if json(args.format) => Some("apply"),
            Command::Drift(args) if json(args.format) => Some("drift"),
            Command::Show(args) if json(args.format) => Some("show"),
            Command::History(args) if args.format == HistoryFormat::Json => Some("history"),
            _ => None,
        }
    }
}

impl GlobalArgs {
    /// The desired-state file to read.
    pub fn file(&self) -> PathBuf {
        self.file
            .clone()
            .unwrap_or_else(|| PathBuf::from("keyrot.yaml"))
    }
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Color when writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read the live state and show what apply would change.
    ///
    /// Example: keyrot plan --detailed-exitcode
    Plan(PlanArgs),
    /// Compute a plan, ask for approval, and carry it out.
    ///
    /// Example: keyrot apply --auto-approve
    Apply(ApplyArgs),
    /// Read the live state and report drift from the desired state; never writes.
    ///
    /// Exits 0 in sync, 2 when an action would be planned or a deadline is overdue, 1 on error.
    ///
    /// Example: keyrot drift --format json --metrics-file /var/lib/node_exporter/textfile/keyrot.prom
    Drift(DriftArgs),
    /// Show every write keyrot made, newest first, from the journal: the audit trail.
    ///
    /// Example: keyrot history --resource ci-uploader --since 30d
    History(HistoryArgs),
    /// Check the journal: its writes, open writes, lost secrets and damaged records.
    ///
    /// Example: keyrot journal verify
    Journal(JournalArgs),
    /// Deliver a new secret that waits in a recovery file to its sink.
    ///
    /// Example: keyrot deliver ci-uploader
    Deliver(DeliverArgs),
    /// Show a plan saved with `keyrot plan --out`.
    ///
    /// Example: keyrot show plan.json --format markdown
    Show(ShowArgs),
    /// Check the desired-state file without contacting any API.
    ///
    /// Example: keyrot validate -f prod/keyrot.yaml
    Validate,
    /// Write a desired-state file from what exists live, whose first plan shows no changes.
    ///
    /// Example: keyrot import cloudflare --all --out keyrot.yaml
    Import(ImportArgs),
    /// Print the JSON Schema of the desired-state file, for editors.
    ///
    /// Example: keyrot schema > keyrot.schema.json
    Schema,
    /// Print a shell completion script.
    ///
    /// Example: keyrot completions bash > /etc/bash_completion.d/keyrot
    Completions(CompletionsArgs),
    /// Reconcile continuously: one leader among replicas reads and plans (and with --apply,
    /// applies) every --every, with Prometheus metrics and health endpoints on --listen.
    ///
    /// Endpoints: /metrics, /healthz (the loop is alive), /readyz (the file is valid and the
    /// last cycle read), /status (JSON). SIGTERM or SIGINT: the cycle in flight settles, the
    /// lead is released, exit 0. SIGHUP: the file is read again; a broken one is reported and
    /// the one before runs on. Exit 1 when it cannot start.
    ///
    /// Example: keyrot serve --apply --every 15m --listen 0.0.0.0:9466
    Serve(ServeArgs),
    /// Serve the embedded API simulator on loopback until Ctrl-C.
    ///
    /// Example: keyrot sandbox --seed examples/keyrot.yaml
    Sandbox(SandboxArgs),
    /// Run plan, apply and plan again against a seeded sandbox.
    ///
    /// Example: keyrot demo
    Demo,
}

/// `--faults-on`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FaultTargetArg {
    /// Every request.
    All,
    /// Only rotates.
    Rotates,
}

/// `--format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Text for people, colored on a terminal.
    #[default]
    Human,
    /// The versioned JSON document (docs/json-format.md).
    Json,
    /// Markdown for a pull-request comment.
    Markdown,
}

/// `keyrot plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Exit 2 when the plan has changes, 0 when it has none, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan rotations even inside min_rotation_gap of the last one.
    #[arg(long)]
    pub allow_rapid_rotation: bool,
    /// Also save the plan to FILE, for `keyrot apply FILE` and `keyrot show FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Only this resource (repeatable).
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
    /// Rotate this resource now, whatever its age and deadlines, as for a leaked key
    /// (repeatable; the safety gap still applies unless --allow-rapid-rotation).
    #[arg(long = "replace", value_name = "NAME")]
    pub replace: Vec<String>,
}

/// `keyrot drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Also write Prometheus metrics to PATH (atomically), for node_exporter's textfile
    /// collector.
    #[arg(long, value_name = "PATH")]
    pub metrics_file: Option<PathBuf>,
    /// Only this resource (repeatable).
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
}

/// `keyrot serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Each cycle, apply what `keyrot apply --auto-approve` would; without it, serve never
    /// writes.
    #[arg(long)]
    pub apply: bool,
    /// How often a cycle runs (with ±10% jitter), e.g. 15m or 1h; at least 0.1s (PT0.1S).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_every)]
    pub every: Duration,
    /// How often a cycle reads every resource, to see changes others made (never sooner, up
    /// to 10% later); in between, a cycle reads only the resources whose plan can change by
    /// then.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_every)]
    pub full_every: Duration,
    /// Where /metrics, /healthz, /readyz and /status listen.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9466")]
    pub listen: SocketAddr,
    /// How log lines on stderr are written.
    #[arg(long, value_enum, default_value_t)]
    pub log_format: LogFormatArg,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    /// One line of text per event.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// `keyrot import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Where to import from.
    #[command(subcommand)]
    pub source: ImportSource,
}

/// What `keyrot import` reads: one subcommand per vendor, each from the vendor's folder.
pub struct ImportSource {
    /// The vendor.
    pub vendor: &'static Registration,
    /// Where the import goes.
    pub output: ImportOutput,
    /// The vendor's own arguments, as matched.
    pub matches: clap::ArgMatches,
}

impl std::fmt::Debug for ImportSource {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_struct("ImportSource")
            .field("vendor", &self.vendor.vendor.key)
            .field("output", &self.output)
            .finish_non_exhaustive()
    }
}

impl clap::FromArgMatches for ImportSource {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let missing = || clap::Error::new(clap::error::ErrorKind::MissingSubcommand);
        let (name, matches) = matches.subcommand().ok_or_else(missing)?;
        let vendor = importer_named(name)
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidSubcommand))?;
        Ok(Self {
            vendor,
            output: ImportOutput::from_arg_matches(matches)?,
            matches: matches.clone(),
        })
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Subcommand for ImportSource {
    fn augment_subcommands(command: clap::Command) -> clap::Command {
        REGISTERED.iter().fold(command, |command, registration| {
            let vendor = (registration.import.command)();
            // The output flags' own doc comment would become the subcommand's help.
            let (about, long_about) = (vendor.get_about(), vendor.get_long_about());
            let (about, long_about) = (about.cloned(), long_about.cloned());
            let vendor = ImportOutput::augment_args(vendor)
                .about(about.unwrap_or_default())
                .long_about(long_about.unwrap_or_default());
            command.subcommand(vendor)
        })
    }

    fn augment_subcommands_for_update(command: clap::Command) -> clap::Command {
        Self::augment_subcommands(command)
    }

    fn has_subcommand(name: &str) -> bool {
        importer_named(name).is_some()
    }
}

/// The vendor whose import subcommand is `name` (`cloudflare-tokens`).
fn importer_named(name: &str) -> Option<&'static Registration> {
    REGISTERED
        .iter()
        .copied()
        .find(|registration| (registration.import.command)().get_name() == name)
}

/// Where `keyrot import` writes.
#[derive(Debug, Args)]
pub struct ImportOutput {
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite FILE if it exists.
    #[arg(long, requires = "out", conflicts_with = "merge")]
    pub force: bool,
    /// Add the imported section to FILE, keeping everything it has; FILE must not have that
    /// section yet (import Cloudflare and RIXL into one file).
    #[arg(long, requires = "out")]
    pub merge: bool,
}

/// `keyrot completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `keyrot history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only writes to this resource (repeatable).
    #[arg(long = "resource", value_name = "NAME")]
    pub resources: Vec<String>,
    /// Only writes this recent, e.g. 30d.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub since: Option<jiff::SignedDuration>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: HistoryFormat,
}

/// `keyrot deliver`.
#[derive(Debug, Args)]
pub struct DeliverArgs {
    /// The resource whose secret waits in a recovery file.
    #[arg(value_name = "NAME")]
    pub resource: String,
    /// You put the secret where it belongs yourself: record that, and remove the file.
    #[arg(long)]
    pub acknowledge: bool,
}

/// `keyrot journal`.
#[derive(Debug, Args)]
pub struct JournalArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: JournalAction,
}

/// `keyrot journal verify|repair`.
#[derive(Clone, Copy, Debug, Subcommand)]
pub enum JournalAction {
    /// List what the journal holds; exit 1 when a record is damaged.
    Verify,
    /// Move damaged records aside, keeping every record that can be read (so no lost secret
    /// is forgotten); takes the apply lock.
    Repair,
}

/// `keyrot history --format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    /// Text for people.
    #[default]
    Human,
    /// One JSON document.
    Json,
}

/// `keyrot show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved with `keyrot plan --out`.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `keyrot apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved with `keyrot plan --out`: applied as it is (it is the approval), after
    /// checking that nothing it touches changed since.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Only this resource (repeatable; not with PLANFILE, which records its own).
    #[arg(long = "target", value_name = "NAME", conflicts_with = "plan_file")]
    pub targets: Vec<String>,
    /// Apply without asking (required when there is no terminal to ask on).
    #[arg(long)]
    pub auto_approve: bool,
    /// Rotate even inside min_rotation_gap of the last rotation (not with PLANFILE).
    #[arg(long, conflicts_with = "plan_file")]
    pub allow_rapid_rotation: bool,
    /// Rotate this resource now, whatever its age and deadlines, as for a leaked key
    /// (repeatable; not with PLANFILE, which records its own).
    #[arg(long = "replace", value_name = "NAME", conflicts_with = "plan_file")]
    pub replace: Vec<String>,
    /// Allow up to N rotations in this run (overrides settings.max_rotations_per_apply).
    #[arg(long, value_name = "N")]
    pub max_rotations: Option<u32>,
    /// Stop starting new actions after the first failure.
    #[arg(long)]
    pub fail_fast: bool,
    /// Wait this long for another apply to release the lock, e.g. 5m [default: 0s].
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_lock_timeout)]
    pub lock_timeout: Duration,
}

/// `keyrot sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// The address to listen on; port 0 lets the OS choose.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Create every account of this desired-state file, some differing from it.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    #[command(flatten)]
    pub faults: FaultArgs,
}

/// Faults `keyrot sandbox` injects, to see how keyrot copes.
#[derive(Debug, Args)]
pub struct FaultArgs {
    /// Delay every answer by this long, e.g. 25ms or 0.3s.
    #[arg(long, value_name = "DURATION", value_parser = parse_latency)]
    pub latency: Option<Duration>,
    /// Share of requests answered 503 (0 to 1).
    #[arg(long, value_name = "RATE", default_value_t = 0.0, value_parser = parse_rate)]
    pub error_rate: f64,
    /// Share of requests answered 429 with Retry-After (0 to 1).
    #[arg(long, value_name = "RATE", default_value_t = 0.0, value_parser = parse_rate)]
    pub throttle_rate: f64,
    /// Share of requests whose connection is closed without an answer (0 to 1).
    #[arg(long, value_name = "RATE", default_value_t = 0.0, value_parser = parse_rate)]
    pub drop_rate: f64,
    /// Share of rotates processed and then left unanswered (0 to 1).
    #[arg(long, value_name = "RATE", default_value_t = 0.0, value_parser = parse_rate)]
    pub rotate_drop_rate: f64,
    /// A server-side rate limit, e.g. 1200/5m; exceeding it blocks every request.
    #[arg(long, value_name = "N/DURATION", value_parser = parse_rate_limit)]
    pub rate_limit: Option<RateLimit>,
    /// How long exceeding --rate-limit blocks every request.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_std_duration)]
    pub rate_limit_block: Duration,
    /// Which requests the 5xx, 429 and drop faults hit.
    #[arg(long, value_enum, default_value_t = FaultTargetArg::All)]
    pub faults_on: FaultTargetArg,
    /// Seed for the random fault choices, to replay a run.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub fault_seed: u64,
    /// Lists never end: a huge total, and every page repeats the first.
    #[arg(long)]
    pub endless_pages: bool,
    /// With --endless-pages: every RIXL page lists keys never listed before.
    #[arg(long, requires = "endless_pages")]
    pub ever_new_items: bool,
    /// Rotates are processed, then answered only after an hour.
    #[arg(long)]
    pub rotate_hang: bool,
    /// Reads answer with a body that never ends.
    #[arg(long)]
    pub endless_body: bool,
    /// Cloudflare rotates answer 200 without rotating.
    #[arg(long)]
    pub rotate_unchanged: bool,
    /// Injected 5xx errors carry a message that clears the screen and forges a line.
    #[arg(long)]
    pub hostile_messages: bool,
    /// Every answer's Date header is this far off (e.g. 30d, or -365d), the data is not: a
    /// clock that lies.
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = parse_offset)]
    pub date_offset: Option<jiff::SignedDuration>,
    /// Answers that carry the true Date before --date-offset applies: a clock that jumps.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub date_offset_after: usize,
    /// Hold every request until N are in flight at once, then none: a client that sends one
    /// request at a time waits forever.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub gather: usize,
}

/// Why a flag's value was refused; each message names the value and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum FlagValueError {
    /// Not a duration.
    #[error(transparent)]
    Duration(#[from] DurationError),
    /// A duration too long for a timer.
    #[error("`{text}`: {reason}")]
    TooLong {
        /// As given.
        text: String,
        /// Why.
        reason: String,
    },
    /// Not milliseconds.
    #[error("`{0}` is not a whole number of milliseconds")]
    Milliseconds(String),
    /// Not seconds.
    #[error("`{0}` is not a number of seconds")]
    Seconds(String),
    /// A negative timeout.
    #[error("`{0}`: the timeout cannot be negative")]
    NegativeTimeout(String),
    /// A timeout of zero.
    #[error("`{0}`: the timeout must be longer than zero")]
    ZeroTimeout(String),
    /// A period of `keyrot serve` under 0.1 s.
    #[error("`{0}`: the period must be at least 0.1s (PT0.1S)")]
    Every(String),
    /// Not a rate from 0 to 1.
    #[error("`{0}` is not a rate: expected a number from 0 to 1")]
    Rate(String),
}

/// A signed duration keyrot reads: `30d`, `-365d`.
fn parse_offset(text: &str) -> Result<jiff::SignedDuration, DurationError> {
    match text.strip_prefix('-') {
        Some(rest) => parse_duration(rest).map(|duration| -duration),
        None => parse_duration(text),
    }
}

fn parse_std_duration(text: &str) -> Result<Duration, FlagValueError> {
    let duration = parse_duration(text)?;
    Duration::try_from(duration).map_err(|error| FlagValueError::TooLong {
        text: text.to_owned(),
        reason: error.to_string(),
    })
}

/// A latency: milliseconds (`25ms`), decimal seconds (`0.3s`), or any duration keyrot reads.
fn parse_latency(text: &str) -> Result<Duration, FlagValueError> {
    let trimmed = text.trim();
    if let Some(millis) = trimmed.strip_suffix("ms") {
        return millis
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| FlagValueError::Milliseconds(text.to_owned()));
    }
    if let Some(seconds) = trimmed
        .strip_suffix('s')
        .filter(|number| number.contains('.'))
    {
        return seconds
            .parse::<f64>()
            .ok()
            .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
            .ok_or_else(|| FlagValueError::Seconds(text.to_owned()));
    }
    parse_std_duration(text)
}

fn parse_lock_timeout(text: &str) -> Result<Duration, FlagValueError> {
    if text.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    let duration = parse_duration(text)?;
    Duration::try_from(duration).map_err(|_| FlagValueError::NegativeTimeout(text.to_owned()))
}

fn parse_every(text: &str) -> Result<Duration, FlagValueError> {
    let duration = parse_duration(text)?;
    Duration::try_from(duration)
        .ok()
        .filter(|every| *every >= Duration::from_millis(100))
        .ok_or_else(|| FlagValueError::Every(text.to_owned()))
}

fn parse_rate(text: &str) -> Result<f64, FlagValueError> {
    text.parse::<f64>()
        .ok()
        .filter(|rate| (0.0..=1.0).contains(rate))
        .ok_or_else(|| FlagValueError::Rate(text.to_owned()))
}

fn parse_timeout(text: &str) -> Result<Duration, FlagValueError> {
    let duration = parse_duration(text)?;
    Duration::try_from(duration)
        .ok()
        .filter(|timeout| !timeout.is_zero())
        .ok_or_else(|| FlagValueError::ZeroTimeout(text.to_owned()))
}
