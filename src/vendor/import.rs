//! `keyrot import`'s seam: a vendor that writes its section of a desired-state file from what
//! exists live, so that a team's first plan shows no changes.

use futures_util::future::LocalBoxFuture;
use jiff::Timestamp;

use crate::apply::Ticker;
use crate::http::HttpSettings;
use crate::plan::instant_in_words;
use crate::provider::ProviderError;

/// What an import may use.
pub struct ImportContext<'a> {
    /// How requests are sent; the vendor sets its own rate limit.
    pub http: &'a HttpSettings,
    /// How many resources to read at once.
    pub parallelism: usize,
    /// The environment's variables, for the credentials.
    pub var: &'a (dyn Fn(&str) -> Option<String> + Sync),
    /// A progress indicator over `total` reads, labelled.
    pub progress: &'a (dyn Fn(usize, &'static str) -> Box<dyn Ticker + 'a> + Sync),
}

/// A vendor's section as imported.
pub struct Imported {
    /// The whole file: `version: 1` and the section, with comments on what to add next.
    pub text: String,
    /// One line on what was imported, for stderr.
    pub summary: String,
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The vendor's API refused or failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The arguments do not go together.
    #[error("{0}")]
    Usage(String),
}

/// A vendor's `keyrot import` subcommand.
pub struct Importer {
    /// The subcommand, named as the vendor, with its arguments and help.
    pub command: fn() -> clap::Command,
    /// Reads what exists, as the subcommand's arguments ask, and writes the section.
    pub run: for<'a> fn(
        &'a clap::ArgMatches,
        ImportContext<'a>,
    ) -> LocalBoxFuture<'a, Result<Imported, ImportError>>,
}

/// The arguments of a vendor's subcommand, read back from what clap matched.
pub fn arguments<T: clap::FromArgMatches>(matches: &clap::ArgMatches) -> Result<T, ImportError> {
    T::from_arg_matches(matches).map_err(|error| ImportError::Usage(error.to_string()))
}

/// The comment every imported file starts with: which vendor, how, and when.
pub fn header(vendor: &str, command: &str, at: Timestamp) -> String {
    format!(
        "# keyrot desired state, imported from {vendor} by `{command}` at {}.\n\
         # For editor completion and checks, see `keyrot schema` in the README.\n",
        instant_in_words(at)
    )
}
