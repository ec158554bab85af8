//! A `file:` sink's write: through a handle on its directory opened without following a link,
//! a new file of mode 0600 created there (never through a link), written, synced, and renamed
//! over the target within that same directory. A link swapped in after the sinks were checked
//! sends the secret nowhere else, and the target holds the old secret or the new, never half.

use std::ffi::{CString, OsStr};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

use super::sink_problem::SinkProblem;
use crate::atomic_file::directory_of;

/// Writes `secret` and a newline to `path`, as this module says.
pub fn write_secret_file(path: &Path, secret: &SecretString) -> Result<(), SinkProblem> {
    let directory = directory_of(path);
    let name = path
        .file_name()
        .ok_or_else(|| SinkProblem::NoFileName(path.to_owned()))?;
    let handle = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(directory)
        .map_err(|error| match error.raw_os_error() {
            Some(libc::ELOOP) | Some(libc::ENOTDIR) => {
                SinkProblem::DirectoryNotOpenedSafely(directory.to_owned())
            }
            _ => SinkProblem::OpenDirectory {
                path: directory.to_owned(),
                reason: error.to_string(),
            },
        })?;
    let dir = handle.as_raw_fd();
    let target = c_name(name)?;
    refuse_a_link_at(dir, &target, path)?;
    let temporary = c_name(OsStr::new(&temporary_name()))?;
    let mut file = create_private(dir, &temporary)
        .map_err(|error| SinkProblem::write("cannot create a temporary file", &error))?;
    let written = file
        .write_all(secret.expose_secret().as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all());
    let moved = written
        .map_err(|error| SinkProblem::write("cannot write the temporary file", &error))
        .and_then(|()| refuse_a_link_at(dir, &target, path))
        .and_then(|()| {
            rename_at(dir, &temporary, &target)
                .map_err(|error| SinkProblem::write("cannot move the new file into place", &error))
        });
    if let Err(error) = moved {
        // SAFETY: unlinkat on this directory's handle and the name keyrot just created there.
        unsafe { libc::unlinkat(dir, temporary.as_ptr(), 0) };
        return Err(error);
    }
    handle
        .sync_all()
        .map_err(|error| SinkProblem::SyncDirectory {
            path: directory.to_owned(),
            reason: error.to_string(),
        })
}

fn c_name(name: &OsStr) -> Result<CString, SinkProblem> {
    CString::new(name.as_bytes()).map_err(|_| SinkProblem::NulInName)
}

/// `.keyrot-` and 16 random hexadecimal characters.
fn temporary_name() -> String {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    let random: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(".keyrot-{random}")
}

/// A new file `name` in `dir`, mode 0600, never through a link and never an existing file.
fn create_private(dir: RawFd, name: &CString) -> io::Result<File> {
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: openat with a valid directory handle and a NUL-terminated name.
    let fd = unsafe { libc::openat(dir, name.as_ptr(), flags, 0o600 as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just opened and is owned by nothing else.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// Refuses when `name` in `dir` is a symbolic link now (it was checked before the rotation,
/// but may have been swapped since).
fn refuse_a_link_at(dir: RawFd, name: &CString, path: &Path) -> Result<(), SinkProblem> {
    // SAFETY: a zeroed stat is a valid out-parameter for fstatat.
    let mut status: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstatat with a valid handle, a NUL-terminated name and a valid out-parameter.
    let found =
        unsafe { libc::fstatat(dir, name.as_ptr(), &mut status, libc::AT_SYMLINK_NOFOLLOW) };
    if found == 0 && status.st_mode & libc::S_IFMT == libc::S_IFLNK {
        return Err(SinkProblem::BecameALink(path.to_owned()));
    }
    Ok(())
}

fn rename_at(dir: RawFd, from: &CString, to: &CString) -> io::Result<()> {
    // SAFETY: renameat within one valid directory handle and NUL-terminated names.
    let renamed = unsafe { libc::renameat(dir, from.as_ptr(), dir, to.as_ptr()) };
    if renamed == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn secret() -> SecretString {
        "rxl_s3cr3t-value".to_owned().into()
    }

    #[test]
    fn a_secret_file_is_private_and_leaves_no_temporary_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("ci.key");
        write_secret_file(&path, &secret()).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "rxl_s3cr3t-value\n");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(fs::read_dir(directory.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_directory_swapped_for_a_link_receives_nothing() {
        let directory = tempfile::tempdir().unwrap();
        let elsewhere = directory.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, directory.path().join("secrets")).unwrap();
        let error =
            write_secret_file(&directory.path().join("secrets/ci.key"), &secret()).unwrap_err();
        assert!(
            matches!(error, SinkProblem::DirectoryNotOpenedSafely(_)),
            "{error}"
        );
        assert!(error.to_string().contains("is a symbolic link"), "{error}");
        assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
    }

    #[test]
    fn a_target_swapped_for_a_link_is_not_written_through() {
        let directory = tempfile::tempdir().unwrap();
        let outside = directory.path().join("outside.key");
        fs::write(&outside, "untouched\n").unwrap();
        let path = directory.path().join("ci.key");
        std::os::unix::fs::symlink(&outside, &path).unwrap();
        let error = write_secret_file(&path, &secret()).unwrap_err();
        assert_eq!(error, SinkProblem::BecameALink(path.clone()));
        assert!(
            error.to_string().contains("became a symbolic link"),
            "{error}"
        );
        assert_eq!(fs::read_to_string(&outside).unwrap(), "untouched\n");
        assert_eq!(fs::read_dir(directory.path()).unwrap().count(), 2);
    }
}
