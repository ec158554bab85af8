//! A rotate whose answer was lost is settled by reading the resource again, never by sending it
//! again: a newer last rotation means it happened.

use jiff::Timestamp;

use crate::plan::ResourcePlan;
use crate::provider::{ActionEffect, ActionWriter, Executed, ProviderError};

/// What a fresh read says about a rotate whose answer was lost.
#[derive(Debug, PartialEq)]
enum Settled {
    /// The last rotation advanced to this instant: the rotate happened.
    Rotated(Timestamp),
    /// The last rotation is still the one seen before: it did not.
    NotRotated,
    /// The read failed, or does not say when the key was last rotated.
    Unknown(String),
}

/// Settles the rotate of `resource` that failed with `failure`, whose outcome is unknown, by
/// reading its last rotation again. A resource whose rotation issues a secret and did rotate
/// lost that secret: the answer that carried it never arrived.
pub(super) async fn settle_rotation(
    writer: &impl ActionWriter,
    resource: &ResourcePlan,
    last_rotation: Option<Timestamp>,
    failure: ProviderError,
) -> Result<Executed, ProviderError> {
    if let Some(attribute) = resource.target.vendor.changed_attribute {
        return Err(answer_lost(writer, resource, attribute, failure).await);
    }
    let after = writer
        .read_current(&resource.name, &resource.target)
        .await
        .map(|current| current.last_rotation)
        .map_err(|error| error.to_string());
    match settle(last_rotation, after) {
        Settled::Rotated(at) if resource.target.issues_secrets() => {
            Err(ProviderError::SecretLost {
                failure: Box::new(failure),
                created_at: at.to_string(),
            })
        }
        Settled::Rotated(at) => Ok(Executed {
            effect: ActionEffect {
                last_rotation_at: Some(at),
                confirmed_after: Some(failure.to_string()),
                secret_delivered_to: None,
            },
            secret: None,
        }),
        Settled::NotRotated => Err(ProviderError::RotationNotConfirmed {
            failure: Box::new(failure),
        }),
        Settled::Unknown(read_error) => Err(ProviderError::RotationOutcomeUnknown {
            failure: Box::new(failure),
            read_error,
        }),
    }
}

/// A rotate of `resource`, whose API does not show its rotations, that lost its answer: the
/// secret is lost whatever a read shows, for only the answer held it. A read says whether
/// `attribute` moved past the plan's (evidence that the rotate went through); Cloudflare does
/// not document that a roll moves it, so an unmoved one proves nothing.
async fn answer_lost(
    writer: &impl ActionWriter,
    resource: &ResourcePlan,
    attribute: &str,
    failure: ProviderError,
) -> ProviderError {
    let read = writer
        .read_current(&resource.name, &resource.target)
        .await
        .map(|current| current.changed_at);
    let planned = resource.changed_at.as_deref().copied();
    let evidence = match read {
        Ok(changed) => change_evidence(attribute, changed, planned),
        Err(error) => format!("reading it again failed: {error}"),
    };
    ProviderError::AnswerLost {
        failure: Box::new(failure),
        evidence,
    }
}

/// What `attribute` (`modified_on`), now `changed`, says of a rotate sent after `since`: it
/// went through when it moved past that; an unmoved one proves nothing, since the vendor does
/// not document that a rotation moves it.
pub(super) fn change_evidence(
    attribute: &str,
    changed: Option<Timestamp>,
    since: Option<Timestamp>,
) -> String {
    match changed {
        Some(now) if since.is_none_or(|since| now > since) => {
            format!("its {attribute} moved to {now}: the rotate went through")
        }
        _ => format!("its {attribute} did not move, which proves nothing"),
    }
}

fn settle(before: Option<Timestamp>, after: Result<Option<Timestamp>, String>) -> Settled {
    match after {
        Err(reason) => Settled::Unknown(reason),
        Ok(None) => Settled::Unknown("the API does not report the key's last rotation".to_owned()),
        Ok(Some(at)) if before.is_none_or(|before| at > before) => Settled::Rotated(at),
        Ok(Some(_)) => Settled::NotRotated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_newer_rotation_means_the_rotate_happened() {
        let before = Some(at("2026-10-01T00:00:00Z"));
        let later = at("2026-11-24T12:00:00Z");
        assert_eq!(settle(before, Ok(Some(later))), Settled::Rotated(later));
        assert_eq!(settle(None, Ok(Some(later))), Settled::Rotated(later));
    }

    #[test]
    fn the_same_or_an_older_rotation_means_it_did_not() {
        let before = at("2026-10-01T00:00:00Z");
        assert_eq!(settle(Some(before), Ok(Some(before))), Settled::NotRotated);
        let older = at("2026-09-01T00:00:00Z");
        assert_eq!(settle(Some(before), Ok(Some(older))), Settled::NotRotated);
    }

    #[test]
    fn a_failed_or_silent_read_settles_nothing() {
        assert!(matches!(
            settle(None, Err("down".to_owned())),
            Settled::Unknown(reason) if reason == "down"
        ));
        assert!(matches!(settle(None, Ok(None)), Settled::Unknown(_)));
    }
}
