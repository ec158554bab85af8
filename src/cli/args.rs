//! The command line: commands, flags and their help.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::Timestamp;

use crate::config::parse_instant;

/// keyrot: a declarative reconciler for API key rotation.
///
/// Keep the rotation interval and key age of every Cloudflare account in a desired-state file;
/// `keyrot plan` shows what differs from the live state, `keyrot apply` makes it match.
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
    /// Evaluate the time rules as of this instant (RFC 3339, or a bare date for 00:00 UTC).
    #[arg(long, global = true, value_name = "INSTANT", value_parser = parse_now)]
    pub now: Option<Timestamp>,
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
    /// Check the desired-state file without contacting any API.
    ///
    /// Example: keyrot validate -f prod/keyrot.yaml
    Validate,
    /// Serve the embedded API simulator on loopback until Ctrl-C.
    ///
    /// Example: keyrot sandbox --seed examples/keyrot.yaml
    Sandbox(SandboxArgs),
    /// Run plan, apply and plan again against a seeded sandbox.
    ///
    /// Example: keyrot demo
    Demo,
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
}

/// `keyrot apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Apply without asking (required when there is no terminal to ask on).
    #[arg(long)]
    pub auto_approve: bool,
    /// Rotate even inside min_rotation_gap of the last rotation.
    #[arg(long)]
    pub allow_rapid_rotation: bool,
    /// Allow up to N rotations in this run (overrides settings.max_rotations_per_apply).
    #[arg(long, value_name = "N")]
    pub max_rotations: Option<u32>,
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
}

fn parse_now(text: &str) -> Result<Timestamp, String> {
    parse_instant(text)
}
