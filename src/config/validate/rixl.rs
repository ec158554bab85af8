//! `rixl:`: the route family, the rate limit, defaults, and the API keys with their sinks.

use std::collections::HashMap;
use std::path::Path;

use super::Checker;
use super::rotation::RotationFields;
use jiff::SignedDuration;

use crate::config::location::sink_location;
use crate::config::model::{DEFAULT_SINK_TIMEOUT, Resource, RixlApi, RixlSettings, SecretSink};
use crate::config::names::SINK_PLACEHOLDER;
use crate::config::rate_limit::RateLimit;
use crate::config::raw::{Located, RawRixl, RawRixlKey, RawSink};
use crate::vendor::rixl::VENDOR;

impl Checker {
    pub(super) fn rixl(
        &mut self,
        raw: Option<RawRixl>,
        base_dir: &Path,
    ) -> (Vec<Resource>, RixlSettings) {
        let Some(raw) = raw else {
            return (Vec::new(), RixlSettings::default());
        };
        let api = self.rixl_api(raw.api.as_ref(), raw.org_id.as_ref());
        let rate_limit = self.rate_limit(raw.rate_limit.as_ref(), RateLimit::RIXL_DEFAULT);
        let defaults = match raw.defaults {
            Some(defaults) => self.key_defaults(defaults),
            None => RotationFields::default(),
        };
        let mut seen_ids = HashMap::new();
        let entries = raw.api_keys.map(|keys| keys.0).unwrap_or_default();
        // A new vector, not `collect`, which would keep the larger entries' allocation.
        let mut keys: Vec<Resource> = Vec::with_capacity(entries.len());
        keys.extend(
            entries
                .into_iter()
                .filter_map(|(name, key)| self.key(name, key, &defaults, base_dir, &mut seen_ids)),
        );
        (keys, RixlSettings { api, rate_limit })
    }

    /// Two keys writing one file would leave only the second secret there: refused.
    fn unshared_sink_file(&mut self, file: &Located<String>, path: &Path, key: &str) -> bool {
        if file.value.contains('\0') {
            self.report(
                file,
                "the path contains a NUL byte, which no file name can".to_owned(),
            );
            return false;
        }
        if file.value.trim().ends_with('/') {
            let message = "the path ends with `/`, so it names a directory, not a file".to_owned();
            self.report(file, message);
            return false;
        }
        let normal = sink_location(path);
        if let Some(first) = self.sink_files.get(&normal) {
            let message = format!(
                "API keys `{first}` and `{key}` both write their secret to `{}`; the second \
                 rotation would overwrite the first key's secret",
                file.value.trim()
            );
            self.report(file, message);
            return false;
        }
        self.sink_files.insert(normal, key.to_owned());
        true
    }

    fn rixl_api(
        &mut self,
        api: Option<&Located<String>>,
        org_id: Option<&Located<String>>,
    ) -> RixlApi {
        let family = api.map_or("platform", |api| api.value.as_str());
        match (family, org_id) {
            ("platform", None) => RixlApi::Platform,
            ("platform", Some(org_id)) => {
                let message = "`org_id` is used only with `api: v1`; the platform routes take \
                               the organization from the token"
                    .to_owned();
                self.report(org_id, message);
                RixlApi::Platform
            }
            ("v1", Some(org_id)) if is_identifier(org_id.value.trim()) => RixlApi::V1 {
                org_id: org_id.value.trim().to_owned(),
            },
            ("v1", Some(org_id)) => {
                let message = format!(
                    "org_id `{}` is not a RIXL organization ID: expected letters and digits only",
                    org_id.value
                );
                self.report(org_id, message);
                RixlApi::Platform
            }
            ("v1", _) => {
                if let Some(api) = api {
                    self.report(api, "`api: v1` needs `rixl.org_id`".to_owned());
                }
                RixlApi::Platform
            }
            (other, _) => {
                if let Some(api) = api {
                    let message =
                        format!("unknown RIXL api `{other}`; expected `platform` or `v1`");
                    self.report(api, message);
                }
                RixlApi::Platform
            }
        }
    }

    fn key_defaults(&mut self, defaults: Located<RawRixlKey>) -> RotationFields {
        let (key_id, secret, rotation) = defaults.value.split();
        if let Some(key_id) = &key_id {
            let message = "`key_id` cannot be a default: each key names its own".to_owned();
            self.report(key_id, message);
        }
        if let Some(secret) = &secret {
            let message = "`secret` cannot be a default: each key has its own sink".to_owned();
            self.report(secret, message);
        }
        self.rotation_fields(rotation)
    }

    fn key(
        &mut self,
        name: Located<String>,
        raw: Located<RawRixlKey>,
        defaults: &RotationFields,
        base_dir: &Path,
        seen_ids: &mut HashMap<String, String>,
    ) -> Option<Resource> {
        let name_ok = self.resource_name(&name, "rixl.api_keys");
        let (key_id, secret, rotation) = raw.value.split();
        let key_id = match &key_id {
            Some(id) => self.key_id(id, &name.value, seen_ids),
            None => {
                self.report(&name, format!("API key `{}` has no `key_id`", name.value));
                None
            }
        };
        let sink = match secret {
            Some(secret) => self.sink(secret, base_dir, &name.value),
            None => {
                let message = format!(
                    "API key `{}` has no `secret` sink; a rotation's new secret must go \
                     somewhere (`secret: {{file: PATH}}` or `secret: {{command: [...]}}`)",
                    name.value
                );
                self.report(&name, message);
                None
            }
        };
        let rotation = self.rotation_fields(rotation).merged_over(defaults);
        Some(Resource {
            name: name_ok.then_some(name.value)?,
            vendor: &VENDOR,
            id: key_id?,
            rotation,
            sink: Some(sink?),
            interval_days: None,
        })
    }

    fn key_id(
        &mut self,
        id: &Located<String>,
        name: &str,
        seen_ids: &mut HashMap<String, String>,
    ) -> Option<String> {
        let text = id.value.trim();
        if !is_identifier(text) {
            let message =
                format!("key_id `{text}` is not a RIXL key ID: expected letters and digits only");
            self.report(id, message);
            return None;
        }
        if let Some(first) = seen_ids.get(text) {
            let message = format!(
                "API key `{name}` has the same key_id as `{first}`; each key may be managed by \
                 one entry only"
            );
            self.report(id, message);
            return None;
        }
        seen_ids.insert(text.to_owned(), name.to_owned());
        Some(text.to_owned())
    }

    /// Reports the placeholder `keyrot import` writes, which is no sink.
    fn placeholder_sink(&mut self, sink: &RawSink) -> bool {
        let placeholder = |text: &str| text.trim() == SINK_PLACEHOLDER;
        let message = format!(
            "`{SINK_PLACEHOLDER}` is the placeholder `keyrot import` writes: set `file: PATH` or \
             `command: [program, args...]` to where this key's new secret must go"
        );
        if let Some(file) = sink.file.as_ref().filter(|file| placeholder(&file.value)) {
            self.report(file, message);
            return true;
        }
        let command = sink.command.as_ref();
        if let Some(command) = command.filter(|c| c.value.first().is_some_and(|p| placeholder(p))) {
            self.report(command, message);
            return true;
        }
        false
    }

    /// `secret.timeout`: a positive duration, 60s when unset.
    fn sink_timeout(&mut self, timeout: Option<&Located<String>>) -> Option<SignedDuration> {
        let Some(timeout) = timeout else {
            return Some(DEFAULT_SINK_TIMEOUT);
        };
        let duration = self.duration(timeout)?;
        if duration.is_positive() {
            return Some(duration);
        }
        self.report(timeout, "`timeout` must be longer than zero".to_owned());
        None
    }

    /// `secret.env`: names of environment variables, each once.
    fn sink_env(&mut self, env: Option<&Located<Vec<String>>>) -> Option<Vec<String>> {
        let Some(env) = env else {
            return Some(Vec::new());
        };
        let valid = |name: &String| {
            name.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        };
        let bad: Vec<String> = env
            .value
            .iter()
            .filter(|name| !valid(name))
            .map(|name| format!("{name:?}"))
            .collect();
        if !bad.is_empty() {
            let message = format!(
                "`env` lists environment variable names (letters, digits and `_`), found {}",
                bad.join(", ")
            );
            self.report(env, message);
            return None;
        }
        Some(env.value.clone())
    }

    fn sink(&mut self, raw: Located<RawSink>, base_dir: &Path, key: &str) -> Option<SecretSink> {
        if self.placeholder_sink(&raw.value) {
            return None;
        }
        if let (Some(_), Some(timeout)) = (&raw.value.file, &raw.value.timeout) {
            let message =
                "`timeout` applies to `command` sinks; a file is written at once".to_owned();
            self.report(timeout, message);
            return None;
        }
        if let (Some(_), Some(env)) = (&raw.value.file, &raw.value.env) {
            let message = "`env` applies to `command` sinks; a file sink runs nothing".to_owned();
            self.report(env, message);
            return None;
        }
        match (&raw.value.file, &raw.value.command) {
            (Some(file), None) if !file.value.trim().is_empty() => {
                let shown = file.value.trim().to_owned();
                let path = base_dir.join(&shown);
                self.unshared_sink_file(file, &path, key)
                    .then_some(SecretSink::File { path, shown })
            }
            (Some(file), None) => {
                self.report(file, "`file` needs a path".to_owned());
                None
            }
            (None, Some(command)) if command.value.first().is_some_and(|p| !p.is_empty()) => {
                let timeout = self.sink_timeout(raw.value.timeout.as_ref())?;
                let env = self.sink_env(raw.value.env.as_ref())?;
                Some(SecretSink::Command {
                    argv: command.value.clone(),
                    timeout,
                    env,
                })
            }
            (None, Some(command)) => {
                let message = "`command` needs a program, e.g. [\"gh\", \"secret\", \"set\", \
                               \"RIXL_KEY\"]"
                    .to_owned();
                self.report(command, message);
                None
            }
            _ => {
                let message =
                    "`secret` takes exactly one of `file: PATH` or `command: [program, args...]`"
                        .to_owned();
                self.report(&raw, message);
                None
            }
        }
    }
}

/// RIXL's IDs: letters and digits only (the v1 document's `^[0-9A-Za-z]+$`).
fn is_identifier(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric())
}
