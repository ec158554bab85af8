//! Where a file really is: two spellings of one file (`d/../s.key` and `s.key`, a path through
//! a symbolic link to a directory) compare equal.

use std::path::{Component, Path, PathBuf};

/// Where a file really is, so that two spellings of one file compare equal: the path made
/// absolute, its longest existing part resolved by the file system (`..` after a symbolic link
/// goes where the link leads, and an existing file that is a link resolves to its target), and
/// the rest appended with `.` dropped and `..` taking back the part before it.
pub fn sink_location(path: &Path) -> PathBuf {
    let absolute = match std::env::current_dir() {
        Ok(current) if path.is_relative() => current.join(path),
        _ => path.to_owned(),
    };
    let components: Vec<Component> = absolute.components().collect();
    for existing in (1..=components.len()).rev() {
        let prefix: PathBuf = components[..existing].iter().collect();
        if let Ok(real) = std::fs::canonicalize(&prefix) {
            let rest: PathBuf = components[existing..].iter().collect();
            return lexically_normal(&real.join(rest));
        }
    }
    lexically_normal(&absolute)
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
        // `..` after a link goes where the link leads.
        std::fs::create_dir_all(root.join("other/x")).unwrap();
        std::os::unix::fs::symlink(root.join("other/x"), root.join("to-x")).unwrap();
        assert_eq!(
            sink_location(&root.join("to-x/../s.key")),
            sink_location(&root.join("other/s.key"))
        );
        // An existing link resolves to its target.
        std::fs::write(root.join("real.yaml"), "").unwrap();
        std::os::unix::fs::symlink(root.join("real.yaml"), root.join("keyrot.yaml")).unwrap();
        assert_eq!(
            sink_location(&root.join("keyrot.yaml")),
            sink_location(&root.join("real.yaml"))
        );
    }

    #[test]
    fn a_relative_path_is_where_the_current_directory_says() {
        let here = std::env::current_dir().unwrap();
        assert_eq!(
            sink_location(Path::new("s.key")),
            sink_location(&here.join("s.key"))
        );
    }
}
