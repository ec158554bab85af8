//! A unified diff of a resource's live attributes against its desired ones.

use similar::{ChangeTag, TextDiff};

use super::style::Style;
use crate::plan::Attribute;

/// The diff of `before` (live) and `after` (desired) as indented lines, or nothing when equal.
pub(crate) fn attribute_diff(before: &[Attribute], after: &[Attribute], style: Style) -> String {
    let before = attribute_text(before);
    let after = attribute_text(after);
    if before == after {
        return String::new();
    }
    let diff = TextDiff::from_lines(&before, &after);
    let mut out = format!(
        "    {}\n    {}\n",
        style.red("--- live"),
        style.green("+++ desired")
    );
    for change in diff.iter_all_changes() {
        let line = change.value().trim_end_matches('\n');
        let painted = match change.tag() {
            ChangeTag::Delete => style.red(&format!("-{line}")),
            ChangeTag::Insert => style.green(&format!("+{line}")),
            ChangeTag::Equal => style.dimmed(&format!(" {line}")),
        };
        out.push_str("    ");
        out.push_str(&painted);
        out.push('\n');
    }
    out
}

fn attribute_text(attributes: &[Attribute]) -> String {
    attributes
        .iter()
        .map(|attribute| format!("{}: {}\n", attribute.name, attribute.value))
        .collect()
}
