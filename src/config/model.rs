//! The validated desired state: what every other module reads. Defaults are already merged.

use std::fmt;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};

use super::rate_limit::RateLimit;
use crate::text::Printable;
use crate::vendor::Vendor;

/// What a resource name looks like: a lowercase letter or digit, then those, `_` and `-`.
pub const RESOURCE_NAME_PATTERN: &str = "^[a-z0-9][a-z0-9_-]*$";

/// Rotations `apply` performs at most unless told otherwise.
pub const DEFAULT_MAX_ROTATIONS_PER_APPLY: u32 = 25;
/// How long before a `rotate_by` deadline its window opens, unless set.
pub const DEFAULT_ROTATION_WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24);
/// The shortest time between two rotations of one resource, unless set: Cloudflare keeps the
/// previous key valid for 7 days, so a second rotation inside them drops a key still in use.
pub const DEFAULT_MIN_ROTATION_GAP: SignedDuration = SignedDuration::from_hours(7 * 24);

/// The whole desired-state file after validation.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredState {
    /// The file's name as the user gave it, for messages.
    pub source: String,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub digest: String,
    /// Run-wide guardrails.
    pub settings: Settings,
    /// Every resource of every vendor, in file order.
    pub resources: Vec<Resource>,
    /// How to reach each vendor the file has a section for, in the vendor list's order.
    pub connections: Vec<Connection>,
    /// How many of the file's resources `--target` left out (0 for the whole file).
    pub targeted_out: usize,
}

/// One resource of the file: a key of some vendor, the rules for rotating it, and where a new
/// secret goes. Vendor-neutral: the vendor is data.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    /// The resource name: unique in the file.
    pub name: String,
    /// Whose API it lives in.
    pub vendor: &'static Vendor,
    /// The identifier the API addresses it by (an account ID, a key ID).
    pub id: String,
    /// When its key must be rotated.
    pub rotation: RotationPolicy,
    /// Where a new secret is delivered, for vendors whose rotation issues one (boxed: most
    /// resources of a large file have none).
    pub sink: Option<Box<SecretSink>>,
    /// The interval in days the vendor must rotate the key by itself on, for vendors that do
    /// (see [`Vendor::interval_attribute`]); `None` leaves it unmanaged.
    pub interval_days: Option<u16>,
}

impl DesiredState {
    /// A desired state with no resources and every setting at its default, for building one in
    /// code; `source` names it in messages.
    pub fn empty(source: &str) -> Self {
        Self {
            source: source.to_owned(),
            digest: String::new(),
            settings: Settings {
                max_rotations_per_apply: DEFAULT_MAX_ROTATIONS_PER_APPLY,
                backend: Backend::Local,
                max_clock_skew: DEFAULT_MAX_CLOCK_SKEW,
                alert_webhook_env: None,
            },
            resources: Vec::new(),
            connections: Vec::new(),
            targeted_out: 0,
        }
    }

    /// How many resources the file manages.
    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    /// The resources of `vendor`, in file order.
    pub fn resources_of(&self, vendor: &Vendor) -> impl Iterator<Item = &Resource> {
        self.resources
            .iter()
            .filter(move |resource| resource.vendor == vendor)
    }

    /// How to reach `vendor`, when the file has its section.
    pub fn connection(&self, vendor: &Vendor) -> Option<&Connection> {
        self.connections
            .iter()
            .find(|connection| connection.vendor == vendor)
    }

    /// The request budget `vendor`'s client keeps: its section's `rate_limit` (`default` when
    /// the file has no section for it), or for a budget it shares with other sections
    /// ([`Vendor::shared_budget`]), the one with the lowest average rate (N / DURATION) among
    /// those sections that name resources.
    pub fn rate_limit_of(&self, vendor: &Vendor, default: RateLimit) -> RateLimit {
        let own = |vendor: &Vendor| self.connection(vendor).map_or(default, |c| c.rate_limit);
        let Some(budget) = vendor.shared_budget else {
            return own(vendor);
        };
        let per_second = |rate: &RateLimit| f64::from(rate.requests) / rate.per.as_secs_f64();
        crate::vendor::VENDORS
            .iter()
            .filter(|other| other.shared_budget == Some(budget))
            .filter(|other| self.resources_of(other).next().is_some())
            .map(|other| own(other))
            .min_by(|a, b| per_second(a).total_cmp(&per_second(b)))
            .unwrap_or_else(|| own(vendor))
    }

    /// The resource named `name`.
    pub fn resource(&self, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|resource| resource.name == name)
    }

    /// Every resource name, in file order.
    pub fn resource_names(&self) -> Vec<&str> {
        self.resources
            .iter()
            .map(|resource| resource.name.as_str())
            .collect()
    }

    /// Only the resources named in `targets` (`--target`), by name or by the address plans
    /// print (`cloudflare.accounts.production`); every unknown one is an error that lists the
    /// known names. No targets means every resource.
    pub fn only(mut self, targets: &[String]) -> Result<Self, UnknownResources> {
        if targets.is_empty() {
            return Ok(self);
        }
        let targets = self.resource_names_of(targets, "--target")?;
        let before = self.resource_count();
        self.resources
            .retain(|resource| targets.contains(&resource.name));
        self.targeted_out += before - self.resource_count();
        Ok(self)
    }
}

impl DesiredState {
    /// The resource names `given` to `flag`, each a name or an address; every unknown one is
    /// an error that lists the known names.
    pub fn resource_names_of(
        &self,
        given: &[String],
        flag: &str,
    ) -> Result<Vec<String>, UnknownResources> {
        let names: Vec<String> = given
            .iter()
            .map(|target| resource_name(target, &self.resources))
            .collect();
        let known = self.resource_names();
        let unknown: Vec<String> = names
            .iter()
            .filter(|name| !known.contains(&name.as_str()))
            .cloned()
            .collect();
        if unknown.is_empty() {
            return Ok(names);
        }
        let nearest = match unknown.as_slice() {
            [one] => super::suggest::nearest(one, &known).map(str::to_owned),
            _ => None,
        };
        Err(UnknownResources {
            flag: flag.to_owned(),
            unknown,
            nearest,
            file: self.source.clone(),
            known: known.into_iter().map(str::to_owned).collect(),
        })
    }
}

/// Names given to a flag (`--target`) that no resource of the file has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownResources {
    /// The flag: `--target`.
    pub flag: String,
    /// The names no resource has.
    pub unknown: Vec<String>,
    /// The known name nearest the one unknown name, if one is near.
    pub nearest: Option<String>,
    /// The desired-state file.
    pub file: String,
    /// Every resource name it has.
    pub known: Vec<String>,
}

impl fmt::Display for UnknownResources {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let flag = &self.flag;
        write!(f, "unknown {flag} {}", self.unknown.join(", "))?;
        match &self.nearest {
            Some(near) => write!(f, "; did you mean {flag} {near}?")?,
            None => f.write_str(".")?,
        }
        write!(
            f,
            " The resources of {} are: {}",
            self.file,
            self.known.join(", ")
        )
    }
}

impl std::error::Error for UnknownResources {}

/// The resource name in a `--target`: the name itself, or the last part of an address.
fn resource_name(target: &str, resources: &[Resource]) -> String {
    resources
        .iter()
        .find_map(|resource| target.strip_prefix(&resource.vendor.address_prefix()))
        .unwrap_or(target)
        .to_owned()
}

/// How to reach one vendor's API, from its section of the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    /// Whose API.
    pub vendor: &'static Vendor,
    /// keyrot's own request budget towards it.
    pub rate_limit: RateLimit,
    /// The owner the vendor's routes are scoped to, for vendors whose routes name one (RIXL's
    /// `org_id` with `api: v1`); `None` for the vendor's default routes.
    pub scope: Option<String>,
}

/// Where a new secret goes. Holds no secret itself.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SecretSink {
    /// A file holding the secret alone followed by a newline, mode 0600.
    File {
        /// The path as written in the desired-state file, for messages.
        shown: String,
        /// The path resolved against the desired-state file's directory; not saved in a plan,
        /// which may be applied from another working copy.
        #[serde(skip)]
        path: PathBuf,
    },
    /// A command that reads the secret on its stdin, in its own process group, killed (and the
    /// secret saved to a recovery file) if it runs longer than `timeout`.
    Command {
        /// Program and arguments; the secret is never among them.
        argv: Vec<String>,
        /// How long it may run (`secret.timeout`, default 60s).
        #[serde(default = "default_sink_timeout")]
        timeout: SignedDuration,
        /// The variables of keyrot's environment it may see beyond the allowlist
        /// (`secret.env`).
        #[serde(default)]
        env: Vec<String>,
    },
}

impl fmt::Display for SecretSink {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::File { shown, .. } => write!(f, "file {}", Printable(shown)),
            // Quoted as a shell would need it, so that the words read as they were given.
            Self::Command { argv, env, .. } if env.is_empty() => {
                write!(f, "command {}", Printable(&shell_words::join(argv)))
            }
            Self::Command { argv, env, .. } => write!(
                f,
                "command {} (seeing {})",
                Printable(&shell_words::join(argv)),
                Printable(&env.join(", "))
            ),
        }
    }
}

/// How long a sink command may run unless `secret.timeout` says otherwise.
pub const DEFAULT_SINK_TIMEOUT: SignedDuration = SignedDuration::from_secs(60);

fn default_sink_timeout() -> SignedDuration {
    DEFAULT_SINK_TIMEOUT
}

/// `settings:` with defaults applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Apply refuses a plan with more rotations than this (enforced by the deadlines work).
    pub max_rotations_per_apply: u32,
    /// Where the lock and the journal live.
    pub backend: Backend,
    /// How far the API's clock may be from this machine's before keyrot refuses every
    /// rotation that depends on the time.
    pub max_clock_skew: SignedDuration,
    /// The environment variable holding the URL `keyrot serve` posts its alerts to.
    pub alert_webhook_env: Option<String>,
}

/// `settings.max_clock_skew` unless set: NTP keeps real clocks well within it.
pub const DEFAULT_MAX_CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(5);

/// `settings.backend`: where keyrot keeps its lock and journal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    /// `.keyrot/` beside the desired-state file: for one machine.
    #[default]
    Local,
    /// The PostgreSQL database `KEYROT_DATABASE_URL` names: for CI runners, CronJobs and
    /// people applying from several places.
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Self::Local => "local",
            Self::Postgres => "postgres",
        })
    }
}

/// When a resource's key must be rotated, shared by every provider.
#[derive(Clone, Debug, PartialEq)]
pub struct RotationPolicy {
    /// Rotate once the key is at least this old (or its age is unknown).
    pub max_key_age: Option<SignedDuration>,
    /// The key must have been rotated by this instant.
    pub rotate_by: Option<Timestamp>,
    /// How long before `rotate_by` a rotation counts towards it.
    pub rotation_window: SignedDuration,
    /// The shortest time allowed between two rotations.
    pub min_rotation_gap: SignedDuration,
}

impl Default for RotationPolicy {
    fn default() -> Self {
        Self {
            max_key_age: None,
            rotate_by: None,
            rotation_window: DEFAULT_ROTATION_WINDOW,
            min_rotation_gap: DEFAULT_MIN_ROTATION_GAP,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_sink_shows_its_words_as_a_shell_would_read_them() {
        let sink = SecretSink::Command {
            argv: ["gh", "secret", "set", "A B", "it's"]
                .map(str::to_owned)
                .to_vec(),
            timeout: DEFAULT_SINK_TIMEOUT,
            env: Vec::new(),
        };
        assert_eq!(sink.to_string(), r#"command gh secret set 'A B' 'it'\''s'"#);
    }

    #[test]
    fn sections_sharing_a_budget_keep_the_lowest_average_rate_of_those_in_use() {
        use crate::vendor::{cloudflare, cloudflare_tokens, rixl};
        let load = |text: &str| {
            super::super::load_bytes("k.yaml", text.as_bytes(), std::path::Path::new("/tmp"))
                .unwrap()
        };
        let account = "  accounts:\n    a:\n      account_id: 023e105f4ecef8ad9ca31a8372d0c353\n";
        let token = "  tokens:\n    t:\n      token_id: ed17574386854bf78a67040be0a770b0\n      \
                     secret: {file: t.token}\n";
        let both = load(&format!(
            "version: 1\ncloudflare:\n  rate_limit: 100/1m\n{account}cloudflare_tokens:\n  \
             rate_limit: 1200/5m\n{token}"
        ));
        let default = cloudflare::facts::RATE_LIMIT;
        let lower = crate::config::parse_rate_limit("100/1m").unwrap();
        assert_eq!(
            both.rate_limit_of(&cloudflare_tokens::VENDOR, default),
            lower
        );
        assert_eq!(both.rate_limit_of(&cloudflare::VENDOR, default), lower);
        // A section without resources spends nothing, so its limit does not count.
        let tokens_only = load(&format!(
            "version: 1\ncloudflare:\n  rate_limit: 100/1m\n  accounts: {{}}\ncloudflare_tokens:\n{token}"
        ));
        assert_eq!(
            tokens_only.rate_limit_of(&cloudflare_tokens::VENDOR, default),
            default
        );
        assert_eq!(
            both.rate_limit_of(&rixl::VENDOR, rixl::RATE_LIMIT),
            rixl::RATE_LIMIT
        );
    }
}
