//! RIXL behind the provider seam: the keys listed once and picked by ID, rotates that return a
//! new secret exactly once.

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::RixlApi;
use super::client::{KeyRef, RixlClient};
use crate::config::DesiredState;
use crate::http::HttpSettings;
use crate::plan::{Action, ResourcePlan, Target};
use crate::provider::{
    ActionEffect, CurrentState, Executed, LiveRead, Provider, ProviderError, StopRules,
};
use crate::vendor::Vendor;
use crate::vendor::rixl::VENDOR;

/// A client for the keys of `desired`, configured through `var`; none when it names no key.
pub fn configured(
    desired: &DesiredState,
    var: &dyn Fn(&str) -> Option<String>,
    settings: &HttpSettings,
) -> Result<Option<Box<dyn Provider>>, ProviderError> {
    if desired.resources_of(&VENDOR).next().is_none() {
        return Ok(None);
    }
    let connection = desired.connection(&VENDOR);
    let settings = HttpSettings {
        rate_limit: connection.map_or(super::RATE_LIMIT, |connection| connection.rate_limit),
        ..settings.clone()
    };
    let client = RixlClient::from_env(var, RixlApi::of(connection), settings)?;
    Ok(Some(Box::new(client)))
}

/// What a failed list of RIXL's keys should make the operator check.
fn stop_rules(client: &RixlClient) -> StopRules {
    StopRules {
        vendor: &VENDOR,
        base_url_variable: "RIXL_BASE_URL",
        credential_variables: client.credential_variable(),
        refuses_credentials: |error| matches!(error.status(), Some(401 | 403)),
        not_found: |error| error.status() == Some(404),
        address_check: "RIXL_BASE_URL (and org_id with api: v1)",
        hint: |_| None,
    }
}

fn key_ref(resource: &ResourcePlan) -> KeyRef<'_> {
    KeyRef {
        name: &resource.name,
        key_id: &resource.target.id,
    }
}

impl Provider for RixlClient {
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
            let listed = match self.list_and_remember().await {
                Ok(listed) => listed,
                Err(error) => {
                    let count = desired.resources_of(&VENDOR).count();
                    read.errors
                        .push(stop_rules(self).whole_read_failed(error, count));
                    return read;
                }
            };
            for key in desired.resources_of(&VENDOR) {
                on_read();
                match listed.get(&key.id) {
                    Some(state) => {
                        read.live.resources.insert(key.name.clone(), state.clone());
                    }
                    None => read.errors.push(ProviderError::KeyNotFound {
                        resource: KeyRef {
                            name: &key.name,
                            key_id: &key.id,
                        }
                        .label(),
                        listed: listed.len(),
                        listed_as: "key",
                        vendor: VENDOR.title,
                        id_field: "key_id",
                    }),
                }
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
            match self.listed_key(&target.id).await? {
                (Some(key), _) => Ok(CurrentState {
                    last_rotation: key.last_rotation,
                    interval_days: None,
                    changed_at: None,
                }),
                (None, listed) => Err(ProviderError::KeyNotFound {
                    resource: KeyRef {
                        name,
                        key_id: &target.id,
                    }
                    .label(),
                    listed,
                    listed_as: "key",
                    vendor: VENDOR.title,
                    id_field: "key_id",
                }),
            }
        }
        .boxed()
    }

    fn write<'a>(
        &'a self,
        resource: &'a ResourcePlan,
        action: &'a Action,
    ) -> BoxFuture<'a, Result<Executed, ProviderError>> {
        async move {
            let Action::Rotate { .. } = action else {
                return Err(ProviderError::Setup(format!(
                    "{}: RIXL keys have no rotation interval to update",
                    key_ref(resource).label()
                )));
            };
            let rotated = self.rotate(key_ref(resource)).await;
            let after = rotated.as_ref().ok().map(|rotated| rotated.live.clone());
            self.note_rotation(&resource.target.id, after).await;
            let rotated = rotated?;
            Ok(Executed {
                effect: ActionEffect::confirmed(rotated.live.last_rotation),
                secret: Some(rotated.secret),
            })
        }
        .boxed()
    }
}
