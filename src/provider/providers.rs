//! The configured API clients of a run, and the read side of the seam: the live state.

use std::future::Future;

use futures_util::{StreamExt, stream};

use super::ProviderError;
use super::cloudflare::{AccountRef, CloudflareClient};
use super::rixl::{KeyRef, RixlClient};
use crate::config::{CloudflareAccount, DesiredState};
use crate::http::HttpSettings;
use crate::plan::{CloudflareLive, LiveState};

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

/// The configured API clients of one run; a provider the desired state does not use needs no
/// credentials.
pub struct Providers {
    pub(super) cloudflare: Option<CloudflareClient>,
    pub(super) rixl: Option<RixlClient>,
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
        let rixl = if desired.rixl.keys.is_empty() {
            None
        } else {
            let settings = HttpSettings {
                rate_limit: desired.rixl.rate_limit,
                ..settings.clone()
            };
            Some(RixlClient::from_env(
                &var,
                desired.rixl.api.clone(),
                settings,
            )?)
        };
        Ok(Self::new(cloudflare, rixl, parallelism))
    }

    /// Providers with the given clients.
    pub fn new(
        cloudflare: Option<CloudflareClient>,
        rixl: Option<RixlClient>,
        parallelism: usize,
    ) -> Self {
        Self {
            cloudflare,
            rixl,
            parallelism: parallelism.max(1),
        }
    }

    pub(super) fn cloudflare(&self) -> Result<&CloudflareClient, ProviderError> {
        self.cloudflare.as_ref().ok_or_else(|| {
            ProviderError::Setup("no Cloudflare client was configured for this run".to_owned())
        })
    }

    pub(super) fn rixl(&self) -> Result<&RixlClient, ProviderError> {
        self.rixl.as_ref().ok_or_else(|| {
            ProviderError::Setup("no RIXL client was configured for this run".to_owned())
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

    async fn read_cloudflare(
        &self,
        desired: &DesiredState,
        on_read: &dyn Fn(),
        live: &mut LiveState,
        errors: &mut Vec<ProviderError>,
    ) {
        let reads = stream::iter(&desired.cloudflare_accounts)
            .map(|account| async move {
                let read = self.read_account(account).await;
                on_read();
                (account, read)
            })
            .buffered(self.parallelism);
        let results: Vec<_> = reads.collect().await;
        for (account, read) in results {
            match read {
                Ok(state) => {
                    live.cloudflare.insert(account.name.clone(), state);
                }
                Err(error) => errors.push(error),
            }
        }
    }

    /// Lists RIXL's keys once and picks the file's keys from the list by ID.
    async fn read_rixl(
        &self,
        desired: &DesiredState,
        on_read: &dyn Fn(),
        live: &mut LiveState,
        errors: &mut Vec<ProviderError>,
    ) {
        let listed = match self.rixl() {
            Ok(client) => client.list().await,
            Err(error) => Err(error),
        };
        let listed = match listed {
            Ok(listed) => listed,
            Err(error) => return errors.push(error),
        };
        for key in &desired.rixl.keys {
            on_read();
            match listed.get(&key.key_id) {
                Some(state) => {
                    live.rixl.insert(key.name.clone(), state.clone());
                }
                None => errors.push(ProviderError::KeyNotFound {
                    resource: KeyRef {
                        name: &key.name,
                        key_id: &key.key_id,
                    }
                    .label(),
                    listed: listed.len(),
                }),
            }
        }
    }
}

impl LiveReader for Providers {
    async fn read_live(
        &self,
        desired: &DesiredState,
        on_read: &dyn Fn(),
    ) -> Result<LiveState, Vec<ProviderError>> {
        let mut live = LiveState::default();
        let mut errors = Vec::new();
        if !desired.cloudflare_accounts.is_empty() {
            self.read_cloudflare(desired, on_read, &mut live, &mut errors)
                .await;
        }
        if !desired.rixl.keys.is_empty() {
            self.read_rixl(desired, on_read, &mut live, &mut errors)
                .await;
        }
        if errors.is_empty() {
            Ok(live)
        } else {
            Err(errors)
        }
    }
}
