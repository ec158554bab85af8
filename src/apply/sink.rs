//! Secret sinks: a file written atomically with mode 0600, or a command reading the secret on
//! its stdin. Sinks are checked before the first rotate; a secret a sink refuses is saved to a
//! recovery file so it is never lost.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use secrecy::{ExposeSecret, SecretString};

use super::secret_file::write_secret_file;
use super::sink_command::{SinkCommand, find_program};
use super::sink_problem::SinkProblem;
use crate::atomic_file::directory_of;
use crate::config::SecretSink;

/// Why a sink cannot take, or did not take, a secret. Never holds the secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{sink}: {reason}")]
pub struct SinkError {
    /// The sink, as the plan shows it: `file secrets/ci.key`.
    pub sink: String,
    /// What is wrong.
    pub reason: String,
}

fn sink_error(sink: &SecretSink, problem: SinkProblem) -> SinkError {
    SinkError {
        sink: sink.to_string(),
        reason: problem.to_string(),
    }
}

/// Whether `sink` can take a secret: its directory exists and is writable, or its program
/// exists and is executable.
pub fn check_sink(sink: &SecretSink) -> Result<(), SinkError> {
    match sink {
        SecretSink::File { path, .. } => {
            let directory = directory_of(path);
            writable_directory(directory).map_err(|reason| sink_error(sink, reason))?;
            not_a_link(directory).map_err(|reason| sink_error(sink, reason))?;
            replaceable_file(path).map_err(|reason| sink_error(sink, reason))
        }
        SecretSink::Command { argv, .. } => find_program(&argv[0])
            .map(|_| ())
            .map_err(|reason| sink_error(sink, reason)),
    }
}

/// Delivers `secret` to `sink`, for run `run_id` (which a command sink's processes carry, so a
/// later run can end any that outlive a killed one).
pub fn deliver(sink: &SecretSink, secret: &SecretString, run_id: &str) -> Result<(), SinkError> {
    deliver_within(sink, secret, run_id, None)
}

/// As [`deliver`], a sink command running no longer than `within` when given (the time the
/// apply lock is still held).
pub fn deliver_within(
    sink: &SecretSink,
    secret: &SecretString,
    run_id: &str,
    within: Option<Duration>,
) -> Result<(), SinkError> {
    match sink {
        SecretSink::File { path, .. } => writable_directory(directory_of(path))
            .and_then(|()| write_secret_file(path, secret))
            .map_err(|reason| sink_error(sink, reason)),
        SecretSink::Command { argv, timeout, env } => {
            let own = Duration::try_from(*timeout).unwrap_or(Duration::ZERO);
            let command = SinkCommand {
                argv,
                timeout: within.map_or(own, |within| within.min(own)),
                env,
                run_id,
            };
            command
                .run(secret)
                .map_err(|reason| sink_error(sink, reason))
        }
    }
}

/// A sink's directory must not be a symbolic link: the delivery opens it without following
/// one, so that a link swapped in after this check cannot send the secret elsewhere.
fn not_a_link(directory: &Path) -> Result<(), SinkProblem> {
    match fs::symlink_metadata(directory) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            Err(SinkProblem::DirectoryIsALink(directory.to_owned()))
        }
        _ => Ok(()),
    }
}

/// Whether what is at `path`, if anything, is a regular file that delivering a secret may
/// replace. A symbolic link is refused: the delivery writes a new file and renames it into
/// place, which would replace the link and leave the file it points to (the one consumers
/// read) holding the revoked secret. Devices, FIFOs, sockets and directories are refused too.
fn replaceable_file(path: &Path) -> Result<(), SinkProblem> {
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(SinkProblem::Uninspectable(error.to_string())),
    };
    let kind = metadata.file_type();
    if kind.is_symlink() {
        return Err(SinkProblem::FileIsALink);
    }
    if kind.is_dir() {
        return Err(SinkProblem::FileIsADirectory);
    }
    if !kind.is_file() {
        return Err(SinkProblem::NotARegularFile);
    }
    Ok(())
}

/// Whether a secret could be saved under `directory` should its sink refuse it: the directory,
/// or the nearest of its parents that exists (recovery creates the rest), is writable.
/// Nothing is created.
pub fn check_recovery_dir(directory: &Path) -> Result<(), SinkError> {
    let existing = directory
        .ancestors()
        .find(|ancestor| ancestor.as_os_str().is_empty() || ancestor.exists())
        .map(|ancestor| {
            if ancestor.as_os_str().is_empty() {
                Path::new(".")
            } else {
                ancestor
            }
        })
        .unwrap_or(Path::new("."));
    writable_directory(existing).map_err(|problem| SinkError {
        sink: format!("recovery directory {}", directory.display()),
        reason: problem.to_string(),
    })
}

/// Saves a secret a sink refused under `directory` (created with mode 0700 if missing), in a
/// new file of mode 0600 named after the resource and the instant; returns its path.
pub fn recover(
    directory: &Path,
    resource: &str,
    secret: &SecretString,
    at: Timestamp,
) -> io::Result<PathBuf> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(directory)?;
    let stamp = at.strftime("%Y%m%dT%H%M%SZ").to_string();
    for attempt in 0..100 {
        let suffix = if attempt == 0 {
            String::new()
        } else {
            format!("-{attempt}")
        };
        let path = directory.join(format!("{resource}-{stamp}{suffix}.key"));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path);
        match file {
            Ok(mut file) => {
                file.write_all(secret.expose_secret().as_bytes())?;
                file.write_all(b"\n")?;
                file.sync_all()?;
                File::open(directory)?.sync_all()?;
                return Ok(path);
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(io::Error::other("no free recovery file name"))
}

/// The directory exists, is a directory, is not marked read-only (even for root), and a file
/// can be created in it.
fn writable_directory(directory: &Path) -> Result<(), SinkProblem> {
    let metadata =
        fs::metadata(directory).map_err(|error| SinkProblem::directory(directory, &error))?;
    if !metadata.is_dir() {
        return Err(SinkProblem::NotADirectory(directory.to_owned()));
    }
    if metadata.permissions().mode() & 0o222 == 0 {
        return Err(SinkProblem::ReadOnly(directory.to_owned()));
    }
    tempfile::Builder::new()
        .prefix(".keyrot-check-")
        .tempfile_in(directory)
        .map(drop)
        .map_err(|error| SinkProblem::CannotCreate {
            path: directory.to_owned(),
            reason: error.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn secret() -> SecretString {
        "rxl_s3cr3t-value".to_owned().into()
    }

    fn file_sink(path: PathBuf) -> SecretSink {
        SecretSink::File {
            shown: path.display().to_string(),
            path,
        }
    }

    fn command_sink(script: &str) -> SecretSink {
        SecretSink::Command {
            argv: vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()],
            timeout: crate::config::DEFAULT_SINK_TIMEOUT,
            env: Vec::new(),
        }
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_file_sink_holds_the_secret_and_a_newline_with_mode_0600() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("ci.key");
        fs::write(&path, "old\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let sink = file_sink(path.clone());
        assert_eq!(check_sink(&sink), Ok(()));
        deliver(&sink, &secret(), "run1").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "rxl_s3cr3t-value\n");
        assert_eq!(mode(&path), 0o600);
        let leftovers = fs::read_dir(directory.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[test]
    fn a_missing_or_read_only_directory_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let missing = file_sink(directory.path().join("nope/ci.key"));
        let error = check_sink(&missing).unwrap_err();
        assert!(error.reason.contains("does not exist"), "{error}");
        assert!(deliver(&missing, &secret(), "run1").is_err());

        let read_only = directory.path().join("ro");
        fs::create_dir(&read_only).unwrap();
        fs::set_permissions(&read_only, fs::Permissions::from_mode(0o555)).unwrap();
        let sink = file_sink(read_only.join("ci.key"));
        let error = check_sink(&sink).unwrap_err();
        assert!(error.reason.contains("read-only"), "{error}");
        assert!(deliver(&sink, &secret(), "run1").is_err());
        assert!(!read_only.join("ci.key").exists());
    }

    #[test]
    fn a_command_sink_gets_the_secret_on_stdin_only() {
        let directory = tempfile::tempdir().unwrap();
        let out = directory.path().join("got");
        let script = format!(
            "cat > {}; test -z \"$KEYROT_SECRET\" && test \"$#\" = 0",
            out.display()
        );
        deliver(&command_sink(&script), &secret(), "run1").unwrap();
        assert_eq!(fs::read_to_string(&out).unwrap(), "rxl_s3cr3t-value");
    }

    #[test]
    fn a_failing_command_shows_its_stderr_without_the_secret() {
        let sink = command_sink("read line; echo \"rejected $line\" >&2; exit 3");
        let error = deliver(&sink, &secret(), "run1").unwrap_err();
        assert_eq!(error.reason, "exited with status 3: rejected [secret]");
        assert!(!error.to_string().contains("s3cr3t"));
    }

    #[test]
    fn a_command_that_does_not_read_the_secret_has_not_taken_it() {
        let sink = command_sink("exec 0<&-; sleep 0.2; exit 0");
        let long: SecretString = "x".repeat(1 << 20).into();
        let error = deliver(&sink, &long, "run1").unwrap_err();
        assert!(
            error
                .reason
                .contains("exited (with status 0) without reading the whole secret"),
            "{error}"
        );
    }

    #[test]
    fn a_command_that_exits_without_reading_a_short_secret_has_not_taken_it() {
        for script in ["true", "sleep 0.2", "head -c 3 >/dev/null"] {
            let error = deliver(&command_sink(script), &secret(), "run1").unwrap_err();
            assert!(
                error.reason.contains(") without reading the whole secret"),
                "{script}: {error}"
            );
        }
        deliver(&command_sink("cat >/dev/null"), &secret(), "run1").unwrap();
    }

    #[test]
    fn a_command_that_never_exits_is_killed_with_its_children_after_its_timeout() {
        let directory = tempfile::tempdir().unwrap();
        let marker = directory.path().join("child-survived");
        let script = format!(
            "cat >/dev/null; (sleep 2; touch {}) & sleep 30",
            marker.display()
        );
        let sink = SecretSink::Command {
            argv: vec!["sh".to_owned(), "-c".to_owned(), script],
            timeout: jiff::SignedDuration::from_millis(300),
            env: Vec::new(),
        };
        let started = Instant::now();
        let error = deliver(&sink, &secret(), "run1").unwrap_err();
        assert!(error.reason.contains("still running after 0.3s"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(2500));
        assert!(
            !marker.exists(),
            "a child of the sink command outlived the timeout"
        );
    }

    #[test]
    fn a_command_that_leaves_a_job_behind_does_not_hold_the_delivery() {
        let started = Instant::now();
        deliver(
            &command_sink("cat >/dev/null; sleep 1000 & exit 0"),
            &secret(),
            "run1",
        )
        .unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_missing_program_is_refused_before_anything_runs() {
        let sink = SecretSink::Command {
            argv: vec!["keyrot-no-such-program".to_owned()],
            timeout: crate::config::DEFAULT_SINK_TIMEOUT,
            env: Vec::new(),
        };
        let error = check_sink(&sink).unwrap_err();
        assert!(error.reason.contains("is not on PATH"), "{error}");
    }

    #[test]
    fn a_program_that_is_not_an_executable_file_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let plain = directory.path().join("plain");
        fs::write(&plain, "#!/bin/sh\n").unwrap();
        fs::set_permissions(&plain, fs::Permissions::from_mode(0o644)).unwrap();
        let runnable = directory.path().join("runnable");
        fs::write(&runnable, "#!/bin/sh\n").unwrap();
        fs::set_permissions(&runnable, fs::Permissions::from_mode(0o700)).unwrap();
        let sink = |path: &Path| SecretSink::Command {
            argv: vec![path.display().to_string()],
            timeout: crate::config::DEFAULT_SINK_TIMEOUT,
            env: Vec::new(),
        };
        // A directory has execute bits but is no program.
        for refused in [plain.as_path(), directory.path()] {
            let error = check_sink(&sink(refused)).unwrap_err();
            assert!(error.reason.contains("is not executable"), "{error}");
        }
        assert_eq!(check_sink(&sink(&runnable)), Ok(()));
    }

    #[test]
    fn the_recovery_directory_is_checked_without_being_created() {
        let directory = tempfile::tempdir().unwrap();
        let recovered = directory.path().join(".keyrot/recovered");
        assert_eq!(check_recovery_dir(&recovered), Ok(()));
        assert!(!recovered.exists());
        let read_only = directory.path().join("ro");
        fs::create_dir(&read_only).unwrap();
        fs::set_permissions(&read_only, fs::Permissions::from_mode(0o555)).unwrap();
        let error = check_recovery_dir(&read_only.join(".keyrot/recovered")).unwrap_err();
        assert!(error.reason.contains("read-only"), "{error}");
    }

    #[test]
    fn a_sink_whose_name_cannot_be_inspected_is_refused() {
        let directory = tempfile::tempdir().unwrap();
        let sink = file_sink(directory.path().join("k".repeat(300)));
        let error = check_sink(&sink).unwrap_err();
        assert!(
            error.reason.contains("cannot inspect it"),
            "{}",
            error.reason
        );
    }

    #[test]
    fn recovery_files_are_private_and_never_overwritten() {
        let directory = tempfile::tempdir().unwrap();
        let recovered = directory.path().join(".keyrot/recovered");
        let first = recover(&recovered, "ci-uploader", &secret(), Timestamp::UNIX_EPOCH).unwrap();
        let second = recover(&recovered, "ci-uploader", &secret(), Timestamp::UNIX_EPOCH).unwrap();
        let name = |path: &Path| path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(name(&first), "ci-uploader-19700101T000000Z.key");
        assert_eq!(name(&second), "ci-uploader-19700101T000000Z-1.key");
        assert_eq!(fs::read_to_string(&first).unwrap(), "rxl_s3cr3t-value\n");
        assert_eq!(mode(&first), 0o600);
        assert_eq!(mode(&recovered), 0o700);
    }
}
