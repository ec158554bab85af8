//! The second level of the command line: clap's raw flags become one validated options value
//! per command, here and nowhere else.

use std::path::PathBuf;
use std::time::Duration;

use super::args::{ApplyArgs, DriftArgs, OutputFormat, PlanArgs};
use super::exit::CliError;
use crate::apply::{Approval, SavedOptions};
use crate::plan::PlanOptions;

/// `keyrot plan`, validated.
pub struct PlanCommand {
    /// Only these resources; empty for all.
    pub targets: Vec<String>,
    /// The planner's options.
    pub options: PlanOptions,
    /// Where to save the plan, if anywhere.
    pub out: Option<PathBuf>,
    /// How to print it.
    pub format: OutputFormat,
    /// Exit 2 when the plan has changes.
    pub detailed_exitcode: bool,
}

impl PlanCommand {
    /// The options `keyrot plan` was given.
    pub fn new(args: &PlanArgs) -> Self {
        Self {
            targets: args.targets.clone(),
            options: PlanOptions {
                allow_rapid_rotation: args.allow_rapid_rotation,
                max_rotations: None,
                replace: args.replace.clone(),
            },
            out: args.out.clone(),
            format: args.format,
            detailed_exitcode: args.detailed_exitcode,
        }
    }

    /// What a saved plan records of these options.
    pub fn saved_options(&self) -> SavedOptions {
        SavedOptions {
            allow_rapid_rotation: self.options.allow_rapid_rotation,
            targets: self.targets.clone(),
            replace: self.options.replace.clone(),
        }
    }
}

/// `keyrot drift`, validated.
pub struct DriftCommand {
    /// Only these resources; empty for all.
    pub targets: Vec<String>,
    /// How to print the plan.
    pub format: OutputFormat,
    /// Where to write metrics, if anywhere.
    pub metrics_file: Option<PathBuf>,
}

impl DriftCommand {
    /// The options `keyrot drift` was given.
    pub fn new(args: &DriftArgs) -> Self {
        Self {
            targets: args.targets.clone(),
            format: args.format,
            metrics_file: args.metrics_file.clone(),
        }
    }

    /// Drift plans as a plain `keyrot plan` would.
    pub fn plan_options(&self) -> PlanOptions {
        PlanOptions::default()
    }
}

/// Where `keyrot apply` takes its plan from.
pub enum ApplyFrom {
    /// A fresh plan of these resources (all when empty).
    Fresh {
        /// `--target` names.
        targets: Vec<String>,
        /// `--allow-rapid-rotation`.
        allow_rapid_rotation: bool,
        /// `--replace` names.
        replace: Vec<String>,
    },
    /// A plan saved with `keyrot plan --out`.
    Saved(PathBuf),
}

/// `keyrot apply`, validated.
pub struct ApplyCommand {
    /// Where the plan comes from.
    pub from: ApplyFrom,
    /// Whether to ask for a `yes` first.
    pub approval: Approval,
    /// `--max-rotations`.
    pub max_rotations: Option<u32>,
    /// `--fail-fast`.
    pub fail_fast: bool,
    /// `--lock-timeout`.
    pub lock_timeout: Duration,
    /// How to print the plan and the report.
    pub format: OutputFormat,
}

impl ApplyCommand {
    /// The options `keyrot apply` was given; a machine-readable format cannot ask for approval,
    /// so it needs `--auto-approve` or a saved plan.
    pub fn new(args: &ApplyArgs) -> Result<Self, CliError> {
        let (from, approval) = match &args.plan_file {
            Some(path) => (ApplyFrom::Saved(path.clone()), Approval::Given),
            None => {
                let from = ApplyFrom::Fresh {
                    targets: args.targets.clone(),
                    allow_rapid_rotation: args.allow_rapid_rotation,
                    replace: args.replace.clone(),
                };
                (from, approval(args)?)
            }
        };
        Ok(Self {
            from,
            approval,
            max_rotations: args.max_rotations,
            fail_fast: args.fail_fast,
            lock_timeout: args.lock_timeout,
            format: args.format,
        })
    }
}

fn approval(args: &ApplyArgs) -> Result<Approval, CliError> {
    if args.auto_approve {
        return Ok(Approval::Given);
    }
    let format = match args.format {
        OutputFormat::Human => return Ok(Approval::Ask),
        OutputFormat::Json => "json",
        OutputFormat::Markdown => "markdown",
    };
    Err(CliError::Usage(format!(
        "apply --format {format} cannot ask for approval; nothing was changed. Pass \
         --auto-approve, or apply a plan saved with `keyrot plan --out FILE`"
    )))
}
