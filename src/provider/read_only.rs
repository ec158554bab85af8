//! Read-only access to the APIs, for `keyrot drift`: a type that can read the live state and
//! has no way to write.

use super::execute::LiveReader;
use super::providers::Providers;
use super::seam::ConfigureProvider;
use super::{CurrentState, LiveRead, ProviderError};
use crate::config::DesiredState;
use crate::http::HttpSettings;
use crate::plan::Target;

/// The API clients of a run that only reads. It does not implement
/// [`ActionWriter`](super::ActionWriter), and the clients it holds cannot be reached from
/// outside, so code that has only this type cannot send a write:
///
/// ```compile_fail
/// fn write_with(_: &impl keyrot::provider::ActionWriter) {}
/// fn drift(providers: &keyrot::provider::ReadOnlyProviders) {
///     write_with(providers);
/// }
/// ```
pub struct ReadOnlyProviders(Providers);

impl ReadOnlyProviders {
    /// Read-only clients for the providers `desired` uses, each configured by its entry of
    /// `vendors` through `var`.
    pub fn from_env(
        vendors: &[ConfigureProvider],
        desired: &DesiredState,
        var: impl Fn(&str) -> Option<String>,
        settings: &HttpSettings,
        parallelism: usize,
    ) -> Result<Self, Vec<ProviderError>> {
        Providers::from_env(vendors, desired, var, settings, parallelism).map(Self)
    }
}

impl LiveReader for ReadOnlyProviders {
    async fn read_live(&self, desired: &DesiredState, on_read: &(dyn Fn() + Sync)) -> LiveRead {
        self.0.read_live(desired, on_read).await
    }

    async fn read_current(
        &self,
        name: &str,
        target: &Target,
    ) -> Result<CurrentState, ProviderError> {
        self.0.read_current(name, target).await
    }
}
