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
        match self.cloudflare()?.read(reference).await {
            Ok(live) if advanced(last_rotation, live.last_key_rotation_at) => {
                Ok(done(live.last_key_rotation_at, Some(failure.to_string())))
            }
            Ok(_) => Err(ProviderError::RotationNotConfirmed {
                failure: Box::new(failure),
            }),
            Err(read_error) => Err(ProviderError::RotationOutcomeUnknown {
                failure: Box::new(failure),
                read_error: Box::new(read_error),
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
            Ok(client) => client.list().await,
            Err(error) => Err(error),
        };
        match listed.map(|keys| keys.get(reference.key_id).and_then(|key| key.created_at)) {
            Ok(created_at) if advanced(last_rotation, created_at) => ProviderError::SecretLost {
                failure: Box::new(failure),
                created_at: created_at.map_or_else(String::new, |at| at.to_string()),
            },
            Ok(_) => ProviderError::RotationNotConfirmed {
                failure: Box::new(failure),
            },
            Err(read_error) => ProviderError::RotationOutcomeUnknown {
                failure: Box::new(failure),
                read_error: Box::new(read_error),
            },
        }
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

fn advanced(before: Option<Timestamp>, after: Option<Timestamp>) -> bool {
    match (before, after) {
        (Some(before), Some(after)) => after > before,
        (None, Some(_)) => true,
        (_, None) => false,
    }
}
