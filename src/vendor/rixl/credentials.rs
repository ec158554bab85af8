//! RIXL credentials from the environment: an access token, or an API key exchanged for one.

use secrecy::SecretString;

use crate::provider::ProviderError;

/// How keyrot authenticates to RIXL. Never printed.
pub enum RixlCredentials {
    /// `RIXL_API_TOKEN`, sent as `Authorization: Bearer`.
    Token(SecretString),
    /// `RIXL_API_KEY`, exchanged once per run for an access token.
    ApiKey(SecretString),
}

impl RixlCredentials {
    /// Reads credentials through `var`; a token wins over an API key.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, ProviderError> {
        let set = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        if let Some(token) = set("RIXL_API_TOKEN") {
            return Ok(Self::Token(token.into()));
        }
        if let Some(key) = set("RIXL_API_KEY") {
            return Ok(Self::ApiKey(key.into()));
        }
        Err(ProviderError::Setup(
            "no RIXL credentials in the environment: set RIXL_API_TOKEN, or RIXL_API_KEY to \
             exchange for a token"
                .to_owned(),
        ))
    }

    /// The environment variable these credentials came from, for messages.
    pub fn variable(&self) -> &'static str {
        match self {
            Self::Token(_) => "RIXL_API_TOKEN",
            Self::ApiKey(_) => "RIXL_API_KEY",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_wins_and_nothing_is_an_error() {
        let both = |name: &str| Some(format!("value of {name}"));
        assert!(matches!(
            RixlCredentials::from_env(both),
            Ok(RixlCredentials::Token(_))
        ));
        let key = |name: &str| (name == "RIXL_API_KEY").then(|| "rxl_x".to_owned());
        assert!(matches!(
            RixlCredentials::from_env(key),
            Ok(RixlCredentials::ApiKey(_))
        ));
        let Err(error) = RixlCredentials::from_env(|_| None) else {
            panic!("no credentials were accepted");
        };
        assert!(error.to_string().contains("RIXL_API_TOKEN"));
    }
}
