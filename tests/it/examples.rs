//! Every example file is valid YAML, and the desired-state example is a valid keyrot file.

use std::path::{Path, PathBuf};

use crate::harness::EXAMPLE_FILE;

fn yaml_files(directory: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(yaml_files(&path));
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            files.push(path);
        }
    }
    files
}

#[test]
fn every_example_is_valid_yaml() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let files = yaml_files(&examples);
    assert!(files.len() >= 5, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let parsed: Result<serde_json::Value, _> = serde_saphyr::from_str(&text);
        assert!(parsed.is_ok(), "{}: {:?}", file.display(), parsed.err());
    }
}

#[test]
fn the_desired_state_example_is_valid() {
    let desired = keyrot::config::load_file(Path::new(EXAMPLE_FILE)).unwrap();
    for &vendor in keyrot::vendor::VENDORS {
        let resources = desired.resources_of(vendor).count();
        assert!(resources > 0, "the example shows {}", vendor.counted_as);
    }
}
