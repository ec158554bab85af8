//! The seam between the planner and the vendors: read the live state, execute an action.

use std::future::Future;

use jiff::Timestamp;

use super::ProviderError;
use super::cloudflare::{AccountRef, CloudflareClient};
use crate::config::DesiredState;
use crate::plan::{Action, CloudflareLive, LiveState, ResourcePlan, Target};

/// Reads the live state of every resource in a desired state.
pub trait LiveReader {
    /// Every resource's live state, or every read that failed.
    fn read_live(
        &self,
        desired: &DesiredState,
    ) -> impl Future<Output = Result<LiveState, Vec<ProviderError>>>;
}

/// What a completed action changed, as the API reported it afterwards.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionEffect {
    /// The resource's last rotation after the action.
    pub last_rotation_at: Option<Timestamp>,
}

/// Executes planned actions against the APIs.
pub trait ActionWriter {
    /// Performs one action of `resource`'s plan.
    fn execute(
        &self,
        resource: &ResourcePlan,
        action: &Action,
    ) -> impl Future<Output = Result<ActionEffect, ProviderError>>;
}

/// The configured API clients of one run; a provider the desired state does not use needs no
/// credentials.
pub struct Providers {
    cloudflare: Option<CloudflareClient>,
}

impl Providers {
    /// Clients for the providers `desired` uses, configured through `var` (the environment).
    pub fn from_env(
        desired: &DesiredState,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ProviderError> {
        let cloudflare = if desired.cloudflare_accounts.is_empty() {
            None
        } else {
            Some(CloudflareClient::from_env(&var)?)
        };
        Ok(Self { cloudflare })
    }

    /// Providers with the given Cloudflare client.
    pub fn with_cloudflare(client: CloudflareClient) -> Self {
        Self {
            cloudflare: Some(client),
        }
    }

    fn cloudflare(&self) -> Result<&CloudflareClient, ProviderError> {
        self.cloudflare.as_ref().ok_or_else(|| {
            ProviderError::Setup("no Cloudflare client was configured for this run".to_owned())
        })
    }
}

impl LiveReader for Providers {
    async fn read_live(&self, desired: &DesiredState) -> Result<LiveState, Vec<ProviderError>> {
        let mut live = LiveState::default();
        let mut errors = Vec::new();
        for account in &desired.cloudflare_accounts {
            let reference = AccountRef {
                name: &account.name,
                account_id: &account.account_id,
            };
            let read = match self.cloudflare() {
                Ok(client) => client.read(reference).await,
                Err(error) => Err(error),
            };
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
    ) -> Result<ActionEffect, ProviderError> {
        let Target::CloudflareAccount { account_id } = &resource.target;
        let reference = AccountRef {
            name: &resource.name,
            account_id,
        };
        let client = self.cloudflare()?;
        let after: CloudflareLive = match action {
            Action::UpdateInterval { to, .. } => client.update_interval(reference, *to).await?,
            Action::Rotate { .. } => client.rotate(reference).await?,
        };
        Ok(ActionEffect {
            last_rotation_at: after.last_key_rotation_at,
        })
    }
}
