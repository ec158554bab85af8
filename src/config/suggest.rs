//! "Did you mean": the nearest known name to a misspelt one.

/// The candidate closest to `unknown` by edit distance, if it is close enough to be a typo;
/// failing that, the one candidate that `unknown` is a shortening of (`max_rotations`).
pub(crate) fn nearest<'a>(unknown: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (unknown.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(unknown, candidate), *candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
        .or_else(|| shortened(unknown, candidates))
}

/// The only candidate that starts with `unknown`, when `unknown` is long enough to mean it.
fn shortened<'a>(unknown: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let mut longer = candidates
        .iter()
        .filter(|candidate| unknown.len() >= 4 && candidate.starts_with(unknown));
    match (longer.next(), longer.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::nearest;

    const FIELDS: &[&str] = &["account_id", "key_rotation_interval_days", "max_key_age"];

    #[test]
    fn typos_find_their_field() {
        assert_eq!(nearest("acount_id", FIELDS), Some("account_id"));
        assert_eq!(nearest("accuont_id", FIELDS), Some("account_id"));
        assert_eq!(
            nearest("key_rotation_interval", FIELDS),
            Some("key_rotation_interval_days")
        );
        assert_eq!(nearest("max_age", FIELDS), None);
        assert_eq!(
            nearest("key_rotation", FIELDS),
            Some("key_rotation_interval_days")
        );
        assert_eq!(nearest("max_", FIELDS), Some("max_key_age"));
        assert_eq!(nearest("ma", FIELDS), None);
    }

    #[test]
    fn unrelated_names_find_nothing() {
        assert_eq!(nearest("colour", FIELDS), None);
        assert_eq!(nearest("", FIELDS), None);
    }
}
