//! Cloudflare API tokens behind the provider seam: each owner's tokens listed once and picked by
//! ID, the managing token found out, and rolls that return a new value exactly once.

use std::collections::BTreeMap;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::VENDOR;
use super::client::{ListedToken, TokensClient};
use super::token_ref::{Owner, TokenRef};
use crate::config::{DesiredState, Resource};
use crate::http::HttpSettings;
use crate::plan::{Action, ResourcePlan, Target};
use crate::provider::{
    ActionEffect, CurrentState, Executed, LiveRead, Provider, ProviderError, StopRules,
};
use crate::vendor::Vendor;
use crate::vendor::cloudflare::facts;

/// A client for the tokens of `desired`, configured through `var`; none when it names no
/// token. It spends the Cloudflare budget with the `cloudflare` section's client.
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
    let client = TokensClient::from_env(var, settings)?;
    Ok(Some(Box::new(client)))
}

/// What a failed list of tokens should make the operator check.
fn stop_rules() -> StopRules {
    StopRules {
        vendor: &VENDOR,
        base_url_variable: "CLOUDFLARE_BASE_URL",
        credential_variables: "CLOUDFLARE_API_TOKEN",
        refuses_credentials: |error| match error {
            ProviderError::Api { status, errors, .. } => {
                *status == 401
                    || errors
                        .iter()
                        .any(|item| facts::CODES_CREDENTIALS_REFUSED.contains(&item.code))
            }
            other => other.status() == Some(401),
        },
        not_found: |error| error.status() == Some(404),
        address_check: "CLOUDFLARE_BASE_URL (Cloudflare's ends in /client/v4) and the account_ids",
        hint: |error| match error.status() {
            Some(403) => Some(
                "the managing token needs \"API Tokens Read\" or \"Write\" (\"Account API \
                 Tokens\" for an account's tokens)",
            ),
            _ => None,
        },
    }
}

/// The file's tokens, by owner.
fn by_owner(desired: &DesiredState) -> BTreeMap<Owner, Vec<(&Resource, TokenRef<'_>)>> {
    let mut owners: BTreeMap<Owner, Vec<(&Resource, TokenRef<'_>)>> = BTreeMap::new();
    for resource in desired.resources_of(&VENDOR) {
        if let Ok(token) = TokenRef::parse(&resource.name, &resource.id) {
            owners
                .entry(token.owner.clone())
                .or_default()
                .push((resource, token));
        }
    }
    owners
}

/// Reads the tokens of one owner from its list; `own_id` is the managing token's.
fn read_owner(
    tokens: &[(&Resource, TokenRef<'_>)],
    listed: &[ListedToken],
    own_id: &str,
    read: &mut LiveRead,
) {
    for (resource, token) in tokens {
        match listed.iter().find(|listed| listed.id == token.token_id) {
            Some(found) => {
                let mut live = found.live.clone();
                if let Some(key) = live.key.as_mut() {
                    key.authenticates_keyrot = found.id == own_id;
                }
                read.live.resources.insert(resource.name.clone(), live);
            }
            None => read.errors.push(ProviderError::KeyNotFound {
                resource: token.label(),
                listed: listed.len(),
                listed_as: "token",
                vendor: "Cloudflare",
                id_field: "token_id (and account_id)",
            }),
        }
    }
}

impl Provider for TokensClient {
    fn vendor(&self) -> &'static Vendor {
        &VENDOR
    }

    fn credential_values(&self) -> Vec<&str> {
        Self::credential_values(self)
    }

    fn read_live<'a>(
        &'a self,
        desired: &'a DesiredState,
        _parallelism: usize,
        on_read: &'a (dyn Fn() + Sync),
    ) -> BoxFuture<'a, LiveRead> {
        async move {
            let mut read = LiveRead::default();
            let owners = by_owner(desired);
            let own_id = match self.own_id().await {
                Ok(id) => id.to_owned(),
                Err(error) => {
                    let count = desired.resources_of(&VENDOR).count();
                    read.errors
                        .push(stop_rules().whole_read_failed(error, count));
                    return read;
                }
            };
            for (owner, tokens) in &owners {
                match self.list(owner).await {
                    Ok(listed) => read_owner(tokens, &listed, &own_id, &mut read),
                    Err(error) => read
                        .errors
                        .push(stop_rules().whole_read_failed(error, tokens.len())),
                }
                tokens.iter().for_each(|_| on_read());
            }
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
            let token = TokenRef::parse(name, &target.id)?;
            let live = self.read(&token).await?.live;
            Ok(CurrentState {
                last_rotation: live.last_rotation,
                interval_days: None,
                changed_at: live.changed_at(),
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
            let token = TokenRef::parse(&resource.name, &resource.target.id)?;
            let Action::Rotate { .. } = action else {
                return Err(ProviderError::Setup(format!(
                    "{}: API tokens have no rotation interval to update",
                    token.label()
                )));
            };
            // The plan refuses to roll the managing token; this holds if the file changed the
            // token's ID since. Asking which token that is sends nothing that rolls: a failure
            // here is a plain one, never a roll of unknown outcome.
            let own_id = self.own_id().await.map_err(|error| {
                ProviderError::Setup(format!(
                    "{}: not rolled, since keyrot could not tell which token it holds: {error}",
                    token.label()
                ))
            })?;
            if own_id == token.token_id {
                return Err(ProviderError::Setup(format!(
                    "{}: keyrot authenticates with this token (CLOUDFLARE_API_TOKEN); rolling it \
                     would cut keyrot off mid-run",
                    token.label()
                )));
            }
            let value = self.roll(&token).await?;
            Ok(Executed {
                effect: ActionEffect::confirmed(None),
                secret: Some(value),
            })
        }
        .boxed()
    }
}
