//! Files written whole or not at all: a temporary file in the same directory, synced, then
//! renamed into place, so a reader sees the old content or the new, never half of it.

use std::fs;
use std::io::{self, ErrorKind, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Why a file could not be written whole.
#[derive(Debug, thiserror::Error)]
pub enum AtomicWriteError {
    /// The directory the file goes in does not exist.
    #[error("directory {} does not exist", .0.display())]
    NoDirectory(PathBuf),
    /// keyrot may not create a file in the directory.
    #[error("cannot write in directory {}: permission denied", .0.display())]
    DirectoryDenied(PathBuf),
    /// The temporary file could not be made in the directory for another reason.
    #[error("cannot write in directory {}: {}", .directory.display(), io::Error::from(*.kind))]
    Directory {
        /// The directory.
        directory: PathBuf,
        /// What went wrong.
        kind: ErrorKind,
    },
    /// The content could not be written and synced.
    #[error("cannot write: {0}")]
    Write(#[source] io::Error),
    /// The written file could not be renamed into place.
    #[error("cannot move into place: {0}")]
    Rename(#[source] io::Error),
}

/// The directory `path` is in: its parent, or the current directory for a bare file name.
pub fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(directory) if !directory.as_os_str().is_empty() => directory,
        _ => Path::new("."),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// readers see the old content or the new, never half of it. The file is private (0600).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AtomicWriteError> {
    write_with_mode(path, bytes, 0o600)
}

/// As [`write_atomically`], for a file that holds no secret and that other users' programs
/// read (node_exporter's textfile collector): its mode is 0666 less the process's umask, as for
/// any file a program creates.
pub fn write_atomically_shared(path: &Path, bytes: &[u8]) -> Result<(), AtomicWriteError> {
    write_with_mode(path, bytes, 0o666 & !umask())
}

/// The process's umask, as Linux reports it; 022 where it does not.
fn umask() -> u32 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Umask:"))
                .and_then(|mask| u32::from_str_radix(mask.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// Why nothing could be written in `directory`, naming the directory rather than the
/// temporary file that was never made.
fn cannot_write_in(directory: &Path, error: &io::Error) -> AtomicWriteError {
    let directory = directory.to_owned();
    match error.kind() {
        ErrorKind::NotFound => AtomicWriteError::NoDirectory(directory),
        ErrorKind::PermissionDenied => AtomicWriteError::DirectoryDenied(directory),
        kind => AtomicWriteError::Directory { directory, kind },
    }
}

fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<(), AtomicWriteError> {
    let directory = directory_of(path);
    let mut temporary = tempfile::Builder::new()
        .prefix(".keyrot-")
        .tempfile_in(directory)
        .map_err(|error| cannot_write_in(directory, &error))?;
    temporary
        .write_all(bytes)
        .and_then(|()| {
            let permissions = fs::Permissions::from_mode(mode);
            temporary.as_file().set_permissions(permissions)
        })
        .and_then(|()| temporary.as_file().sync_all())
        .map_err(AtomicWriteError::Write)?;
    temporary
        .persist(path)
        .map_err(|error| AtomicWriteError::Rename(error.error))?;
    Ok(())
}
