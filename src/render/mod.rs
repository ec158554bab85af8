//! Turns plans and apply reports into text: human, JSON, Markdown, Prometheus metrics. Decides
//! nothing; prints nothing.

mod apply_report;
mod diff;
mod document;
mod history;
mod json;
mod markdown;
mod metrics;
mod plan_human;
mod plural;
mod style;

pub use apply_report::{render_apply_summary, render_outcome};
pub use document::{Command, UPCOMING_HORIZON};
pub use history::{history_document, render_history};
pub use json::{FORMAT_VERSION, Source, apply_document, identity, plan_document};
pub use markdown::{GITHUB_COMMENT_LIMIT, MarkdownView, render_markdown};
pub use metrics::{UnreadResource, render_failed_run_metrics, render_metrics};
pub use plan_human::{action_line, plan_chunks, render_plan, resource_header};
pub use plural::{counted, resources_counted};
pub use style::Style;
