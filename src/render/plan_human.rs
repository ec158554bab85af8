//! The human plan: Terraform-like text, one block per resource that has something to show, the
//! deadlines coming up, and a summary.

use std::fmt::Write;

use super::diff::attribute_diff;
use super::document::{Command, UPCOMING_HORIZON};
use super::plural::counted;
use super::style::Style;
use crate::plan::{
    Action, DeadlineStatus, Plan, PlanCounts, ResourcePlan, RotationReason, Target,
    instant_in_words, span_in_words,
};
use crate::vendor::VENDORS;

/// The whole plan as text. `source` names the desired-state file in the "No changes" line.
pub fn render_plan(plan: &Plan, source: &str, style: Style) -> String {
    plan_chunks(plan, source, style, Command::Plan).collect()
}

/// The plan as text, one chunk per resource shown and one for the closing sections, so a large
/// plan can be written out without being held whole. For `drift` the last line is the verdict
/// on drift rather than on changes.
pub fn plan_chunks<'a>(
    plan: &'a Plan,
    source: &'a str,
    style: Style,
    command: Command,
) -> impl Iterator<Item = String> + 'a {
    let blocks = plan
        .resources
        .iter()
        .filter(|resource| worth_showing(resource))
        .map(move |resource| {
            let mut block = resource_block(resource, style);
            block.push('\n');
            block
        });
    blocks.chain(std::iter::once_with(move || {
        closing(plan, source, style, command)
    }))
}

/// Upcoming deadlines, the summary line, the guardrail warning and, for `drift`, the verdict.
fn closing(plan: &Plan, source: &str, style: Style, command: Command) -> String {
    let mut out = upcoming_section(plan, style);
    let counts = plan.counts();
    let in_sync = match command {
        Command::Drift => None,
        _ if !plan.awaiting_delivery.is_empty() => Some(style.yellow(&waiting_headline(plan))),
        _ if plan.resources.is_empty() && plan.partial.is_none() => Some(style.yellow(&format!(
            "No changes: {source} manages no resources yet. Add {} (`keyrot import` writes them \
             from what exists).",
            sections_to_fill()
        ))),
        // Resources left out were not compared: never say that everything matches.
        _ if plan.partial.is_some() => {
            Some(style.yellow("No changes among the resources planned."))
        }
        _ => Some(style.green(&format!("No changes. Live state matches {source}."))),
    };
    let changes = if !plan.is_empty() {
        Some(style.bold(&summary(counts)))
    } else if counts.deferred > 0 {
        Some(style.yellow(&format!(
            "No changes to apply now: {} deferred (see above).",
            counted(counts.deferred, "rotation")
        )))
    } else {
        in_sync
    };
    if let Some(changes) = changes {
        let _ = writeln!(out, "{changes}");
    }
    let covers = plan.partial.as_ref().map(|partial| {
        let what = if command == Command::Drift {
            "check"
        } else {
            "plan"
        };
        style.yellow(&format!("This {what} covers {partial}."))
    });
    if let (Some(covers), false) = (&covers, command == Command::Drift) {
        let _ = writeln!(out, "{covers}");
    }
    if plan.exceeds_rotation_limit() {
        let _ = writeln!(out, "\n{}", style.yellow(&limit_warning(plan, counts)));
    }
    if command == Command::Drift {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", drift_verdict(plan, source, style));
        if let Some(covers) = covers {
            let _ = writeln!(out, "{covers}");
        }
    }
    out
}

/// The headline of a plan with nothing to change but secrets waiting for their sinks.
fn waiting_headline(plan: &Plan) -> String {
    let (secrets, wait, their, them) = match plan.awaiting_delivery.len() {
        1 => ("1 new secret".to_owned(), "waits", "its", "it"),
        count => (format!("{count} new secrets"), "wait", "their", "them"),
    };
    format!(
        "No changes to the live state, but {secrets} {wait} in recovery files for {their} \
         sinks (see above): `keyrot apply` delivers {them}."
    )
}

/// The last line of `drift`: whether anything differs from the desired state.
fn drift_verdict(plan: &Plan, source: &str, style: Style) -> String {
    let drifted = plan.drifted_resources();
    if let Some(trouble) = &plan.clock_trouble {
        let counted_drift = match drifted {
            0 => String::new(),
            _ => format!(
                " {} differ from {source}, and",
                counted(drifted, "resource")
            ),
        };
        return style.red(&format!(
            "Drift:{counted_drift} the clocks disagree: {}.",
            trouble.message
        ));
    }
    let waiting = plan.awaiting_delivery.len();
    if waiting > 0 {
        let verb = if waiting == 1 { "waits" } else { "wait" };
        return style.yellow(&format!(
            "Drift: {} differ from {source}, and {} {verb} in recovery files for their sinks.",
            counted(drifted, "resource"),
            counted(waiting, "new secret")
        ));
    }
    if drifted == 0 && plan.partial.is_some() {
        return style.yellow("No drift among the resources checked.");
    }
    if drifted == 0 {
        return style.green(&format!("No drift: live state matches {source}."));
    }
    let verb = if drifted == 1 { "differs" } else { "differ" };
    let mut verdict = format!(
        "Drift: {} {verb} from {source}",
        counted(drifted, "resource")
    );
    let overdue = plan.resources.iter().filter(|r| r.is_overdue()).count();
    if overdue > 0 {
        verdict.push_str(&format!(" ({overdue} overdue)"));
    }
    verdict.push('.');
    style.yellow(&verdict)
}

/// Where resources go, vendor by vendor: `accounts under cloudflare.accounts or api keys under
/// rixl.api_keys`.
fn sections_to_fill() -> String {
    let each: Vec<String> = VENDORS
        .iter()
        .map(|vendor| {
            let prefix = vendor.address_prefix();
            format!("{}s under {}", vendor.noun, prefix.trim_end_matches('.'))
        })
        .collect();
    each.join(" or ")
}

/// The header line naming a resource: `# cloudflare account "production" (023e…c353)`.
pub fn resource_header(resource: &ResourcePlan) -> String {
    resource.target.header(&resource.name)
}

/// An action in one line: `~ update key_rotation_interval_days: 90 -> 30` (the interval as
/// its vendor names it), or for a key with a secret, where the new secret goes:
/// `↻ rotate api key: new secret -> file secrets/ci.key`.
pub fn action_line(target: &Target, action: &Action, style: Style) -> String {
    match action {
        Action::UpdateInterval { from, to } => style.yellow(&format!(
            "~ update {}: {from} -> {to}",
            target.vendor.interval_name()
        )),
        Action::Rotate { reasons } => {
            let recovery = reasons.iter().any(RotationReason::recovers_lost_secret);
            let label = match recovery {
                true => format!("{} (recover lost secret)", target.vendor.rotate_label),
                false => target.vendor.rotate_label.to_owned(),
            };
            match &target.sink {
                None => style.magenta(&format!("↻ {label}")),
                Some(sink) => style.magenta(&format!("↻ {label}: new secret -> {sink}")),
            }
        }
    }
}

/// Resources with an action, a deferral, a warning, or a deadline left to the provider's own
/// schedule.
fn worth_showing(resource: &ResourcePlan) -> bool {
    !resource.actions.is_empty()
        || resource.deferral.is_some()
        || !resource.warnings.is_empty()
        || matches!(
            resource.deadline,
            Some(DeadlineStatus::MetByScheduledRotation { .. })
        )
}

fn resource_block(resource: &ResourcePlan, style: Style) -> String {
    let mut out = format!("{}\n", style.bold(&resource_header(resource)));
    for action in &resource.actions {
        let _ = writeln!(out, "  {}", action_line(&resource.target, action, style));
        if let Action::Rotate { reasons } = action {
            for reason in reasons {
                let _ = writeln!(out, "      {}", style.dimmed(&format!("reason: {reason}")));
            }
        }
    }
    if let Some(deferral) = &resource.deferral {
        let _ = writeln!(out, "  {}", style.yellow(&format!("⏸ rotation {deferral}")));
        for reason in &deferral.wanted {
            let line = format!("wanted because: {reason}");
            let _ = writeln!(out, "      {}", style.dimmed(&line));
        }
    }
    if let Some(DeadlineStatus::MetByScheduledRotation {
        deadline,
        scheduled,
    }) = resource.deadline
    {
        let line = format!(
            "✓ deadline {} is met by {}'s scheduled rotation on {}",
            instant_in_words(deadline),
            resource.target.vendor.title,
            instant_in_words(scheduled)
        );
        let _ = writeln!(out, "  {}", style.green(&line));
    }
    for warning in &resource.warnings {
        let _ = writeln!(out, "  {}", style.yellow(&format!("⚠ warning: {warning}")));
    }
    let diff = attribute_diff(&resource.before, &resource.after, style);
    if !diff.is_empty() {
        out.push('\n');
        out.push_str(&diff);
    }
    out
}

fn upcoming_section(plan: &Plan, style: Style) -> String {
    let upcoming = plan.upcoming_deadlines(UPCOMING_HORIZON);
    if upcoming.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "{}\n",
        style.bold("Upcoming deadlines (rotation windows opening within 30 days):")
    );
    for entry in upcoming {
        let line = format!(
            "  {}: window opens {}, in {}; deadline {}",
            entry.resource.name,
            instant_in_words(entry.window_opens),
            span_in_words(entry.window_opens.duration_since(plan.now)),
            instant_in_words(entry.deadline)
        );
        let _ = writeln!(out, "{line}");
    }
    out.push('\n');
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

fn limit_warning(plan: &Plan, counts: PlanCounts) -> String {
    let from = match plan.limit_from_flag {
        true => "--max-rotations",
        false => "settings.max_rotations_per_apply",
    };
    format!(
        "Warning: this plan rotates {}, more than the limit of {} ({from}); apply will refuse \
         it unless run with --max-rotations {}.",
        counted(counts.rotations, "key"),
        plan.max_rotations_per_apply,
        counts.rotations
    )
}
