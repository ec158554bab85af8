//! The configured vendors of one run: the live state of a desired state read from each, and
//! writes sent to the vendor whose resource they touch.

use super::ProviderError;
use super::execute::LiveRead;
use super::execute::{ActionWriter, CurrentState, Executed, LiveReader};
use super::seam::ConfigureProvider;
use super::seam::Provider;
use crate::config::DesiredState;
use crate::http::HttpSettings;
use crate::plan::{Action, ResourcePlan, Target};

/// The configured vendors of one run; a vendor the desired state does not use is not
/// configured, so it needs no credentials.
pub struct Providers {
    vendors: Vec<Box<dyn Provider>>,
    parallelism: usize,
}

impl Providers {
    /// The vendors `desired` uses, each configured by its entry of `vendors` through `var`
    /// (the environment), sending with `settings` (each vendor's rate limit comes from
    /// `desired`) and working on at most `parallelism` resources at once. Every vendor that
    /// cannot be configured is named.
    pub fn from_env(
        vendors: &[ConfigureProvider],
        desired: &DesiredState,
        var: impl Fn(&str) -> Option<String>,
        settings: &HttpSettings,
        parallelism: usize,
    ) -> Result<Self, Vec<ProviderError>> {
        let mut configured = Vec::new();
        let mut errors = Vec::new();
        for configure in vendors {
            match configure(desired, &var, settings) {
                Ok(Some(provider)) => configured.push(provider),
                Ok(None) => {}
                Err(error) => errors.push(error),
            }
        }
        match errors.is_empty() {
            true => Ok(Self::new(configured, parallelism)),
            false => Err(errors),
        }
    }

    /// Providers made of the given vendors.
    pub fn new(vendors: Vec<Box<dyn Provider>>, parallelism: usize) -> Self {
        Self {
            vendors,
            parallelism: parallelism.max(1),
        }
    }

    /// The configured vendor of `target`.
    fn vendor_of(&self, target: &Target) -> Result<&dyn Provider, ProviderError> {
        let vendor = target.vendor;
        self.vendors
            .iter()
            .map(AsRef::as_ref)
            .find(|provider| provider.vendor() == vendor)
            .ok_or_else(|| {
                ProviderError::Setup(format!(
                    "no {} client was configured for this run",
                    vendor.title
                ))
            })
    }
}

impl LiveReader for Providers {
    async fn read_live(&self, desired: &DesiredState, on_read: &(dyn Fn() + Sync)) -> LiveRead {
        let mut all = LiveRead::default();
        for provider in &self.vendors {
            let read = provider.read_live(desired, self.parallelism, on_read).await;
            all.live.merge(read.live);
            let secrets = provider.credential_values();
            all.errors.extend(
                read.errors
                    .into_iter()
                    .map(|error| error.redacted(&secrets)),
            );
        }
        all
    }

    async fn read_current(
        &self,
        name: &str,
        target: &Target,
    ) -> Result<CurrentState, ProviderError> {
        let provider = self.vendor_of(target)?;
        let read = provider.read_current(name, target).await;
        read.map_err(|error| error.redacted(&provider.credential_values()))
    }
}

impl ActionWriter for Providers {
    async fn write(
        &self,
        resource: &ResourcePlan,
        action: &Action,
    ) -> Result<Executed, ProviderError> {
        let provider = self.vendor_of(&resource.target)?;
        let written = provider.write(resource, action).await;
        written.map_err(|error| error.redacted(&provider.credential_values()))
    }
}
