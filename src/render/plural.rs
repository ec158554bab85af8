//! Counted nouns in English: "1 rotation", "2 rotations".

/// `count` followed by `noun`, with an `s` unless the count is one.
pub fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn one_is_singular_everything_else_plural() {
        assert_eq!(counted(0, "action"), "0 actions");
        assert_eq!(counted(1, "action"), "1 action");
        assert_eq!(counted(2, "action"), "2 actions");
    }
}
