//! Resource names for imported resources: the vendor's display name made into a valid, unique
//! resource name.

use std::collections::HashSet;

/// What `keyrot import` writes as a key's sink until someone says where secrets must go;
/// validation refuses it.
pub const SINK_PLACEHOLDER: &str = "REPLACE-WITH-SECRET-SINK";

/// A valid resource name for each label, in order: lowercase, runs of anything but letters,
/// digits, `_` and `-` turned into one `-`, `fallback(index)` when nothing is left, and `-2`,
/// `-3`… appended to repeats.
pub fn resource_names(labels: &[String], fallback: impl Fn(usize) -> String) -> Vec<String> {
    let mut taken = HashSet::new();
    labels
        .iter()
        .enumerate()
        .map(|(index, label)| {
            let base = match slug(label) {
                slug if slug.is_empty() => slug_or(&fallback(index)),
                slug => slug,
            };
            let mut name = base.clone();
            let mut suffix = 2;
            while !taken.insert(name.clone()) {
                name = format!("{base}-{suffix}");
                suffix += 1;
            }
            name
        })
        .collect()
}

fn slug_or(text: &str) -> String {
    match slug(text) {
        slug if slug.is_empty() => "resource".to_owned(),
        slug => slug,
    }
}

fn slug(label: &str) -> String {
    let mut slug = String::new();
    for c in label.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_start_matches(['-', '_'])
        .trim_end_matches('-')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(labels: &[&str]) -> Vec<String> {
        let labels: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
        resource_names(&labels, |index| format!("account-{index}"))
    }

    #[test]
    fn display_names_become_resource_names() {
        assert_eq!(
            names(&["Acme Corp (Production)", "  staging__EU ", "Ünïcode"]),
            ["acme-corp-production", "staging__eu", "n-code"]
        );
    }

    #[test]
    fn empty_and_repeated_names_stay_valid_and_unique() {
        assert_eq!(
            names(&["Prod", "prod", "PROD!", "", "***"]),
            ["prod", "prod-2", "prod-3", "account-3", "account-4"]
        );
    }
}
