//! A Markdown comment for a plan too large for one GitHub comment drops whole resources from
//! the end and says how many.

use keyrot::config::{DesiredState, Resource, RotationPolicy};
use keyrot::plan::{LiveState, Observation, Plan, PlanOptions, Schedule, plan};
use keyrot::render::{GITHUB_COMMENT_LIMIT, MarkdownView, render_markdown};
use keyrot::vendor::cloudflare;

use crate::harness::{days_ago, id, now, snapshot_settings};

/// `count` accounts whose interval differs from live.
fn big_plan(count: usize) -> Plan {
    let mut desired = DesiredState::empty("keyrot.yaml");
    let mut live = LiveState::default();
    for n in 0..count {
        let name = format!("account-{n:05}");
        desired.resources.push(Resource {
            name: name.clone(),
            vendor: &cloudflare::VENDOR,
            id: id(n),
            rotation: RotationPolicy::default(),
            sink: None,
            interval_days: Some(30),
        });
        live.resources.insert(
            name,
            Observation {
                last_rotation: Some(days_ago(10)),
                expires_at: None,
                schedule: Some(Schedule {
                    interval_days: 90.0,
                    days_until_next: None,
                }),
                ..Observation::default()
            },
        );
    }
    plan(&desired, &live, now(), PlanOptions::default()).unwrap()
}

fn view(limit: usize) -> MarkdownView<'static> {
    MarkdownView {
        title: "keyrot plan",
        about: None,
        source: "keyrot.yaml",
        report: None,
        limit,
    }
}

#[test]
fn a_small_limit_shows_what_fits_and_counts_the_rest() {
    let markdown = render_markdown(&big_plan(8), view(1_500));
    assert!(markdown.chars().count() <= 1_500);
    snapshot_settings().bind(|| insta::assert_snapshot!("plan_markdown_truncated", markdown));
}

#[test]
fn a_plan_of_thousands_stays_under_githubs_limit() {
    let markdown = render_markdown(&big_plan(2_000), view(GITHUB_COMMENT_LIMIT));
    assert!(markdown.chars().count() <= GITHUB_COMMENT_LIMIT);
    assert!(markdown.starts_with("## keyrot plan\n\n**2000 to update"));
    assert!(
        markdown.contains("more resources not shown; the full plan is in the job log."),
        "{}",
        &markdown[markdown.len() - 300..]
    );
}
