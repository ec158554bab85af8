//! Markdown for a pull-request comment: the summary and warnings first, then each changed
//! resource in a `<details>` block with its reasons and a diff. No colors; kept under GitHub's
//! comment limit by dropping whole resources from the end.

use std::fmt::Write;

use super::apply_report::render_outcome;
use super::diff::attribute_diff;
use super::document::UPCOMING_HORIZON;
use super::json::identity;
use super::plan_human::action_line;
use super::plural::counted;
use super::style::Style;
use crate::apply::ApplyReport;
use crate::plan::{Action, DeadlineStatus, Plan, ResourcePlan, instant_in_words};

/// GitHub's limit on one comment, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// What the comment is about.
#[derive(Clone, Copy, Debug)]
pub struct MarkdownView<'a> {
    /// The heading, e.g. `keyrot plan`.
    pub title: &'a str,
    /// Lines under the heading that say what is shown (a saved plan's origin), as Markdown.
    pub about: Option<&'a str>,
    /// The desired-state file.
    pub source: &'a str,
    /// The apply's outcomes, for an apply.
    pub report: Option<&'a ApplyReport>,
    /// The most characters the whole comment may have.
    pub limit: usize,
}

/// The comment for `plan`.
pub fn render_markdown(plan: &Plan, view: MarkdownView<'_>) -> String {
    let mut head = format!("## {}\n\n", view.title);
    if let Some(about) = view.about {
        let _ = writeln!(head, "{about}\n");
    }
    if let Some(trouble) = &plan.clock_trouble {
        let _ = writeln!(head, "> [!CAUTION]\n> {}\n", escape_html(&trouble.message));
    }
    for waiting in &plan.awaiting_delivery {
        let _ = writeln!(
            head,
            "> [!WARNING]\n> `{}`: a new secret waits in a recovery file for its sink since {}\n",
            escape_html(&waiting.resource),
            instant_in_words(waiting.since)
        );
    }
    head.push_str(&summary(plan, view));
    let blocks: Vec<String> = plan
        .resources
        .iter()
        .filter(|resource| shown(resource))
        .map(|resource| resource_block(resource, view.report))
        .collect();
    let mut tail = upcoming(plan);
    if let Some(report) = view.report {
        let counts = report.counts();
        let _ = writeln!(
            tail,
            "**Apply:** {} done, {} failed, {} not started{}.\n",
            counts.done,
            counts.failed,
            counts.not_started,
            if report.interrupted() {
                " (interrupted)"
            } else {
                ""
            }
        );
    }
    assemble(head, &blocks, tail, view.limit)
}

/// Head, as many blocks as fit, then the tail; dropped blocks are counted in a closing line.
fn assemble(head: String, blocks: &[String], tail: String, limit: usize) -> String {
    let length = |text: &str| text.chars().count();
    let omitted_line = |count: usize| {
        format!(
            "… {} not shown; the full plan is in the job log.\n",
            counted(count, "more resource")
        )
    };
    let reserve = length(&omitted_line(blocks.len())) + length(&tail);
    let mut out = head;
    let mut shown = 0;
    for block in blocks {
        if length(&out) + length(block) + reserve > limit {
            break;
        }
        out.push_str(block);
        shown += 1;
    }
    if shown < blocks.len() {
        out.push_str(&omitted_line(blocks.len() - shown));
        out.push('\n');
    }
    out.push_str(&tail);
    out
}

fn shown(resource: &ResourcePlan) -> bool {
    !resource.actions.is_empty()
        || resource.deferral.is_some()
        || !resource.warnings.is_empty()
        || resource.is_overdue()
}

fn summary(plan: &Plan, view: MarkdownView<'_>) -> String {
    let counts = plan.counts();
    let mut out = if plan.is_empty() && counts.deferred == 0 && plan.partial.is_some() {
        "**No changes among the resources planned.**\n\n".to_owned()
    } else if plan.is_empty() && counts.deferred == 0 {
        format!("**No changes.** Live state matches `{}`.\n\n", view.source)
    } else {
        format!(
            "**{} to update · {} to rotate · {} deferred · {} unchanged**\n\n",
            counts.updates, counts.rotations, counts.deferred, counts.unchanged
        )
    };
    if let Some(partial) = &plan.partial {
        let _ = writeln!(
            out,
            "> This plan covers {}.\n",
            escape_html(&partial.to_string())
        );
    }
    if plan.exceeds_rotation_limit() {
        let _ = writeln!(
            out,
            "> ⚠️ This plan rotates {}, more than the limit of {} \
             (`settings.max_rotations_per_apply`): apply will refuse it unless run with \
             `--max-rotations {}`.\n",
            counted(counts.rotations, "key"),
            plan.max_rotations_per_apply,
            counts.rotations
        );
    }
    let overdue: Vec<String> = plan
        .resources
        .iter()
        .filter(|resource| resource.is_overdue())
        .map(|resource| format!("`{}`", resource.name))
        .collect();
    if !overdue.is_empty() {
        let _ = writeln!(
            out,
            "> ⚠️ Overdue rotation deadline: {}.\n",
            overdue.join(", ")
        );
    }
    let expiring: Vec<String> = plan
        .resources
        .iter()
        .flat_map(|resource| {
            resource
                .warnings
                .iter()
                .map(move |warning| format!("`{}`: {warning}", resource.name))
        })
        .collect();
    if !expiring.is_empty() {
        let _ = writeln!(out, "> ⚠️ {}.\n", expiring.join("; "));
    }
    out
}

fn resource_block(resource: &ResourcePlan, report: Option<&ApplyReport>) -> String {
    let (address, ..) = identity(resource);
    let headline: Vec<String> = resource
        .actions
        .iter()
        .map(|action| action_line(&resource.target, action, Style::PLAIN))
        .collect();
    let headline = match (headline.is_empty(), &resource.deferral) {
        (false, _) => headline.join(", "),
        (true, Some(_)) => "⏸ rotation deferred".to_owned(),
        (true, None) => "no action".to_owned(),
    };
    let mut out = format!(
        "<details><summary><code>{address}</code>: {}</summary>\n\n",
        escape_html(&headline)
    );
    for action in &resource.actions {
        if let Action::Rotate { reasons } = action {
            for reason in reasons {
                let _ = writeln!(out, "- reason: {reason}");
            }
        }
    }
    if let Some(deferral) = &resource.deferral {
        let _ = writeln!(out, "- ⏸ rotation {deferral}");
        for reason in &deferral.wanted {
            let _ = writeln!(out, "  - wanted because: {reason}");
        }
    }
    if let Some(DeadlineStatus::MetByScheduledRotation {
        deadline,
        scheduled,
    }) = resource.deadline
    {
        let _ = writeln!(
            out,
            "- ✓ deadline {} is met by the scheduled rotation on {}",
            instant_in_words(deadline),
            instant_in_words(scheduled)
        );
    }
    for warning in &resource.warnings {
        let _ = writeln!(out, "- ⚠️ {warning}");
    }
    if let Some(report) = report {
        for entry in report
            .actions
            .iter()
            .filter(|entry| entry.resource == resource.name)
        {
            let outcome = render_outcome(entry, Style::PLAIN);
            let _ = writeln!(out, "- outcome: {}", without_html(&outcome));
        }
    }
    let diff = attribute_diff(&resource.before, &resource.after, Style::PLAIN);
    if !diff.is_empty() {
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str("```diff\n");
        for line in diff.lines() {
            let _ = writeln!(out, "{}", line.strip_prefix("    ").unwrap_or(line));
        }
        out.push_str("```\n");
    }
    out.push_str("\n</details>\n\n");
    out
}

fn upcoming(plan: &Plan) -> String {
    let upcoming = plan.upcoming_deadlines(UPCOMING_HORIZON);
    if upcoming.is_empty() {
        return String::new();
    }
    let mut out = "### Upcoming deadlines (rotation windows opening within 30 days)\n\n".to_owned();
    for entry in upcoming {
        let _ = writeln!(
            out,
            "- `{}`: window opens {}, deadline {}",
            entry.resource.name,
            instant_in_words(entry.window_opens),
            instant_in_words(entry.deadline)
        );
    }
    out.push('\n');
    out
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `text` with `<` and `&` written as entities, so that an API's message cannot close the
/// comment's `<details>` block or add HTML of its own; GitHub shows the same characters.
fn without_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_that_do_not_fit_are_dropped_whole_and_counted() {
        let blocks: Vec<String> = (0..10)
            .map(|n| format!("block {n} {}\n", "x".repeat(80)))
            .collect();
        let out = assemble("head\n".to_owned(), &blocks, "tail\n".to_owned(), 400);
        assert!(out.chars().count() <= 400, "{out}");
        assert!(out.contains("block 0") && !out.contains("block 9"));
        let shown = blocks
            .iter()
            .filter(|block| out.contains(block.as_str()))
            .count();
        assert!(
            out.contains(&format!("… {} more resources not shown", 10 - shown)),
            "{out}"
        );
        assert!(out.ends_with("tail\n"));
    }

    #[test]
    fn everything_that_fits_is_shown_without_a_note() {
        let blocks = vec!["a\n".to_owned(), "b\n".to_owned()];
        let out = assemble("h\n".to_owned(), &blocks, String::new(), 1_000);
        assert_eq!(out, "h\na\nb\n");
    }
}

#[cfg(test)]
mod html_tests {
    use super::*;

    #[test]
    fn an_apis_message_cannot_close_the_details_block() {
        let outcome = "failed: HTTP 503: 10502 </summary></details><img src=x> & more";
        let safe = without_html(outcome);
        assert!(!safe.contains('<'), "{safe}");
        assert_eq!(
            safe,
            "failed: HTTP 503: 10502 &lt;/summary>&lt;/details>&lt;img src=x> &amp; more"
        );
    }
}
