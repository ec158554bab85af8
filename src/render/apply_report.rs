//! Apply's output: one line per settled action, then a summary.

use std::fmt::Write;

use super::plan_human::action_line;
use super::plural::counted;
use super::style::Style;
use crate::apply::{ActionReport, ApplyReport, NotStartedBecause, Outcome, Signal, StopReason};
use crate::plan::{Action, Plan, instant_in_words};

/// One settled action: `production: ~ update key_rotation_interval_days: 90 -> 30: done`.
pub fn render_outcome(entry: &ActionReport, style: Style) -> String {
    let action = action_line(&entry.target, &entry.action, style);
    let outcome = match &entry.outcome {
        Outcome::Done(effect) => {
            let mut text = "done".to_owned();
            if let (Action::Rotate { .. }, Some(at)) = (&entry.action, effect.last_rotation_at) {
                let _ = write!(text, "; rotated at {}", instant_in_words(at));
            }
            if effect.secret_delivered_to.is_some() {
                text.push_str("; new secret delivered");
            }
            if let Some(cause) = &effect.confirmed_after {
                let _ = write!(
                    text,
                    " (the answer was lost: {cause}; re-reading the account confirmed the \
                     rotation, which was not sent again)"
                );
            }
            style.green(&text)
        }
        Outcome::Failed(error) => style.red(&format!("failed: {error}")),
        Outcome::Abandoned => style.red(
            "unknown: a second signal stopped the wait for its answer; the journal keeps it, the \
             next plan, apply or drift settles it by reading the resource, and apply recovers a \
             secret it finds lost",
        ),
        Outcome::NotStarted(because) => style.yellow(&format!(
            "not started: {}",
            match because {
                NotStartedBecause::EarlierActionFailed =>
                    "an earlier action of this resource failed",
                NotStartedBecause::Stopped(StopReason::Interrupted(Signal::Interrupt)) => {
                    "interrupted (Ctrl-C)"
                }
                NotStartedBecause::Stopped(StopReason::Interrupted(Signal::Terminate)) => {
                    "stopped by SIGTERM"
                }
                NotStartedBecause::Stopped(StopReason::Interrupted(Signal::HangUp)) => {
                    "stopped by SIGHUP"
                }
                NotStartedBecause::Stopped(StopReason::FailFast) => {
                    "--fail-fast stopped the run after a failure"
                }
                NotStartedBecause::Stopped(StopReason::JournalFailed) => {
                    "the journal could not be written, so no further write was sent"
                }
            }
        )),
        Outcome::SkippedTooSoon {
            last_rotation,
            allowed_from,
        } => style.yellow(&format!(
            "skipped: by the API's clock the key was last rotated at {}, within min_rotation_gap; \
             allowed from {} (the plan was made for a later instant)",
            instant_in_words(*last_rotation),
            instant_in_words(*allowed_from)
        )),
        Outcome::SkippedChangedSincePlan { changes } => style.yellow(&format!(
            "skipped: changed since the plan ({changes}); something other than this apply \
             wrote it. Run `keyrot plan` to re-evaluate"
        )),
        Outcome::SkippedRotatedMeanwhile { at } => style.yellow(&format!(
            "skipped: the key was rotated at {} after the plan read it, and a second rotation \
             now would drop a key still in use; run `keyrot plan` to re-evaluate",
            instant_in_words(*at)
        )),
    };
    format!("{}: {action}: {outcome}", entry.resource)
}

/// The closing line of an apply of `plan`, mentioning the rotations it left deferred.
pub fn render_apply_summary(report: &ApplyReport, plan: &Plan, style: Style) -> String {
    let counts = report.counts();
    let mut line = if report.interrupted() {
        format!(
            "Apply interrupted: {} done, {} failed, {} not started",
            counts.done, counts.failed, counts.not_started
        )
    } else if report.succeeded() {
        format!("Apply complete: {} done", counted(counts.done, "action"))
    } else {
        format!(
            "Apply failed: {} done, {} failed, {} not started",
            counts.done, counts.failed, counts.not_started
        )
    };
    if counts.skipped > 0 {
        let _ = write!(line, ", {} skipped", counted(counts.skipped, "action"));
    }
    line.push('.');
    let deferred = plan.counts().deferred;
    if deferred > 0 {
        let stays = if deferred == 1 {
            "1 rotation stays".to_owned()
        } else {
            format!("{deferred} rotations stay")
        };
        let _ = write!(
            line,
            " {stays} deferred until the safety gap ends (see the plan)."
        );
    }
    if report.succeeded() && !report.interrupted() {
        return style.green(&line);
    }
    line.push_str(" Run `keyrot plan` to see what remains; apply again to converge.");
    style.red(&line)
}
