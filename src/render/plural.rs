//! Counted nouns in English: "1 rotation", "2 rotations".

use crate::config::DesiredState;
use crate::vendor::VENDORS;

/// `count` followed by `noun`, with an `s` unless the count is one.
pub fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// How many resources of each vendor `desired` holds, every vendor named:
/// `1 Cloudflare account and 2 RIXL API keys`; an absent desired state holds none.
pub fn resources_counted(desired: Option<&DesiredState>) -> String {
    let counts: Vec<String> = VENDORS
        .iter()
        .map(|vendor| {
            let count = desired.map_or(0, |desired| desired.resources_of(vendor).count());
            counted(count, vendor.counted_as)
        })
        .collect();
    match counts.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_everything_else_plural() {
        assert_eq!(counted(0, "action"), "0 actions");
        assert_eq!(counted(1, "action"), "1 action");
        assert_eq!(counted(2, "action"), "2 actions");
    }

    #[test]
    fn every_vendor_is_counted_even_when_it_has_none() {
        assert_eq!(
            resources_counted(None),
            "0 Cloudflare accounts, 0 RIXL API keys and 0 Cloudflare API tokens"
        );
    }
}
