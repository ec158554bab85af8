//! Files written whole or not at all: a temporary file in the same directory, synced, then
//! renamed into place, so a reader sees the old content or the new, never half of it.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The directory `path` is in: its parent, or the current directory for a bare file name.
pub fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(directory) if !directory.as_os_str().is_empty() => directory,
        _ => Path::new("."),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// readers see the old content or the new, never half of it. The file is private (0600).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_with_mode(path, bytes, 0o600)
}

/// As [`write_atomically`], for a file that holds no secret and that other users' programs
/// read (node_exporter's textfile collector): its mode is 0666 less the process's umask, as for
/// any file a program creates.
pub fn write_atomically_shared(path: &Path, bytes: &[u8]) -> Result<(), String> {
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
fn cannot_write_in(directory: &Path, error: &std::io::Error) -> String {
    let shown = directory.display();
    match error.kind() {
        std::io::ErrorKind::NotFound => format!("directory {shown} does not exist"),
        std::io::ErrorKind::PermissionDenied => {
            format!("cannot write in directory {shown}: permission denied")
        }
        _ => format!(
            "cannot write in directory {shown}: {}",
            std::io::Error::from(error.kind())
        ),
    }
}

fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
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
        .map_err(|error| format!("cannot write: {error}"))?;
    temporary
        .persist(path)
        .map_err(|error| format!("cannot move into place: {}", error.error))?;
    Ok(())
}
