//! `secret:` of any resource whose rotation issues a secret: a file or a command, checked the
//! same way for every vendor.

use std::path::Path;

use jiff::SignedDuration;

use super::Checker;
use crate::config::location::sink_location;
use crate::config::model::{DEFAULT_SINK_TIMEOUT, SecretSink};
use crate::config::names::SINK_PLACEHOLDER;
use crate::config::raw::{Located, RawSink};

/// The resource a sink belongs to: its name, and what it is (`API key`).
#[derive(Clone, Copy)]
struct SinkOwner<'a>(&'a str, &'a str);

impl Checker {
    /// The sink of the resource `name` (a `noun`, in messages: `API key`), which must have one:
    /// a rotation's new secret must go somewhere.
    pub(crate) fn required_sink(
        &mut self,
        name: &Located<String>,
        noun: &str,
        secret: Option<Located<RawSink>>,
        base_dir: &Path,
    ) -> Option<SecretSink> {
        match secret {
            Some(secret) => self.sink(secret, base_dir, SinkOwner(&name.value, noun)),
            None => {
                let message = format!(
                    "{noun} `{}` has no `secret` sink; a rotation's new secret must go \
                     somewhere (`secret: {{file: PATH}}` or `secret: {{command: [...]}}`)",
                    name.value
                );
                self.missing_field(name, "secret", message);
                None
            }
        }
    }

    /// Two keys writing one file would leave only the second secret there: refused.
    fn unshared_sink_file(&mut self, file: &Located<String>, path: &Path, key: SinkOwner) -> bool {
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
        if let Some((first, first_noun)) = self.sink_files.get(&normal) {
            let SinkOwner(name, noun) = key;
            let both = match *first_noun == noun {
                true => format!("{noun}s `{first}` and `{name}`"),
                false => format!("{first_noun} `{first}` and {noun} `{name}`"),
            };
            let message = format!(
                "{both} both write their secret to `{}`; the second rotation would overwrite \
                 the first key's secret",
                file.value.trim()
            );
            self.report(file, message);
            return false;
        }
        let SinkOwner(name, noun) = key;
        self.sink_files
            .insert(normal, (name.to_owned(), noun.to_owned()));
        true
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
        let bad: Vec<String> = env
            .value
            .iter()
            .filter(|name| !super::is_env_name(name))
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

    fn sink(
        &mut self,
        raw: Located<RawSink>,
        base_dir: &Path,
        key: SinkOwner,
    ) -> Option<SecretSink> {
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
