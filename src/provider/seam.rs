//! The seam every vendor's API sits behind: read the live state of the resources a desired state
//! names, read one resource's last rotation (what settling an unknown rotate needs), and write
//! one planned action. A vendor implements [`Provider`] in its own folder.

use super::ProviderError;
use super::execute::{CurrentState, Executed, LiveRead};
use crate::config::DesiredState;
use crate::http::HttpSettings;
use crate::plan::{Action, ResourcePlan, Target};
use crate::vendor::Vendor;
use futures_util::future::BoxFuture;

/// How a vendor configures its API client for a run: none when `desired` names none of its
/// resources (so it needs no credentials), else a client configured through the environment
/// variables `var` reads and sending with `settings` (its rate limit taken from `desired`).
pub type ConfigureProvider = fn(
    desired: &DesiredState,
    var: &dyn Fn(&str) -> Option<String>,
    settings: &HttpSettings,
) -> Result<Option<Box<dyn Provider>>, ProviderError>;

/// One vendor's API, configured for one run.
pub trait Provider: Send + Sync {
    /// Which vendor this is; resource plans whose target names it are sent here.
    fn vendor(&self) -> &'static Vendor;

    /// The run's credential values, blanked out of every error this vendor's API sends back.
    fn credential_values(&self) -> Vec<&str>;

    /// Reads every resource of this vendor that `desired` names, at most `parallelism` at
    /// once, calling `on_read` as each one settles.
    fn read_live<'a>(
        &'a self,
        desired: &'a DesiredState,
        parallelism: usize,
        on_read: &'a (dyn Fn() + Sync),
    ) -> BoxFuture<'a, LiveRead>;

    /// The resource as the API reports it now: what apply compares before each write, and
    /// what settles a rotate whose answer was lost.
    fn read_current<'a>(
        &'a self,
        name: &'a str,
        target: &'a Target,
    ) -> BoxFuture<'a, Result<CurrentState, ProviderError>>;

    /// Performs one planned action. A rotate is sent once: an error whose
    /// [`ProviderError::outcome_unknown`] is true leaves it open whether it happened.
    fn write<'a>(
        &'a self,
        resource: &'a ResourcePlan,
        action: &'a Action,
    ) -> BoxFuture<'a, Result<Executed, ProviderError>>;
}
