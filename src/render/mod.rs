//! Turns plans and apply reports into text. Decides nothing; prints nothing.

mod apply_report;
mod diff;
mod plan_human;
mod plural;
mod style;

pub use apply_report::{render_apply_summary, render_outcome};
pub use plan_human::{action_line, render_plan, resource_header};
pub use plural::counted;
pub use style::Style;
