//! The human plan: Terraform-like text, one block per resource that has something to show.

use std::fmt::Write;

use super::diff::attribute_diff;
use super::plural::counted;
use super::style::Style;
use crate::plan::{Action, Plan, PlanCounts, ResourcePlan, Target};

/// The whole plan as text. `source` names the desired-state file in the "No changes" line.
pub fn render_plan(plan: &Plan, source: &str, style: Style) -> String {
    let mut out = String::new();
    for resource in &plan.resources {
        if !resource.actions.is_empty() || resource.deferral.is_some() {
            out.push_str(&resource_block(resource, style));
            out.push('\n');
        }
    }
    if plan.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            style.green(&format!("No changes. Live state matches {source}."))
        );
    } else {
        let _ = writeln!(out, "{}", style.bold(&summary(plan.counts())));
    }
    out
}

/// The header line naming a resource: `# cloudflare account "production" (023e…c353)`.
pub fn resource_header(resource: &ResourcePlan) -> String {
    match &resource.target {
        Target::CloudflareAccount { account_id } => format!(
            "# cloudflare account \"{}\" ({})",
            resource.name,
            account_id.abbreviated()
        ),
    }
}

/// An action in one line: `~ update key_rotation_interval_days: 90 -> 30`.
pub fn action_line(action: &Action, style: Style) -> String {
    match action {
        Action::UpdateInterval { from, to } => style.yellow(&format!(
            "~ update key_rotation_interval_days: {from} -> {to}"
        )),
        Action::Rotate { .. } => style.magenta("↻ rotate access keys"),
    }
}

fn resource_block(resource: &ResourcePlan, style: Style) -> String {
    let mut out = format!("{}\n", style.bold(&resource_header(resource)));
    for action in &resource.actions {
        let _ = writeln!(out, "  {}", action_line(action, style));
        if let Action::Rotate { reason } = action {
            let _ = writeln!(out, "      {}", style.dimmed(&format!("reason: {reason}")));
        }
    }
    if let Some(deferral) = &resource.deferral {
        let _ = writeln!(out, "  {}", style.yellow(&format!("⏸ rotation {deferral}")));
        let _ = writeln!(
            out,
            "      {}",
            style.dimmed(&format!("wanted because: {}", deferral.wanted))
        );
    }
    let diff = attribute_diff(&resource.before, &resource.after, style);
    if !diff.is_empty() {
        out.push('\n');
        out.push_str(&diff);
    }
    out
}

fn summary(counts: PlanCounts) -> String {
    let mut line = format!(
        "Plan: {} to update, {} to rotate, {} unchanged",
        counts.updates, counts.rotations, counts.unchanged
    );
    if counts.deferred > 0 {
        let _ = write!(line, ", {} deferred", counted(counts.deferred, "rotation"));
    }
    line.push('.');
    line
}
