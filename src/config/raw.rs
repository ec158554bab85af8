//! The desired-state file as written: serde types that keep every value's source location.
//! A field these types do not know is only noted here; `unknown_fields` finds where it is, so
//! that a typo does not hide the file's other problems.

use std::fmt;
use std::marker::PhantomData;

pub(crate) use super::block::Located;
use super::block::{Block, HasShape, HoldsUnknownFields, Shape, block};
use super::number::Number;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

/// Reads only `version`, so that a file of another version that does not read as version 1
/// gets a version error rather than errors about fields it does not know.
#[derive(Deserialize)]
pub(crate) struct VersionProbe {
    pub version: Option<Located<Number>>,
}

/// The whole file, version 1: the run's settings and every vendor's section, `S` (the vendor
/// list's sections, `vendor::registry::FileSections`). A key that is neither is noted, as a
/// block notes a field it does not know.
#[derive(Default)]
pub(crate) struct RawFile<S> {
    /// Checked before anything else is judged (by `VersionProbe` when the file does not read
    /// as this type).
    pub version: Option<Located<Number>>,
    pub settings: Option<RawSettings>,
    /// Every vendor's section.
    pub sections: S,
    /// The file names a key it does not know.
    has_unknown_field: bool,
}

/// The keys of the file other than the vendors' sections.
const FILE_FIELDS: [&str; 2] = ["version", "settings"];

impl<'de, S: Block> Deserialize<'de> for RawFile<S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct("RawFile", &FILE_FIELDS, FileVisitor(PhantomData))
    }
}

struct FileVisitor<S>(PhantomData<S>);

impl<'de, S: Block> Visitor<'de> for FileVisitor<S> {
    type Value = RawFile<S>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping (`name: value` lines)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFile<S>, A::Error> {
        let mut file = RawFile::<S>::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "version" => file.version = map.next_value()?,
                "settings" => file.settings = map.next_value()?,
                section => {
                    if !file.sections.read_named(section, &mut map)? {
                        map.next_value::<IgnoredAny>()?;
                        file.has_unknown_field = true;
                    }
                }
            }
        }
        Ok(file)
    }
}

impl<S: Block + HoldsUnknownFields> HoldsUnknownFields for RawFile<S> {
    fn holds_unknown_fields(&self) -> bool {
        self.has_unknown_field
            || self.settings.holds_unknown_fields()
            || self.sections.holds_unknown_fields()
    }
}

impl<S: Block + HasShape> HasShape for RawFile<S> {
    fn shape() -> Shape {
        let mut fields = FILE_FIELDS.to_vec();
        fields.extend(S::FIELDS);
        Shape::Block {
            fields,
            child: |field| match (field, S::shape()) {
                ("settings", _) => RawSettings::shape(),
                (_, Shape::Block { child, .. }) => child(field),
                _ => Shape::Value,
            },
        }
    }
}

block! {
    /// `settings:`: run-wide guardrails.
    pub(crate) struct RawSettings {
        pub max_rotations_per_apply: Option<Located<Number>>,
        pub backend: Option<Located<String>>,
        pub max_clock_skew: Option<Located<String>>,
        pub alert_webhook_env: Option<Located<String>>,
    }
}

/// The rotation fields every resource kind has, as written.
pub(crate) struct RawRotation {
    pub max_key_age: Option<Located<String>>,
    pub rotate_by: Option<Located<String>>,
    pub rotation_window: Option<Located<String>>,
    pub min_rotation_gap: Option<Located<String>>,
}

block! {
    /// `secret:`: where a new secret goes; exactly one of the two.
    pub(crate) struct RawSink {
        pub file: Option<Located<String>>,
        pub command: Option<Located<Vec<String>>>,
        pub timeout: Option<Located<String>>,
        pub env: Option<Located<Vec<String>>>,
    }
}
