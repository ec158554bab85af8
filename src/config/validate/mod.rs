//! Checks the file as written and turns it into the desired state, merging defaults under each
//! resource. Every problem is collected with its location; nothing is dropped silently.

mod rotation;
mod sink;

use std::collections::HashMap;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};

use super::duration::parse_duration;
use super::error::{ConfigError, Diagnostic};
use super::instant::parse_instant;
/// The longest `max_clock_skew` keyrot accepts.
const MAX_CLOCK_SKEW_CAP: SignedDuration = SignedDuration::from_hours(1);

use super::model::{
    Backend, Connection, DEFAULT_MAX_CLOCK_SKEW, DEFAULT_MAX_ROTATIONS_PER_APPLY, DesiredState,
    Resource, Settings,
};
use super::number::Number;
use super::rate_limit::{RateLimit, parse_rate_limit};
use super::raw::{Located, RawSettings};
use super::unknown_fields::Misspelt;

pub(crate) use rotation::RotationFields;

/// Validates a parsed file: its `settings`, then its vendors' sections as `sections` does with
/// the same checker. `file` names it in diagnostics.
pub(crate) fn validate(
    file: &str,
    settings: Option<RawSettings>,
    misspelt: Vec<Misspelt>,
    sections: impl FnOnce(&mut Checker) -> (Vec<Resource>, Vec<Connection>),
) -> Result<DesiredState, ConfigError> {
    let mut checker = Checker {
        misspelt,
        ..Checker::default()
    };
    let settings = checker.settings(settings);
    let (resources, connections) = sections(&mut checker);
    if checker.diagnostics.is_empty() {
        return Ok(DesiredState {
            source: file.to_owned(),
            digest: String::new(),
            settings,
            resources,
            connections,
            targeted_out: 0,
        });
    }
    let mut diagnostics = checker.diagnostics;
    diagnostics.sort_by_key(|diagnostic| (diagnostic.line, diagnostic.column));
    Err(ConfigError::Invalid {
        file: file.to_owned(),
        diagnostics,
    })
}

/// Whether `name` can name an environment variable: letters, digits and `_`, not starting
/// with a digit.
fn is_env_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Collects diagnostics while parsing values; remembers every resource name seen. Every
/// vendor's section validates with it, so that names are unique across the file.
#[derive(Default)]
pub(crate) struct Checker {
    diagnostics: Vec<Diagnostic>,
    /// Resource names seen so far, with the section that holds each.
    names: HashMap<String, &'static str>,
    /// Secret sink files seen so far, with the resource that writes each and what it is.
    sink_files: HashMap<PathBuf, (String, String)>,
    /// Fields resources lack because an unknown field of theirs most likely misspells them.
    misspelt: Vec<Misspelt>,
}

impl Checker {
    /// Records a problem at `located`'s place in the file.
    pub(crate) fn report<T>(&mut self, located: &Located<T>, message: String) {
        self.diagnostics.push(Diagnostic {
            line: located.referenced.line(),
            column: located.referenced.column(),
            message,
        });
    }

    fn settings(&mut self, raw: Option<RawSettings>) -> Settings {
        let (max, backend, skew, webhook) = raw.map_or((None, None, None, None), |settings| {
            (
                settings.max_rotations_per_apply,
                settings.backend,
                settings.max_clock_skew,
                settings.alert_webhook_env,
            )
        });
        let alert_webhook_env = webhook.and_then(|name| self.env_name(&name, "alert_webhook_env"));
        let max_clock_skew = skew
            .and_then(|text| self.clock_skew(&text))
            .unwrap_or(DEFAULT_MAX_CLOCK_SKEW);
        let backend = backend.map_or(Backend::Local, |name| self.backend(&name));
        let max_rotations_per_apply = max
            .and_then(|value| {
                self.whole_number(&value, "max_rotations_per_apply", 1, u64::from(u32::MAX))
            })
            .map_or(DEFAULT_MAX_ROTATIONS_PER_APPLY, |value| value as u32);
        Settings {
            max_rotations_per_apply,
            backend,
            max_clock_skew,
            alert_webhook_env,
        }
    }

    /// `field`: the name of an environment variable.
    fn env_name(&mut self, name: &Located<String>, field: &str) -> Option<String> {
        if is_env_name(&name.value) {
            return Some(name.value.clone());
        }
        let message = format!(
            "`{field}` names an environment variable (letters, digits and `_`), found {:?}",
            name.value
        );
        self.report(name, message);
        None
    }

    /// `max_clock_skew`: longer than zero and at most an hour; a longer one would switch the
    /// clock check off, and NTP keeps real clocks within seconds.
    fn clock_skew(&mut self, text: &Located<String>) -> Option<SignedDuration> {
        let skew = self.positive_duration(text, "max_clock_skew")?;
        if skew > MAX_CLOCK_SKEW_CAP {
            let message = "`max_clock_skew` must be at most 1h: a longer one would let a clock \
                           that lies by days decide rotations (fix the clock instead)"
                .to_owned();
            self.report(text, message);
            return None;
        }
        Some(skew)
    }

    fn backend(&mut self, name: &Located<String>) -> Backend {
        match name.value.as_str() {
            "local" => Backend::Local,
            "postgres" => Backend::Postgres,
            other => {
                let message = format!(
                    "unknown backend `{other}`; expected `local` (.keyrot/ beside this file) or \
                     `postgres` (the database KEYROT_DATABASE_URL names)"
                );
                self.report(name, message);
                Backend::Local
            }
        }
    }

    /// Reports that the resource `name` lacks its `field`, in `message`, unless one of its
    /// unknown fields most likely misspells it: that field's "did you mean" says it already.
    pub(crate) fn missing_field(
        &mut self,
        name: &Located<String>,
        field: &'static str,
        message: String,
    ) {
        let at = (name.referenced.line(), name.referenced.column());
        let misspelt = self
            .misspelt
            .iter()
            .any(|misspelt| (misspelt.line, misspelt.column) == at && misspelt.field == field);
        if !misspelt {
            self.report(name, message);
        }
    }

    /// A well-formed resource name that no other resource of the file already has.
    pub(crate) fn resource_name(&mut self, name: &Located<String>, section: &'static str) -> bool {
        let text = &name.value;
        let mut chars = text.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok =
            chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !(first_ok && rest_ok) {
            self.report(
                name,
                format!(
                    "resource name `{text}` must start with a lowercase letter or digit and \
                     contain only lowercase letters, digits, `_` and `-`"
                ),
            );
            return false;
        }
        if let Some(first) = self.names.get(text) {
            let message = format!(
                "resource name `{text}` is already used in `{first}`; names are unique across \
                 the whole file"
            );
            self.report(name, message);
            return false;
        }
        self.names.insert(text.clone(), section);
        true
    }

    /// A whole number from `min` to `max`, given to `field`.
    pub(crate) fn whole_number(
        &mut self,
        value: &Located<Number>,
        field: &str,
        min: u64,
        max: u64,
    ) -> Option<u64> {
        let whole = value.value.whole_in(min, max);
        if whole.is_none() {
            let range = if max == u64::from(u32::MAX) {
                format!("a whole number of at least {min}")
            } else {
                format!("a whole number from {min} to {max}")
            };
            self.report(
                value,
                format!("`{field}` must be {range}, found {}", value.value),
            );
        }
        whole
    }

    fn duration(&mut self, text: &Located<String>) -> Option<SignedDuration> {
        parse_duration(&text.value)
            .map_err(|error| self.report(text, error.to_string()))
            .ok()
    }

    fn positive_duration(&mut self, text: &Located<String>, field: &str) -> Option<SignedDuration> {
        let duration = self.duration(text)?;
        if duration.is_zero() {
            self.report(text, format!("`{field}` must be longer than zero"));
            return None;
        }
        Some(duration)
    }

    fn instant(&mut self, text: &Located<String>) -> Option<Timestamp> {
        parse_instant(&text.value)
            .map_err(|error| self.report(text, error.to_string()))
            .ok()
    }

    /// A section's `rate_limit`, or `default` when unset.
    pub(crate) fn rate_limit(
        &mut self,
        text: Option<&Located<String>>,
        default: RateLimit,
    ) -> RateLimit {
        let Some(text) = text else { return default };
        parse_rate_limit(&text.value)
            .map_err(|error| self.report(text, error.to_string()))
            .unwrap_or(default)
    }
}
