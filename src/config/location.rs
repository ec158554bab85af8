//! Where a file really is: two spellings of one file (`d/../s.key` and `s.key`, a path through
//! a symbolic link to a directory) compare equal.

use std::path::{Component, Path, PathBuf};

/// Where a sink file really is, so that two spellings of one file compare equal: its directory
/// with `..`, `.` and symbolic links resolved (when it exists), and its name.
pub fn sink_location(path: &Path) -> PathBuf {
    let lexical = lexically_normal(path);
    let (Some(directory), Some(name)) = (lexical.parent(), lexical.file_name()) else {
        return lexical;
    };
    match std::fs::canonicalize(directory) {
        Ok(real) => real.join(name),
        Err(_) => lexical,
    }
}

/// `path` with `.` dropped and each `..` taking back the component before it.
fn lexically_normal(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if normal.file_name().is_some() => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_spellings_of_one_file_are_one_location() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path();
        std::fs::create_dir(root.join("d")).unwrap();
        std::os::unix::fs::symlink(root.join("d"), root.join("link")).unwrap();
        let plain = sink_location(&root.join("s.key"));
        assert_eq!(sink_location(&root.join("d/../s.key")), plain);
        assert_eq!(sink_location(&root.join("./s.key")), plain);
        assert_eq!(
            sink_location(&root.join("link/k.key")),
            sink_location(&root.join("d/k.key"))
        );
        assert_ne!(sink_location(&root.join("d/s.key")), plain);
    }
}
