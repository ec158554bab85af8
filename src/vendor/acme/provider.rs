//! Acme behind the provider seam. Its API is a map in memory, seeded from `ACME_KEYS`
//! (`ID=ISSUED_AT,...`); a rotation issues a new secret and renews the key's `issued_at`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use jiff::Timestamp;
use secrecy::SecretString;

use super::VENDOR;
use crate::config::DesiredState;
use crate::http::HttpSettings;
use crate::plan::{Action, Observation, ResourcePlan, Target};
use crate::provider::{
    ActionEffect, CurrentState, Executed, LiveRead, Provider, ProviderError, ResourceLabel,
};
use crate::vendor::Vendor;

/// The keys and when each was issued, as Acme's API holds them.
struct AcmeApi {
    token: String,
    keys: Mutex<BTreeMap<String, Timestamp>>,
}

/// A client for the keys of `desired`; none when it names none.
pub fn configured(
    desired: &DesiredState,
    var: &dyn Fn(&str) -> Option<String>,
    _settings: &HttpSettings,
) -> Result<Option<Box<dyn Provider>>, ProviderError> {
    if desired.resources_of(&VENDOR).next().is_none() {
        return Ok(None);
    }
    let token =
        var("ACME_TOKEN").ok_or_else(|| ProviderError::Setup("Acme: set ACME_TOKEN".to_owned()))?;
    let keys = var("ACME_KEYS")
        .unwrap_or_default()
        .split(',')
        .filter_map(|entry| {
            let (id, issued) = entry.split_once('=')?;
            Some((id.to_owned(), issued.parse().ok()?))
        })
        .collect();
    Ok(Some(Box::new(AcmeApi {
        token,
        keys: Mutex::new(keys),
    })))
}

impl AcmeApi {
    fn read(&self, name: &str, id: &str) -> Result<Observation, ProviderError> {
        let keys = self
            .keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let issued = keys.get(id).ok_or_else(|| ProviderError::KeyNotFound {
            resource: ResourceLabel(format!("acme key \"{name}\" ({id})")),
            listed: keys.len(),
            listed_as: "key",
            vendor: VENDOR.title,
            id_field: "key_id",
        })?;
        Ok(Observation {
            last_rotation: Some(*issued),
            expires_at: None,
            schedule: None,
            ..Observation::default()
        })
    }
}

impl Provider for AcmeApi {
    fn vendor(&self) -> &'static Vendor {
        &VENDOR
    }

    fn credential_values(&self) -> Vec<&str> {
        vec![self.token.as_str()]
    }

    fn read_live<'a>(
        &'a self,
        desired: &'a DesiredState,
        _parallelism: usize,
        on_read: &'a (dyn Fn() + Sync),
    ) -> BoxFuture<'a, LiveRead> {
        async move {
            let mut read = LiveRead::default();
            for key in desired.resources_of(&VENDOR) {
                on_read();
                match self.read(&key.name, &key.id) {
                    Ok(observation) => {
                        read.live.resources.insert(key.name.clone(), observation);
                    }
                    Err(error) => read.errors.push(error),
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
            let observation = self.read(name, &target.id)?;
            Ok(CurrentState {
                last_rotation: observation.last_rotation,
                interval_days: None,
                changed_at: None,
            })
        }
        .boxed()
    }

    fn write<'a>(
        &'a self,
        resource: &'a ResourcePlan,
        _action: &'a Action,
    ) -> BoxFuture<'a, Result<Executed, ProviderError>> {
        async move {
            let now = Timestamp::now();
            let mut keys = self
                .keys
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            keys.insert(resource.target.id.clone(), now);
            Ok(Executed {
                effect: ActionEffect::confirmed(Some(now)),
                secret: Some(SecretString::from(format!("acme_{}", now.as_second()))),
            })
        }
        .boxed()
    }
}
