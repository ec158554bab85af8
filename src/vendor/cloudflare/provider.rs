//! Cloudflare behind the provider seam: each account read on its own, updates and rotates sent
//! as planned.

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::client::{AccountRef, CloudflareClient};
use crate::config::{DesiredState, Resource};
use crate::http::HttpSettings;
use crate::plan::{Action, Observation, ResourcePlan, Target};
use crate::provider::{
    ActionEffect, CurrentState, Executed, LiveRead, Provider, ProviderError, StopRules, in_parallel,
};
use crate::vendor::Vendor;
use crate::vendor::cloudflare::{AccountId, VENDOR, facts};

/// A client for the accounts of `desired`, configured through `var`; none when it names no
/// account, so a file without Cloudflare needs no Cloudflare credentials.
pub fn configured(
    desired: &DesiredState,
    var: &dyn Fn(&str) -> Option<String>,
    settings: &HttpSettings,
) -> Result<Option<Box<dyn Provider>>, ProviderError> {
    if desired.resources_of(&VENDOR).next().is_none() {
        return Ok(None);
    }
    let settings = HttpSettings {
        rate_limit: desired.rate_limit_of(&VENDOR, facts::RATE_LIMIT),
        shared_budget: VENDOR.shared_budget,
        ..settings.clone()
    };
    let client = CloudflareClient::from_env(var, settings)?;
    Ok(Some(Box::new(client)))
}

/// The reads of `accounts`, each made only when asked for; named with its lifetime so that
/// the boxed future reading them all has a type the compiler can name.
fn account_reads<'a>(
    client: &'a CloudflareClient,
    accounts: Vec<&'a Resource>,
    on_read: &'a (dyn Fn() + Sync),
) -> impl ExactSizeIterator<Item = BoxFuture<'a, AccountRead<'a>>> + Send + 'a {
    accounts
        .into_iter()
        .map(move |account| read_account(client, account, on_read).boxed())
}

/// One account's name and what reading it gave.
type AccountRead<'a> = (&'a str, Result<Observation, ProviderError>);

/// Reads one account, then tells `on_read`.
async fn read_account<'a>(
    client: &CloudflareClient,
    account: &'a Resource,
    on_read: &(dyn Fn() + Sync),
) -> AccountRead<'a> {
    let read = match AccountId::parse(&account.id) {
        Ok(account_id) => {
            let reference = AccountRef {
                name: &account.name,
                account_id: &account_id,
            };
            client.read(reference).await
        }
        Err(error) => Err(ProviderError::Setup(error.to_string())),
    };
    on_read();
    (&account.name, read)
}

/// When Cloudflare's reads stop early, and what a failed read should make the operator check.
fn stop_rules(client: &CloudflareClient) -> StopRules {
    StopRules {
        vendor: &VENDOR,
        base_url_variable: "CLOUDFLARE_BASE_URL",
        credential_variables: client.credential_variables(),
        refuses_credentials,
        not_found: |error| error.status() == Some(404),
        address_check: "CLOUDFLARE_BASE_URL (Cloudflare's ends in /client/v4) and the account_ids",
        hint: |error| match error.status() {
            Some(404) => Some("check account_id"),
            _ if refuses_credentials(error) => {
                Some("check that the credentials may access this account")
            }
            _ => None,
        },
    }
}

/// HTTP 401, or an answer carrying one of Cloudflare's codes for refused credentials.
fn refuses_credentials(error: &ProviderError) -> bool {
    match error {
        ProviderError::Api { status, errors, .. } => {
            *status == 401
                || errors
                    .iter()
                    .any(|item| facts::CODES_CREDENTIALS_REFUSED.contains(&item.code))
        }
        other => other.status() == Some(401),
    }
}

fn account_id(target: &Target) -> Result<AccountId, ProviderError> {
    AccountId::parse(&target.id).map_err(|error| ProviderError::Setup(error.to_string()))
}

impl Provider for CloudflareClient {
    fn vendor(&self) -> &'static Vendor {
        &VENDOR
    }

    fn credential_values(&self) -> Vec<&str> {
        Self::credential_values(self)
    }

    fn read_live<'a>(
        &'a self,
        desired: &'a DesiredState,
        parallelism: usize,
        on_read: &'a (dyn Fn() + Sync),
    ) -> BoxFuture<'a, LiveRead> {
        async move {
            // Each read is made when the stream reaches it: at most `parallelism` exist.
            let accounts = desired.resources_of(&VENDOR).collect();
            let reads = account_reads(self, accounts, on_read);
            let reads = stop_rules(self)
                .read_each(in_parallel(reads, parallelism))
                .await;
            let mut read = LiveRead::default();
            for (name, state) in reads.values {
                read.live.resources.insert(name.to_owned(), state);
            }
            read.errors = reads.errors;
            read
        }
        .boxed()
    }

    fn read_current<'a>(
        &'a self,
        name: &'a str,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<CurrentState, ProviderError>> {
        async move {
            let account_id = account_id(target)?;
            let reference = AccountRef {
                name,
                account_id: &account_id,
            };
            let live = self.read(reference).await?;
            Ok(CurrentState {
                last_rotation: live.last_rotation,
                interval_days: live.interval_days(),
                changed_at: None,
            })
        }
        .boxed()
    }

    fn write<'a>(
        &'a self,
        resource: &'a ResourcePlan,
        action: &'a Action,
    ) -> BoxFuture<'a, Result<Executed, ProviderError>> {
        async move {
            let account_id = account_id(&resource.target)?;
            let reference = AccountRef {
                name: &resource.name,
                account_id: &account_id,
            };
            let after = match action {
                Action::UpdateInterval { to, .. } => self.update_interval(reference, *to).await,
                Action::Rotate { .. } => self.rotate(reference).await,
            }?;
            Ok(Executed {
                effect: ActionEffect::confirmed(after.last_rotation),
                secret: None,
            })
        }
        .boxed()
    }
}
