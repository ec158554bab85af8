//! The rules of docs/architecture.md that a test can keep: no two modules of one folder import
//! each other, directly or around a circle; and only a vendor's own folder names it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every module of `src/` by path (`provider::seam`), with its source before its tests.
fn modules() -> BTreeMap<String, String> {
    let mut modules = BTreeMap::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let relative = path.strip_prefix(&root).unwrap().with_extension("");
            let name = relative.to_string_lossy().replace('/', "::");
            let name = name.strip_suffix("::mod").unwrap_or(&name).to_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            // Up to its unit tests, which may use a real vendor as their fixture.
            let before_tests = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap()
                .to_owned();
            modules.insert(name, before_tests);
        }
    }
    modules
}

/// The modules `text` (of module `module`) names through `crate::` or `super::` paths.
fn imports(module: &str, text: &str, known: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for start in ["crate::", "super::"] {
        for (at, _) in text.match_indices(start) {
            let path: String = text[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut parts: Vec<&str> = path.split("::").filter(|part| !part.is_empty()).collect();
            let mut base: Vec<&str> = module.split("::").collect();
            if parts[0] == "crate" {
                base.clear();
                parts.remove(0);
            }
            while parts.first() == Some(&"super") {
                base.pop();
                parts.remove(0);
            }
            let target = (1..=parts.len()).rev().find_map(|length| {
                let candidate = [base.clone(), parts[..length].to_vec()].concat().join("::");
                known.contains_key(&candidate).then_some(candidate)
            });
            found.extend(target.filter(|target| target != module));
        }
    }
    found
}

/// The folder holding a module: `provider` for `provider::seam`.
fn folder(module: &str) -> &str {
    module.rsplit_once("::").map_or("", |(folder, _)| folder)
}

#[test]
fn no_two_modules_of_a_folder_import_each_other_around_a_circle() {
    let modules = modules();
    let edges: BTreeMap<&str, BTreeSet<String>> = modules
        .iter()
        .map(|(module, text)| {
            let siblings = imports(module, text, &modules)
                .into_iter()
                .filter(|target| folder(target) == folder(module))
                .collect();
            (module.as_str(), siblings)
        })
        .collect();
    let mut circles = Vec::new();
    for &start in edges.keys() {
        // Every module reachable from `start` through its siblings; a circle returns to it.
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&str> = edges[start].iter().map(String::as_str).collect();
        while let Some(next) = todo.pop() {
            if next == start {
                circles.push(start);
                break;
            }
            if seen.insert(next) {
                todo.extend(edges[next].iter().map(String::as_str));
            }
        }
    }
    assert!(circles.is_empty(), "modules on a circle: {circles:?}");
}

#[test]
fn the_circle_check_finds_a_circle() {
    let known: BTreeMap<String, String> = [
        ("a::x".to_owned(), "use super::y::Y;".to_owned()),
        ("a::y".to_owned(), "use crate::a::x::X;".to_owned()),
    ]
    .into();
    assert_eq!(
        imports("a::x", &known["a::x"], &known),
        ["a::y".to_owned()].into()
    );
    assert_eq!(
        imports("a::y", &known["a::y"], &known),
        ["a::x".to_owned()].into()
    );
}

#[test]
fn only_a_vendors_own_folder_names_its_parts() {
    let modules = modules();
    let mut named = Vec::new();
    for (module, text) in &modules {
        for vendor in keyrot::vendor::VENDORS.iter().map(|vendor| vendor.key) {
            // A vendor's folder, or the folder of another vendor of its API, named after it
            // (`cloudflare_tokens` speaks Cloudflare's envelope and credentials).
            let own = module.starts_with(&format!("vendor::{vendor}"));
            let registry = module == "vendor::registry";
            let listed = text.match_indices("vendor::{").any(|(at, _)| {
                let list = &text[at..];
                list[..list.find('}').unwrap_or(list.len())].contains(vendor)
            });
            if !own && !registry && (text.contains(&format!("vendor::{vendor}")) || listed) {
                named.push(format!("{module} names vendor::{vendor}"));
            }
        }
    }
    assert!(named.is_empty(), "{named:#?}");
}

#[test]
fn only_a_vendors_own_folder_spells_its_attributes() {
    let modules = modules();
    let mut spelled = Vec::new();
    for vendor in keyrot::vendor::VENDORS {
        let own = format!("vendor::{}", vendor.key);
        let attributes = [
            Some(vendor.last_rotation_attribute),
            vendor.interval_attribute,
            vendor.expiry.as_ref().map(|expiry| expiry.attribute),
        ];
        for attribute in attributes.into_iter().flatten() {
            let quoted = format!("\"{attribute}");
            for (module, text) in &modules {
                // The JSON document's own field for a warning's instant, in every vendor's
                // warnings alike (docs/json-format.md), happens to be RIXL's word.
                let documented = module == "render::json" && attribute == "expiring_at";
                if !module.starts_with(&own) && !documented && text.contains(&quoted) {
                    spelled.push(format!("{module} spells {attribute}"));
                }
            }
        }
    }
    assert!(spelled.is_empty(), "{spelled:#?}");
}
