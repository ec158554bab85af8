//! What is wrong with a secret sink, or what went wrong handing it a secret: one message per
//! case, naming the path or the program and what to do. Never holds the secret.

use std::io;
use std::path::{Path, PathBuf};

/// What is wrong with a sink, or what went wrong delivering to it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SinkProblem {
    /// The sink file's directory does not exist.
    #[error("directory {} does not exist", .0.display())]
    NoDirectory(PathBuf),
    /// The directory cannot be looked at.
    #[error("directory {}: {reason}", .path.display())]
    Directory {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The path's directory part names something else.
    #[error("{} is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// The directory is marked read-only.
    #[error("directory {} is read-only", .0.display())]
    ReadOnly(PathBuf),
    /// No file can be created in the directory.
    #[error("cannot create a file in directory {}: {reason}", .path.display())]
    CannotCreate {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The directory is a symbolic link.
    #[error(
        "directory {} is a symbolic link; keyrot writes secrets only into a real directory, \
         never through a link: set `file:` to a path in the directory it points to",
        .0.display()
    )]
    DirectoryIsALink(PathBuf),
    /// The directory could not be opened without following a link.
    #[error(
        "directory {} is a symbolic link (or not a directory); keyrot writes secrets only into \
         a real directory",
        .0.display()
    )]
    DirectoryNotOpenedSafely(PathBuf),
    /// The directory could not be opened.
    #[error("cannot open directory {}: {reason}", .path.display())]
    OpenDirectory {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The directory could not be synced after the rename.
    #[error("cannot sync directory {}: {reason}", .path.display())]
    SyncDirectory {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The sink file cannot be inspected.
    #[error("cannot inspect it: {0}")]
    Uninspectable(String),
    /// The sink file is a symbolic link.
    #[error(
        "it is a symbolic link; keyrot replaces a sink file atomically, which would replace the \
         link and not the file it points to: set `file:` to the link's target"
    )]
    FileIsALink,
    /// The sink file became a symbolic link after the check.
    #[error(
        "{} became a symbolic link after the sinks were checked; the secret was not written \
         through it",
        .0.display()
    )]
    BecameALink(PathBuf),
    /// The sink path is a directory.
    #[error("the path is a directory")]
    FileIsADirectory,
    /// The sink path is a device, a FIFO or a socket.
    #[error("it is not a regular file (a device, a FIFO or a socket)")]
    NotARegularFile,
    /// The path names no file.
    #[error("{} names no file", .0.display())]
    NoFileName(PathBuf),
    /// The file name holds a NUL byte.
    #[error("the file name holds a NUL byte")]
    NulInName,
    /// A step of writing the file failed.
    #[error("{step}: {reason}")]
    Write {
        /// What keyrot was doing: `cannot create a temporary file`.
        step: &'static str,
        /// Why.
        reason: String,
    },
    /// The program is given by path and is not there or not executable.
    #[error("program {0} does not exist or is not executable")]
    ProgramNotExecutable(String),
    /// The program is not on PATH.
    #[error("program `{0}` is not on PATH")]
    ProgramNotOnPath(String),
    /// The command could not be started or fed.
    #[error("{step}: {reason}")]
    Command {
        /// What keyrot was doing: `cannot start`.
        step: &'static str,
        /// Why.
        reason: String,
    },
    /// The command was fed only part of the secret.
    #[error("cannot hand it the secret ({0})")]
    Handoff(String),
    /// The command exited without reading the whole secret.
    #[error(
        "it exited (with {exit}) without reading the whole secret from its stdin ({unread} of \
         {length} bytes unread), so it has not taken it"
    )]
    NotRead {
        /// How it exited: `status 0`.
        exit: String,
        /// Bytes it did not read.
        unread: usize,
        /// The secret's length.
        length: usize,
    },
    /// The command failed; its stderr, with the secret blanked out, when it wrote any.
    #[error("exited with {exit}{}", stderr_shown(.stderr))]
    Failed {
        /// How it exited.
        exit: String,
        /// What it wrote to stderr, trimmed.
        stderr: String,
    },
    /// The command outlived its timeout and was killed.
    #[error(
        "still running after {seconds}s (secret.timeout), so it and its process group were \
         killed"
    )]
    TimedOut {
        /// The timeout in seconds.
        seconds: f64,
    },
}

/// A command's stderr as a message shows it: its control characters escaped, so a command
/// (which a pull request can change) cannot clear the screen or forge a line.
fn stderr_shown(stderr: &str) -> String {
    match stderr.is_empty() {
        true => String::new(),
        false => format!(": {}", crate::text::Printable(stderr)),
    }
}

impl SinkProblem {
    /// A failed step of writing a file, with the OS's reason.
    pub fn write(step: &'static str, error: &io::Error) -> Self {
        Self::Write {
            step,
            reason: error.to_string(),
        }
    }

    /// A failed step of running a command, with the OS's reason.
    pub fn command(step: &'static str, error: &io::Error) -> Self {
        Self::Command {
            step,
            reason: error.to_string(),
        }
    }

    /// A directory that cannot be looked at, for the reason `error` gives.
    pub fn directory(path: &Path, error: &io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::NotFound => Self::NoDirectory(path.to_owned()),
            _ => Self::Directory {
                path: path.to_owned(),
                reason: error.to_string(),
            },
        }
    }
}
