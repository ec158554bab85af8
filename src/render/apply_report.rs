//! Apply's output: one line per settled action, then a summary.

use super::plan_human::action_line;
use super::style::Style;
use crate::apply::{ActionReport, ApplyReport, NotStartedBecause, Outcome};

/// One settled action: `production: ~ update key_rotation_interval_days: 90 -> 30: done`.
pub fn render_outcome(entry: &ActionReport, style: Style) -> String {
    let action = action_line(&entry.action, style);
    let outcome = match &entry.outcome {
        Outcome::Done(effect) => match effect.last_rotation_at {
            Some(at) if matches!(entry.action, crate::plan::Action::Rotate { .. }) => {
                style.green(&format!("done (last rotation now {at})"))
            }
            _ => style.green("done"),
        },
        Outcome::Failed(error) => style.red(&format!("failed: {error}")),
        Outcome::NotStarted(NotStartedBecause::EarlierActionFailed) => {
            style.yellow("not started: an earlier action of this resource failed")
        }
    };
    format!("{}: {action}: {outcome}", entry.resource)
}

/// The closing line of an apply.
pub fn render_apply_summary(report: &ApplyReport, style: Style) -> String {
    let (done, failed, not_started) = report.counts();
    if report.succeeded() {
        return style.green(&format!("Apply complete: {done} action(s) done."));
    }
    style.red(&format!(
        "Apply failed: {done} done, {failed} failed, {not_started} not started. \
         Run `keyrot plan` to see what remains; apply again to converge."
    ))
}
