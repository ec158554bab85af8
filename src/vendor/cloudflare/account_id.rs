//! A Cloudflare account identifier, checked once where the file is read.

use std::fmt;

/// A text that is not a Cloudflare account ID, and what it holds instead. A token's value
/// pasted in its place is never quoted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", described(.text, .found))]
pub struct AccountIdError {
    /// As given.
    pub text: String,
    /// What it holds instead.
    pub found: Found,
}

/// The message for `text`, which holds `found` instead of an account ID.
fn described(text: &str, found: &Found) -> String {
    match looks_like_a_token_value(text) {
        true => "account_id holds what looks like an API token's value (it is not shown), not \
                 an account's ID: roll that token now, since its value is where IDs go"
            .to_owned(),
        false => format!(
            "account_id `{text}` is not a Cloudflare account ID: expected 32 lowercase \
             hexadecimal characters (found {found})"
        ),
    }
}

/// Whether `text` looks like an API token's value rather than an ID: the prefixes Cloudflare
/// gives them (`cfut_`, `cfat_`), or the length of one (40 characters or more).
pub fn looks_like_a_token_value(text: &str) -> bool {
    let text = text.trim();
    text.starts_with("cfut_") || text.starts_with("cfat_") || text.chars().count() >= 40
}

/// What a text that is not an account ID holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// Another number of characters.
    Length(usize),
    /// Uppercase hexadecimal.
    Uppercase,
    /// A character that is not hexadecimal.
    NotHexadecimal(char),
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::Length(length) => write!(f, "{length} characters"),
            Self::Uppercase => f.write_str("uppercase letters; write them in lowercase"),
            Self::NotHexadecimal(c) => {
                write!(f, "`{}`, which is not hexadecimal", c.escape_default())
            }
        }
    }
}

/// A Cloudflare account identifier: exactly 32 lowercase hexadecimal characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// Accepts exactly 32 lowercase hexadecimal characters.
    pub fn parse(text: &str) -> Result<Self, AccountIdError> {
        let is_lower_hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
        if text.len() == 32 && text.chars().all(is_lower_hex) {
            return Ok(Self(text.to_owned()));
        }
        let length = text.chars().count();
        let found = match text.chars().find(|c| !is_lower_hex(*c)) {
            _ if length != 32 => Found::Length(length),
            Some(c) if c.is_ascii_hexdigit() => Found::Uppercase,
            Some(c) => Found::NotHexadecimal(c),
            None => Found::Length(length),
        };
        Err(AccountIdError {
            text: text.to_owned(),
            found,
        })
    }

    /// The identifier as sent to the API.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first and last four characters, as in `023e…c353`, for headers.
    pub fn abbreviated(&self) -> String {
        format!("{}…{}", &self.0[..4], &self.0[28..])
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_32_lowercase_hex() {
        assert!(AccountId::parse("023e105f4ecef8ad9ca31a8372d0c353").is_ok());
        let upper = AccountId::parse("023E105F4ECEF8AD9CA31A8372D0C353")
            .unwrap_err()
            .to_string();
        assert!(
            upper.ends_with("(found uppercase letters; write them in lowercase)"),
            "{upper}"
        );
        let other = AccountId::parse("g23e105f4ecef8ad9ca31a8372d0c353")
            .unwrap_err()
            .to_string();
        assert!(
            other.ends_with("(found `g`, which is not hexadecimal)"),
            "{other}"
        );
        assert!(AccountId::parse("023e105f4ecef8ad9ca31a8372d0c35").is_err());
        assert!(AccountId::parse("023e105f4ecef8ad9ca31a8372d0c353a").is_err());
        assert!(AccountId::parse("g23e105f4ecef8ad9ca31a8372d0c353").is_err());
        assert!(AccountId::parse("").is_err());
    }

    #[test]
    fn abbreviation_keeps_both_ends() {
        let id = AccountId::parse("023e105f4ecef8ad9ca31a8372d0c353").unwrap();
        assert_eq!(id.abbreviated(), "023e…c353");
    }
}
