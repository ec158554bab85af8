//! RIXL behind the provider seam: the keys listed once and picked by ID, rotates that return a
//! new secret exactly once.

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::client::{KeyRef, RixlClient};
use crate::config::DesiredState;
use crate::http::HttpSettings;
use crate::plan::{Action, ResourcePlan, Target, Vendor, vendors};
use crate::provider::{
    ActionEffect, CurrentState, Executed, LiveRead, Provider, ProviderError, StopRules,
};

/// A client for the keys of `desired`, configured through `var`; none when it names no key.
pub fn configured(
    desired: &DesiredState,
    var: &dyn Fn(&str) -> Option<String>,
    settings: &HttpSettings,
) -> Result<Option<RixlClient>, ProviderError> {
    if desired.rixl.keys.is_empty() {
        return Ok(None);
    }
    let settings = HttpSettings {
        rate_limit: desired.rixl.rate_limit,
        ..settings.clone()
    };
    RixlClient::from_env(var, desired.rixl.api.clone(), settings).map(Some)
}

/// What a failed list of RIXL's keys should make the operator check.
fn stop_rules(client: &RixlClient) -> StopRules {
    StopRules {
        vendor: &vendors::RIXL,
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
        &vendors::RIXL
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
                    let count = desired.rixl.keys.len();
                    read.errors
                        .push(stop_rules(self).whole_read_failed(error, count));
                    return read;
                }
            };
            for key in &desired.rixl.keys {
                on_read();
                match listed.get(&key.key_id) {
                    Some(state) => {
                        read.live.rixl.insert(key.name.clone(), state.clone());
                    }
                    None => read.errors.push(ProviderError::KeyNotFound {
                        resource: KeyRef {
                            name: &key.name,
                            key_id: &key.key_id,
                        }
                        .label(),
                        listed: listed.len(),
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
                    last_rotation: key.created_at,
                    interval_days: None,
                }),
                (None, listed) => Err(ProviderError::KeyNotFound {
                    resource: KeyRef {
                        name,
                        key_id: &target.id,
                    }
                    .label(),
                    listed,
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
                effect: ActionEffect::confirmed(rotated.live.created_at),
                secret: Some(rotated.secret),
            })
        }
        .boxed()
    }
}
