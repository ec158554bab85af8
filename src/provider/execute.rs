//! The write side of the seam: one planned action against its API, with rotates whose answer
//! was lost settled by reading again, never by sending again.

use std::future::Future;

use jiff::Timestamp;
use secrecy::SecretString;

use super::ProviderError;
use super::cloudflare::AccountRef;
use super::providers::Providers;
use super::rixl::KeyRef;
use crate::plan::{Action, ResourcePlan, Target};

/// What a completed action changed, as the API reported it afterwards. Holds no secret.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionEffect {
    /// The resource's last rotation after the action.
    pub last_rotation_at: Option<Timestamp>,
    /// Set when the answer was lost and re-reading the resource showed the action happened:
    /// what went wrong with the answer.
    pub confirmed_after: Option<String>,
    /// Where the rotation's new secret was delivered, as the plan shows the sink.
    pub secret_delivered_to: Option<String>,
}

/// A completed action: its effect, and the new secret a rotation issued, if any.
pub struct Executed {
    /// What changed.
    pub effect: ActionEffect,
    /// A new secret that exists nowhere else: it must reach its sink before anything else.
    pub secret: Option<SecretString>,
}

/// Executes planned actions against the APIs.
pub trait ActionWriter {
    /// Performs one action of `resource`'s plan. `last_rotation` is the latest rotation this run
    /// knows of, against which a rotate whose answer was lost is settled.
    fn execute(
        &self,
        resource: &ResourcePlan,
        action: &Action,
        last_rotation: Option<Timestamp>,
    ) -> impl Future<Output = Result<Executed, ProviderError>>;
}

impl ActionWriter for Providers {
    async fn execute(
        &self,
        resource: &ResourcePlan,
        action: &Action,
        last_rotation: Option<Timestamp>,
    ) -> Result<Executed, ProviderError> {
        match &resource.target {
            Target::CloudflareAccount { account_id } => {
                let reference = AccountRef {
                    name: &resource.name,
                    account_id,
                };
                self.execute_cloudflare(reference, action, last_rotation)
                    .await
            }
            Target::RixlKey { key_id, .. } => {
                let reference = KeyRef {
                    name: &resource.name,
                    key_id,
                };
                self.rotate_rixl(reference, last_rotation).await
            }
        }
    }
}

impl Providers {
    async fn execute_cloudflare(
        &self,
        reference: AccountRef<'_>,
        action: &Action,
        last_rotation: Option<Timestamp>,
    ) -> Result<Executed, ProviderError> {
        let client = self.cloudflare()?;
        let after = match action {
            Action::UpdateInterval { to, .. } => client.update_interval(reference, *to).await,
            Action::Rotate { .. } => match client.rotate(reference).await {
                Err(failure) if failure.outcome_unknown() => {
                    return self
                        .settle_cloudflare_rotation(reference, last_rotation, failure)
                        .await;
                }
                other => other,
            },
        }?;
        Ok(done(after.last_key_rotation_at, None))
    }

    /// A Cloudflare rotate whose answer was lost: a rotation newer than `last_rotation` on a
    /// fresh read means it happened.
    async fn settle_cloudflare_rotation(
        &self,
        reference: AccountRef<'_>,
        last_rotation: Option<Timestamp>,
        failure: ProviderError,
    ) -> Result<Executed, ProviderError> {
        let read = self.cloudflare()?.read(reference).await;
        let after = read
            .map(|live| live.last_key_rotation_at)
            .map_err(|error| error.to_string());
        match settle(last_rotation, after) {
            Settled::Rotated(at) => Ok(done(Some(at), Some(failure.to_string()))),
            Settled::NotRotated => Err(ProviderError::RotationNotConfirmed {
                failure: Box::new(failure),
            }),
            Settled::Unknown(read_error) => Err(ProviderError::RotationOutcomeUnknown {
                failure: Box::new(failure),
                read_error,
            }),
        }
    }

    async fn rotate_rixl(
        &self,
        reference: KeyRef<'_>,
        last_rotation: Option<Timestamp>,
    ) -> Result<Executed, ProviderError> {
        let client = self.rixl()?;
        match client.rotate(reference).await {
            Ok(rotated) => Ok(Executed {
                effect: ActionEffect {
                    last_rotation_at: rotated.live.created_at,
                    confirmed_after: None,
                    secret_delivered_to: None,
                },
                secret: Some(rotated.secret),
            }),
            Err(failure) if failure.outcome_unknown() => Err(self
                .settle_rixl_rotation(reference, last_rotation, failure)
                .await),
            Err(failure) => Err(failure),
        }
    }

    /// A RIXL rotate whose answer was lost: if the key's `created_at` advanced, a new secret
    /// was issued and never received, and the user must be told plainly.
    async fn settle_rixl_rotation(
        &self,
        reference: KeyRef<'_>,
        last_rotation: Option<Timestamp>,
        failure: ProviderError,
    ) -> ProviderError {
        let listed = match self.rixl() {
            Ok(client) => client.list().await.map_err(|error| error.to_string()),
            Err(error) => Err(error.to_string()),
        };
        let after = listed.and_then(|keys| {
            keys.get(reference.key_id)
                .map(|key| key.created_at)
                .ok_or_else(|| "the key is missing from RIXL's list".to_owned())
        });
        match settle(last_rotation, after) {
            Settled::Rotated(at) => ProviderError::SecretLost {
                failure: Box::new(failure),
                created_at: at.to_string(),
            },
            Settled::NotRotated => ProviderError::RotationNotConfirmed {
                failure: Box::new(failure),
            },
            Settled::Unknown(read_error) => ProviderError::RotationOutcomeUnknown {
                failure: Box::new(failure),
                read_error,
            },
        }
    }
}

/// What a fresh read says about a rotate whose answer was lost.
enum Settled {
    /// The last rotation advanced to this instant: the rotate happened.
    Rotated(Timestamp),
    /// The last rotation is still the one seen before: it did not.
    NotRotated,
    /// The read failed, or does not say when the key was last rotated.
    Unknown(String),
}

fn settle(before: Option<Timestamp>, after: Result<Option<Timestamp>, String>) -> Settled {
    match after {
        Err(reason) => Settled::Unknown(reason),
        Ok(None) => Settled::Unknown("the API does not report the key's last rotation".to_owned()),
        Ok(Some(at)) if before.is_none_or(|before| at > before) => Settled::Rotated(at),
        Ok(Some(_)) => Settled::NotRotated,
    }
}

fn done(last_rotation_at: Option<Timestamp>, confirmed_after: Option<String>) -> Executed {
    Executed {
        effect: ActionEffect {
            last_rotation_at,
            confirmed_after,
            secret_delivered_to: None,
        },
        secret: None,
    }
}
