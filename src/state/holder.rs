//! Who holds the apply lock: enough for a second apply, or a person, to know whom to ask.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::plan::instant_in_words;

/// The details an apply records when it takes the lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// The apply's run ID, as its journal entries and `keyrot history` name it.
    pub run_id: String,
    /// The user it runs as.
    pub user: String,
    /// The machine it runs on.
    pub host: String,
    /// The command line, as `keyrot apply --auto-approve`.
    pub command: String,
    /// When it took the lock.
    pub started_at: Timestamp,
    /// The CI run's web page, when the environment names one.
    pub ci_url: Option<String>,
}

impl LockHolder {
    /// This process, running `command`, from `started_at`; `var` looks the environment up.
    pub fn this_process(
        run_id: &str,
        command: &str,
        started_at: Timestamp,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        Self {
            run_id: run_id.to_owned(),
            // In CI, who started the run; elsewhere, who runs it.
            user: [
                "GITHUB_ACTOR",
                "GITLAB_USER_LOGIN",
                "USER",
                "LOGNAME",
                "USERNAME",
            ]
            .into_iter()
            .find_map(|name| var(name).filter(|value| !value.is_empty()))
            .or_else(user_name)
            .unwrap_or_else(user_id),
            host: host_name(var),
            command: command.to_owned(),
            started_at,
            ci_url: ci_run_url(var),
        }
    }
}

impl fmt::Display for LockHolder {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{}@{} (run {}, `{}`, since {}",
            self.user,
            self.host,
            self.run_id,
            self.command,
            instant_in_words(self.started_at)
        )?;
        if let Some(url) = &self.ci_url {
            write!(f, ", {url}")?;
        }
        f.write_str(")")
    }
}

/// A new run ID: 12 random hexadecimal characters.
pub fn new_run_id() -> String {
    let mut bytes = [0u8; 6];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = Timestamp::now().as_nanosecond();
        bytes.copy_from_slice(&nanos.to_le_bytes()[..6]);
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The user's name in the password database, when no variable names it (cron, a container).
fn user_name() -> Option<String> {
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buffer = vec![0 as libc::c_char; 4096];
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is to memory of the given size that lives across the call; the
    // result points into `entry` and `buffer`, read before they are dropped.
    let status = unsafe {
        libc::getpwuid_r(
            libc::geteuid(),
            &mut entry,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut found,
        )
    };
    if status != 0 || found.is_null() || entry.pw_name.is_null() {
        return None;
    }
    // SAFETY: getpwuid_r succeeded, so pw_name is a NUL-terminated string inside `buffer`.
    let name = unsafe { std::ffi::CStr::from_ptr(entry.pw_name) };
    name.to_str()
        .ok()
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}

/// The user as its numeric ID, when neither a variable nor the password database names it.
fn user_id() -> String {
    // SAFETY: geteuid has no preconditions and cannot fail.
    format!("uid {}", unsafe { libc::geteuid() })
}

fn host_name(var: &dyn Fn(&str) -> Option<String>) -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .or_else(|| var("HOSTNAME").filter(|name| !name.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The CI run's page from the variables GitHub Actions, GitLab CI, Buildkite and Jenkins set.
fn ci_run_url(var: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    if let (Some(server), Some(repository), Some(run)) = (
        var("GITHUB_SERVER_URL"),
        var("GITHUB_REPOSITORY"),
        var("GITHUB_RUN_ID"),
    ) {
        return Some(format!("{server}/{repository}/actions/runs/{run}"));
    }
    ["CI_JOB_URL", "BUILDKITE_BUILD_URL", "BUILD_URL"]
        .into_iter()
        .find_map(|name| var(name).filter(|value| !value.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn a_github_actions_run_is_named_by_its_page() {
        let var = env(&[
            ("USER", "runner"),
            ("GITHUB_ACTOR", "octocat"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "acme/infra"),
            ("GITHUB_RUN_ID", "42"),
        ]);
        let at: Timestamp = "2026-11-24T12:00:00Z".parse().unwrap();
        let holder = LockHolder::this_process("abc", "keyrot apply", at, &var);
        assert_eq!(
            holder.user, "octocat",
            "who started the run, not the runner's account"
        );
        assert_eq!(
            holder.ci_url.as_deref(),
            Some("https://github.com/acme/infra/actions/runs/42")
        );
        let shown = holder.to_string();
        assert!(shown.starts_with("octocat@"), "{shown}");
        assert!(
            shown.contains("run abc, `keyrot apply`, since 2026-11-24 12:00 UTC"),
            "{shown}"
        );
    }

    #[test]
    fn without_a_variable_the_user_is_named_from_the_password_database() {
        let holder =
            LockHolder::this_process("abc", "keyrot apply", Timestamp::UNIX_EPOCH, &env(&[]));
        // `id -un` asks the same database, through other code.
        let id = std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap();
        let expected = String::from_utf8_lossy(&id.stdout).trim().to_owned();
        assert!(id.status.success(), "id -un failed");
        assert_eq!(holder.user, expected);
    }

    #[test]
    fn run_ids_differ() {
        assert_ne!(new_run_id(), new_run_id());
        assert_eq!(new_run_id().len(), 12);
    }
}
