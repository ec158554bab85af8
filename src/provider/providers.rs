//! The seam between the planner and the vendors: read the live state, execute an action.

use std::future::Future;

use futures_util::{StreamExt, stream};
use jiff::Timestamp;

use super::ProviderError;
use super::cloudflare::{AccountRef, CloudflareClient};
use crate::config::{CloudflareAccount, DesiredState};
use crate::http::HttpSettings;
use crate::plan::{Action, CloudflareLive, LiveState, ResourcePlan, Target};

/// Reads the live state of every resource in a desired state.
pub trait LiveReader {
    /// Every resource's live state, or every read that failed. `on_read` is called as each
    /// resource's read settles.
    fn read_live(
        &self,
        desired: &DesiredState,
        on_read: &dyn Fn(),
    ) -> impl Future<Output = Result<LiveState, Vec<ProviderError>>>;
}

/// What a completed action changed, as the API reported it afterwards.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionEffect {
    /// The resource's last rotation after the action.
    pub last_rotation_at: Option<Timestamp>,
    /// Set when the answer was lost and re-reading the resource showed the action happened:
    /// what went wrong with the answer.
    pub confirmed_after: Option<String>,
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
    ) -> impl Future<Output = Result<ActionEffect, ProviderError>>;
}

/// The configured API clients of one run; a provider the desired state does not use needs no
/// credentials.
pub struct Providers {
    cloudflare: Option<CloudflareClient>,
    parallelism: usize,
}

impl Providers {
    /// Clients for the providers `desired` uses, configured through `var` (the environment),
    /// sending with `settings` (each provider's rate limit comes from `desired`) and making at
    /// most `parallelism` requests at once.
    pub fn from_env(
        desired: &DesiredState,
        var: impl Fn(&str) -> Option<String>,
        settings: &HttpSettings,
        parallelism: usize,
    ) -> Result<Self, ProviderError> {
        let cloudflare = if desired.cloudflare_accounts.is_empty() {
            None
        } else {
            let settings = HttpSettings {
                rate_limit: desired.cloudflare_rate_limit,
                ..settings.clone()
            };
            Some(CloudflareClient::from_env(&var, settings)?)
        };
        Ok(Self {
            cloudflare,
            parallelism: parallelism.max(1),
        })
    }

    /// Providers with the given Cloudflare client.
    pub fn with_cloudflare(client: CloudflareClient, parallelism: usize) -> Self {
        Self {
            cloudflare: Some(client),
            parallelism: parallelism.max(1),
        }
    }

    fn cloudflare(&self) -> Result<&CloudflareClient, ProviderError> {
        self.cloudflare.as_ref().ok_or_else(|| {
            ProviderError::Setup("no Cloudflare client was configured for this run".to_owned())
        })
    }

    async fn read_account(
        &self,
        account: &CloudflareAccount,
    ) -> Result<CloudflareLive, ProviderError> {
        let reference = AccountRef {
            name: &account.name,
            account_id: &account.account_id,
        };
        self.cloudflare()?.read(reference).await
    }

    /// A rotate whose answer was lost is settled by reading the account again, never by
    /// sending it again: a rotation newer than `last_rotation` means it happened.
    async fn settle_rotation(
        &self,
        reference: AccountRef<'_>,
        last_rotation: Option<Timestamp>,
        failure: ProviderError,
    ) -> Result<ActionEffect, ProviderError> {
        let client = self.cloudflare()?;
        match client.read(reference).await {
            Ok(live) if advanced(last_rotation, live.last_key_rotation_at) => Ok(ActionEffect {
                last_rotation_at: live.last_key_rotation_at,
                confirmed_after: Some(failure.to_string()),
            }),
            Ok(_) => Err(ProviderError::RotationNotConfirmed {
                failure: Box::new(failure),
            }),
            Err(read_error) => Err(ProviderError::RotationOutcomeUnknown {
                failure: Box::new(failure),
                read_error: Box::new(read_error),
            }),
        }
    }
}

fn advanced(before: Option<Timestamp>, after: Option<Timestamp>) -> bool {
    match (before, after) {
        (Some(before), Some(after)) => after > before,
        (None, Some(_)) => true,
        (_, None) => false,
    }
}

impl LiveReader for Providers {
    async fn read_live(
        &self,
        desired: &DesiredState,
        on_read: &dyn Fn(),
    ) -> Result<LiveState, Vec<ProviderError>> {
        let reads = stream::iter(&desired.cloudflare_accounts)
            .map(|account| async move {
                let read = self.read_account(account).await;
                on_read();
                (account, read)
            })
            .buffered(self.parallelism);
        let results: Vec<_> = reads.collect().await;
        let mut live = LiveState::default();
        let mut errors = Vec::new();
        for (account, read) in results {
            match read {
                Ok(state) => {
                    live.cloudflare.insert(account.name.clone(), state);
                }
                Err(error) => errors.push(error),
            }
        }
        if errors.is_empty() {
            Ok(live)
        } else {
            Err(errors)
        }
    }
}

impl ActionWriter for Providers {
    async fn execute(
        &self,
        resource: &ResourcePlan,
        action: &Action,
        last_rotation: Option<Timestamp>,
    ) -> Result<ActionEffect, ProviderError> {
        let Target::CloudflareAccount { account_id } = &resource.target;
        let reference = AccountRef {
            name: &resource.name,
            account_id,
        };
        let client = self.cloudflare()?;
        let after = match action {
            Action::UpdateInterval { to, .. } => client.update_interval(reference, *to).await,
            Action::Rotate { .. } => match client.rotate(reference).await {
                Err(failure) if failure.outcome_unknown() => {
                    return self
                        .settle_rotation(reference, last_rotation, failure)
                        .await;
                }
                other => other,
            },
        }?;
        Ok(ActionEffect {
            last_rotation_at: after.last_key_rotation_at,
            confirmed_after: None,
        })
    }
}
