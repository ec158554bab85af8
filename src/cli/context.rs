//! What every command that talks to the APIs shares: styles, the instant, HTTP settings,
//! parallelism, and the providers built from the environment.

use jiff::Timestamp;

use super::args::GlobalArgs;
use super::clock::ApiClock;
use super::exit::CliError;
use super::output::{Printer, env_var};
use super::progress::Progress;
use crate::config::{DesiredState, RateLimit};
use crate::http::{EventSink, HttpSettings, ServerClock};
use crate::provider::{Providers, ReadOnlyProviders};
use crate::render::Style;
use crate::vendor::registry;

/// Settings of one command run, from the global flags.
pub struct RunContext {
    /// Colors for stdout.
    pub style: Style,
    /// `--now`, when given: the instant the time rules are evaluated at (else the API's time).
    pub given_now: Option<Timestamp>,
    /// How requests are sent (the rate limit is each provider's own).
    pub http: HttpSettings,
    /// Resources worked on at once.
    pub parallelism: usize,
    /// Whether the output is for people (a progress bar may be shown).
    pub human: bool,
    /// Where everything printed goes.
    pub printer: Printer,
}

impl RunContext {
    /// The context the global flags describe, printing through `printer`; `human` is false
    /// for machine-readable output, which never comes with a progress bar.
    pub fn new(global: &GlobalArgs, printer: &Printer, human: bool) -> Self {
        let mut http = HttpSettings::new(RateLimit::UNDOCUMENTED);
        // The answers' Date is checked against the present: `--now` when the user names it.
        http.server_clock = ServerClock::against(global.now.unwrap_or_else(Timestamp::now));
        if let Some(timeout) = global.timeout {
            http.request_timeout = timeout;
        }
        if printer.verbose() {
            let events = printer.clone();
            http.events = EventSink::to(move |event| events.event(&format!("keyrot: {event}")));
        }
        Self {
            style: printer.style(),
            given_now: global.now,
            http,
            parallelism: usize::from(global.parallelism),
            human,
            printer: printer.clone(),
        }
    }

    /// The API clients `desired` needs, configured from the environment.
    pub fn providers(&self, desired: &DesiredState) -> Result<Providers, CliError> {
        Ok(Providers::from_env(
            &registry::configure_providers(),
            desired,
            env_var,
            &self.http,
            self.parallelism,
        )?)
    }

    /// Read-only API clients for `desired`, for drift.
    pub fn read_only_providers(
        &self,
        desired: &DesiredState,
    ) -> Result<ReadOnlyProviders, CliError> {
        Ok(ReadOnlyProviders::from_env(
            &registry::configure_providers(),
            desired,
            env_var,
            &self.http,
            self.parallelism,
        )?)
    }

    /// The API's clock, as the answers of this run's requests tell it, checked against this
    /// machine's (or `--now`) within `settings.max_clock_skew` of `desired`.
    pub fn api_clock(&self, desired: &DesiredState) -> ApiClock {
        ApiClock {
            server: self.http.server_clock.clone(),
            max_skew: desired.settings.max_clock_skew,
        }
    }

    /// A progress bar over `total` resources, if this run shows one.
    pub fn progress_bar(&self, total: usize, label: &'static str) -> Progress {
        let budget = self.http.budget.clone();
        Progress::start(&self.printer, self.human, total, label, budget)
    }
}
