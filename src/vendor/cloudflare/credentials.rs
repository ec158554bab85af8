//! Cloudflare credentials from the environment: an API token, or an email and global API key.

use reqwest::RequestBuilder;
use secrecy::{ExposeSecret, SecretString};

use crate::provider::ProviderError;

/// How requests to Cloudflare authenticate. Never printed.
pub enum CloudflareCredentials {
    /// `CLOUDFLARE_API_TOKEN`, sent as `Authorization: Bearer`.
    Token(SecretString),
    /// `CLOUDFLARE_EMAIL` and `CLOUDFLARE_API_KEY`, sent as `X-Auth-Email` and `X-Auth-Key`.
    EmailAndKey {
        /// The account email.
        email: SecretString,
        /// The global API key.
        key: SecretString,
    },
}

impl CloudflareCredentials {
    /// Reads credentials through `var` (the environment, or a test's stand-in). A token wins
    /// over an email and key; half a pair, or nothing, is an error naming what is missing.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, ProviderError> {
        let set = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        if let Some(token) = set("CLOUDFLARE_API_TOKEN") {
            return Ok(Self::Token(token.into()));
        }
        match (set("CLOUDFLARE_EMAIL"), set("CLOUDFLARE_API_KEY")) {
            (Some(email), Some(key)) => Ok(Self::EmailAndKey {
                email: email.into(),
                key: key.into(),
            }),
            (Some(_), None) => Err(missing(
                "CLOUDFLARE_EMAIL is set but CLOUDFLARE_API_KEY is not",
            )),
            (None, Some(_)) => Err(missing(
                "CLOUDFLARE_API_KEY is set but CLOUDFLARE_EMAIL is not",
            )),
            (None, None) => Err(missing("no Cloudflare credentials in the environment")),
        }
    }

    /// Adds the authentication headers to a request.
    pub(super) fn authenticate(&self, request: RequestBuilder) -> RequestBuilder {
        match self {
            Self::Token(token) => request.bearer_auth(token.expose_secret()),
            Self::EmailAndKey { email, key } => request
                .header("X-Auth-Email", email.expose_secret())
                .header("X-Auth-Key", key.expose_secret()),
        }
    }
}

fn missing(what: &str) -> ProviderError {
    ProviderError::Setup(format!(
        "{what}: set CLOUDFLARE_API_TOKEN, or both CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY"
    ))
}

impl CloudflareCredentials {
    /// The environment variables these credentials came from, for messages.
    pub fn variables(&self) -> &'static str {
        match self {
            Self::Token(_) => "CLOUDFLARE_API_TOKEN",
            Self::EmailAndKey { .. } => "CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY",
        }
    }

    /// The credential values, for blanking out of anything an API sends back.
    pub fn values(&self) -> Vec<&str> {
        use secrecy::ExposeSecret;
        match self {
            Self::Token(token) => vec![token.expose_secret()],
            Self::EmailAndKey { key, .. } => vec![key.expose_secret()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn a_token_wins() {
        let credentials = CloudflareCredentials::from_env(env(&[
            ("CLOUDFLARE_API_TOKEN", "t"),
            ("CLOUDFLARE_EMAIL", "e"),
        ]));
        assert!(matches!(credentials, Ok(CloudflareCredentials::Token(_))));
    }

    #[test]
    fn a_full_pair_is_accepted() {
        let credentials = CloudflareCredentials::from_env(env(&[
            ("CLOUDFLARE_EMAIL", "ops@example.com"),
            ("CLOUDFLARE_API_KEY", "k"),
        ]));
        assert!(matches!(
            credentials,
            Ok(CloudflareCredentials::EmailAndKey { .. })
        ));
    }

    #[test]
    fn half_a_pair_names_the_missing_half() {
        let Err(error) = CloudflareCredentials::from_env(env(&[("CLOUDFLARE_EMAIL", "e")])) else {
            panic!("half a pair was accepted");
        };
        assert!(
            error.to_string().contains("CLOUDFLARE_API_KEY is not"),
            "{error}"
        );
    }

    #[test]
    fn nothing_set_is_an_error() {
        let Err(error) = CloudflareCredentials::from_env(env(&[("CLOUDFLARE_API_TOKEN", " ")]))
        else {
            panic!("blank credentials were accepted");
        };
        assert!(
            error.to_string().contains("no Cloudflare credentials"),
            "{error}"
        );
    }
}
