//! Provider failures, each naming the resource and carrying the API's own codes and messages.

use std::fmt;

use crate::text::Printable;

/// Which resource a call was about, as shown in every message: `cloudflare account "production"
/// (023e105f4ecef8ad9ca31a8372d0c353)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceLabel(pub String);

impl fmt::Display for ResourceLabel {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One error or message item of an API response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiMessage {
    /// The API's error code.
    pub code: i64,
    /// The API's message.
    pub message: String,
}

impl fmt::Display for ApiMessage {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} {}", self.code, Printable(&self.message))
    }
}

/// A provider call that did not succeed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProviderError {
    /// Credentials or base URL are missing or malformed; nothing was sent.
    #[error("{0}")]
    Setup(String),
    /// The API answered with an error.
    #[error(
        "{resource}: {operation} failed: HTTP {status}: {}",
        ApiMessages(errors)
    )]
    Api {
        /// The resource the call was about.
        resource: ResourceLabel,
        /// What was attempted, e.g. `GET /accounts/{id}/access/keys`.
        operation: String,
        /// The HTTP status.
        status: u16,
        /// The API's error items.
        errors: Vec<ApiMessage>,
    },
    /// The API answered with an error status and a body that is not Cloudflare's envelope.
    #[error("{resource}: {operation} failed: HTTP {status}: {}", Printable(.detail))]
    Status {
        /// The resource the call was about.
        resource: ResourceLabel,
        /// What was attempted.
        operation: String,
        /// The HTTP status.
        status: u16,
        /// The API's error code and message, or what the body said.
        detail: String,
    },
    /// A rotate succeeded but its answer carried no secret: the new secret is lost.
    #[error(
        "{resource}: {operation} rotated the key but its answer carried no readable secret: the \
         new secret is lost and the old one no longer works. The journal records it: the next \
         `keyrot apply` rotates the key again to recover it (`keyrot plan` shows it)"
    )]
    SecretMissing {
        /// The key.
        resource: ResourceLabel,
        /// The rotate.
        operation: String,
    },
    /// A rotate's answer was lost and re-reading showed the key was rotated: a new secret was
    /// issued and never received.
    #[error(
        "{failure}; reading the key again shows it was rotated (its last rotation is now \
         {created_at}), so a new secret was issued and never received: the old secret no longer works. The \
         journal records it: the next `keyrot apply` rotates the key again to recover it \
         (`keyrot plan` shows it)"
    )]
    SecretLost {
        /// What happened to the rotate.
        failure: Box<ProviderError>,
        /// The key's new creation time.
        created_at: String,
    },
    /// A rotate's answer was lost for a key whose API does not show its rotations: the new
    /// secret existed only in that answer, so it is taken for lost whatever a read shows.
    #[error(
        "{failure}; the new secret existed only in that answer, so keyrot takes it for lost \
         and the old one for dead ({evidence}). The journal records it: the next `keyrot apply` \
         rotates the key again to recover it (`keyrot plan` shows it)"
    )]
    AnswerLost {
        /// What happened to the rotate.
        failure: Box<ProviderError>,
        /// What a read of the key showed, in words.
        evidence: String,
    },
    /// A key named in the file is not among the keys the API listed.
    #[error(
        "{resource}: not found among the {} {vendor} listed; check {id_field}",
        Count(*.listed, .listed_as)
    )]
    KeyNotFound {
        /// The key.
        resource: ResourceLabel,
        /// How many keys were listed.
        listed: usize,
        /// What was listed, one of them: `key`, `token`.
        listed_as: &'static str,
        /// The vendor, as sentences name it: `RIXL`.
        vendor: &'static str,
        /// The file's field that names the key: `key_id`.
        id_field: &'static str,
    },
    /// The request failed before any answer arrived (connection refused, timeout, reset).
    #[error("{resource}: {operation} failed: {}", Printable(.detail))]
    Transport {
        /// The resource the call was about.
        resource: ResourceLabel,
        /// What was attempted.
        operation: String,
        /// What went wrong.
        detail: String,
        /// False only when the connection was never made, so the server cannot have acted.
        request_may_have_arrived: bool,
    },
    /// A rotate's answer was lost, and re-reading showed no new rotation: it did not happen,
    /// and it was not sent again.
    #[error(
        "{failure}; reading the key again showed no new rotation, so it was not rotated and \
         nothing changed (the rotate was not sent again)"
    )]
    RotationNotConfirmed {
        /// What happened to the rotate.
        failure: Box<ProviderError>,
    },
    /// A rotate's answer was lost, and re-reading the account failed too.
    #[error(
        "{failure}; reading the key again failed too ({read_error}), so it is unknown whether \
         it was rotated (and, for a key whose rotation issues a secret, whether a new secret was \
         issued and lost): run \
         `keyrot plan` to see its last rotation before applying again"
    )]
    RotationOutcomeUnknown {
        /// What happened to the rotate.
        failure: Box<ProviderError>,
        /// Why reading the key again did not settle it.
        read_error: String,
    },
    /// A failure every other read of the vendor would meet too (its host refuses connections,
    /// or it refuses the credentials), which stopped that vendor's reads.
    #[error(
        "{vendor}: {cause}; check {check}. Reading from {vendor} stopped there: {} not read",
        Count(*.unread, .noun)
    )]
    ReadsStopped {
        /// The vendor's name: `Cloudflare`.
        vendor: &'static str,
        /// What failed, without a resource: `HTTP 403: 10000 Authentication error`.
        cause: String,
        /// What to check: `CLOUDFLARE_API_TOKEN`.
        check: String,
        /// How many of the vendor's resources were not read.
        unread: usize,
        /// What one resource is: `account`.
        noun: &'static str,
    },
    /// A failed read, with what the operator should check.
    #[error("{error}; {hint}")]
    Hinted {
        /// The failure.
        error: Box<ProviderError>,
        /// What to check: `check account_id`.
        hint: &'static str,
    },
    /// The API answered with something that is not what its documents describe.
    #[error("{resource}: {operation}: unexpected response (HTTP {status}): {}", Printable(.detail))]
    InvalidResponse {
        /// The resource the call was about.
        resource: ResourceLabel,
        /// What was attempted.
        operation: String,
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        detail: String,
    },
}

impl ProviderError {
    /// The same error with every occurrence of `secrets` (the run's credentials) blanked out of
    /// what the API sent back: a server that echoes a token must not get it printed or
    /// journaled.
    pub fn redacted(self, secrets: &[&str]) -> Self {
        let clean = |text: String| {
            secrets
                .iter()
                .filter(|secret| secret.len() >= 4)
                .fold(text, |text, secret| text.replace(secret, "[credential]"))
        };
        match self {
            Self::Api {
                resource,
                operation,
                status,
                errors,
            } => Self::Api {
                resource,
                operation,
                status,
                errors: errors
                    .into_iter()
                    .map(|item| ApiMessage {
                        code: item.code,
                        message: clean(item.message),
                    })
                    .collect(),
            },
            Self::Status {
                resource,
                operation,
                status,
                detail,
            } => Self::Status {
                resource,
                operation,
                status,
                detail: clean(detail),
            },
            Self::InvalidResponse {
                resource,
                operation,
                status,
                detail,
            } => Self::InvalidResponse {
                resource,
                operation,
                status,
                detail: clean(detail),
            },
            Self::Transport {
                resource,
                operation,
                detail,
                request_may_have_arrived,
            } => Self::Transport {
                resource,
                operation,
                detail: clean(detail),
                request_may_have_arrived,
            },
            Self::Setup(detail) => Self::Setup(clean(detail)),
            Self::ReadsStopped {
                vendor,
                cause,
                check,
                unread,
                noun,
            } => Self::ReadsStopped {
                vendor,
                cause: clean(cause),
                check,
                unread,
                noun,
            },
            Self::Hinted { error, hint } => Self::Hinted {
                error: Box::new(error.redacted(secrets)),
                hint,
            },
            Self::AnswerLost { failure, evidence } => Self::AnswerLost {
                failure: Box::new(failure.redacted(secrets)),
                evidence: clean(evidence),
            },
            other => other,
        }
    }

    /// A list whose pages do not end as lists do (`why`), at `GET path`.
    pub fn endless_list(resource: &ResourceLabel, path: &str, why: &str) -> Self {
        Self::InvalidResponse {
            resource: resource.clone(),
            operation: format!("GET {path}"),
            status: 200,
            detail: format!("{why}; the list does not end, so keyrot stopped following its pages"),
        }
    }

    /// True when the server may have acted on the request although it reported no success:
    /// the answer was lost (a timeout, a reset), was a 5xx, or was a success keyrot could not
    /// read.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Self::Transport {
                request_may_have_arrived,
                ..
            } => *request_may_have_arrived,
            Self::InvalidResponse { status, .. } => *status >= 500 || (200..300).contains(status),
            Self::Api { status, .. } | Self::Status { status, .. } => *status >= 500,
            Self::Setup(_)
            | Self::RotationNotConfirmed { .. }
            | Self::SecretMissing { .. }
            | Self::SecretLost { .. }
            | Self::AnswerLost { .. }
            | Self::KeyNotFound { .. }
            | Self::ReadsStopped { .. } => false,
            Self::RotationOutcomeUnknown { .. } => true,
            Self::Hinted { error, .. } => error.outcome_unknown(),
        }
    }

    /// True when the connection was never made: the server cannot have acted, and every other
    /// request to the same host would meet the same fate.
    pub fn never_connected(&self) -> bool {
        matches!(
            self,
            Self::Transport {
                request_may_have_arrived: false,
                ..
            }
        )
    }

    /// The HTTP status the API answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. }
            | Self::Status { status, .. }
            | Self::InvalidResponse { status, .. } => Some(*status),
            Self::Hinted { error, .. } => error.status(),
            _ => None,
        }
    }

    /// What went wrong, without which resource or call: `HTTP 403: 10000 Authentication error`.
    pub fn cause(&self) -> String {
        match self {
            Self::Api { status, errors, .. } => format!("HTTP {status}: {}", ApiMessages(errors)),
            Self::Status { status, detail, .. } => {
                format!("HTTP {status}: {}", Printable(detail))
            }
            Self::Transport { detail, .. } => Printable(detail).to_string(),
            other => other.to_string(),
        }
    }
}

/// `3 accounts`, `1 api key`.
struct Count<'a>(usize, &'a str);

impl fmt::Display for Count<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let Self(count, noun) = self;
        let plural = if *count == 1 { "" } else { "s" };
        write!(f, "{count} {noun}{plural}")
    }
}

struct ApiMessages<'a>(&'a [ApiMessage]);

impl fmt::Display for ApiMessages<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("the response carried no error details");
        }
        for (index, message) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{message}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_an_api_echoes_are_blanked_out() {
        let echoed = ProviderError::Api {
            resource: ResourceLabel("r".to_owned()),
            operation: "GET /x".to_owned(),
            status: 403,
            errors: vec![ApiMessage {
                code: 10000,
                message: "bad token auth=Bearer TOPSECRETTOKEN123".to_owned(),
            }],
        };
        let shown = echoed.redacted(&["TOPSECRETTOKEN123"]).to_string();
        assert!(!shown.contains("TOPSECRETTOKEN123"), "{shown}");
        assert!(shown.contains("auth=Bearer [credential]"), "{shown}");
    }

    #[test]
    fn control_characters_from_an_api_are_escaped() {
        let forged = ApiMessage {
            code: 10000,
            message: "denied\u{1b}[2J\nall keys rotated OK\u{202e}".to_owned(),
        };
        assert_eq!(
            forged.to_string(),
            "10000 denied\\u{1b}[2J\\u{a}all keys rotated OK\\u{202e}"
        );
    }
}
