//! A vendor's section of the desired-state file, as the vendor's own folder declares it, and
//! the list of every vendor's sections the whole-file reader is given.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::block::{Block, HasShape, HoldsUnknownFields};
use super::model::{Connection, Resource};
use super::validate::Checker;

/// One vendor's section (`cloudflare:`), declared with `block!` in the vendor's folder.
pub(crate) trait Section:
    Block + HoldsUnknownFields + HasShape + for<'de> Deserialize<'de>
{
    /// Validates the section as written into the vendor's resources, in file order, and how
    /// to reach its API. `checker` collects every problem with its location and keeps
    /// resource names unique across the file; relative paths resolve against `base_dir`.
    fn validate(self, checker: &mut Checker, base_dir: &Path) -> ValidatedSection;

    /// The section's JSON Schema, and the definitions (`$defs`) it refers to.
    fn schema() -> SectionSchema;
}

/// A vendor's section after validation.
pub(crate) struct ValidatedSection {
    /// Its resources, in file order.
    pub resources: Vec<Resource>,
    /// How to reach the vendor's API.
    pub connection: Connection,
}

/// A vendor section's part of the JSON Schema.
pub(crate) struct SectionSchema {
    /// The section's own schema.
    pub section: Value,
    /// The definitions it refers to as `#/$defs/NAME`, by name.
    pub definitions: Vec<(&'static str, Value)>,
}

/// Validates every section `sections` holds with `checker`: every vendor's resources in one
/// list, in the vendor list's order, and how to reach each vendor.
pub(crate) fn validate_sections<S: Sections>(
    sections: S,
    checker: &mut Checker,
    base_dir: &Path,
) -> (Vec<Resource>, Vec<Connection>) {
    let sections = sections.validate(checker, base_dir);
    // A new vector of the exact size, not `collect`, which would keep a larger allocation.
    let count = sections.iter().map(|section| section.resources.len()).sum();
    let mut resources = Vec::with_capacity(count);
    let mut connections = Vec::with_capacity(sections.len());
    for section in sections {
        resources.extend(section.resources);
        connections.push(section.connection);
    }
    (resources, connections)
}

/// Every vendor's section, as the vendor list declares them (`vendor::registry`): one field
/// per vendor, named as its section.
pub(crate) trait Sections: Block + HoldsUnknownFields + HasShape {
    /// Validates every section the file has, in the vendor list's order.
    fn validate(self, checker: &mut Checker, base_dir: &Path) -> Vec<ValidatedSection>;

    /// Every section's schema, by section name, in the vendor list's order.
    fn schemas() -> Vec<(&'static str, SectionSchema)>;
}
