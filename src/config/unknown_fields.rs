//! Finds every field the file names that keyrot does not know, so that one typo does not hide
//! the file's other problems. The fields each block may hold come from the blocks' declarations.

use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::block::Shape;
use super::error::Diagnostic;
use super::raw::Located;
use super::suggest::nearest;
use super::yaml_error::unknown_field;

/// The file's mappings and their keys with locations; any other value is opaque.
pub(crate) enum Outline {
    /// A mapping, its entries in file order.
    Mapping(Vec<(Located<String>, Outline)>),
    /// A scalar, a list or null: nothing in it can be an unknown field.
    Other,
}

/// The fields of a file that the blocks holding them do not know.
#[derive(Clone, Debug, Default)]
pub(crate) struct UnknownFields {
    /// A diagnostic for each, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// The known fields they most likely misspell, by the resource whose block holds them.
    pub misspelt: Vec<Misspelt>,
}

/// A resource's block holds an unknown field that is most likely `field`, misspelt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Misspelt {
    /// Where the resource's name is.
    pub line: u64,
    /// Its column.
    pub column: u64,
    /// The known field nearest the unknown one.
    pub field: &'static str,
}

/// Every key of `outline` that the block holding it does not know; `file` is the shape of the
/// whole file.
pub(crate) fn unknown_fields(outline: &Outline, file: &Shape) -> UnknownFields {
    let mut found = UnknownFields::default();
    check(file, outline, None, &mut found);
    found
}

/// Walks `outline` as `shape`; `resource` is the name of the resource whose own block this
/// is, if it is one.
fn check(
    shape: &Shape,
    outline: &Outline,
    resource: Option<&Located<String>>,
    found: &mut UnknownFields,
) {
    let Outline::Mapping(entries) = outline else {
        return;
    };
    match shape {
        Shape::Value => {}
        Shape::Named(value) => {
            for (name, entry) in entries {
                check(&value(), entry, Some(name), found);
            }
        }
        Shape::Block { fields, child } => {
            for (key, value) in entries {
                if fields.contains(&key.value.as_str()) {
                    check(&child(&key.value), value, None, found);
                    continue;
                }
                found.diagnostics.push(Diagnostic {
                    line: key.referenced.line(),
                    column: key.referenced.column(),
                    message: unknown_field(&key.value, fields),
                });
                if let (Some(name), Some(field)) = (resource, nearest(&key.value, fields)) {
                    found.misspelt.push(Misspelt {
                        line: name.referenced.line(),
                        column: name.referenced.column(),
                        field,
                    });
                }
            }
        }
    }
}

impl<'de> Deserialize<'de> for Outline {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OutlineVisitor)
    }
}

struct OutlineVisitor;

impl<'de> Visitor<'de> for OutlineVisitor {
    type Value = Outline;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Outline, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Outline::Mapping(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Outline, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Outline::Other)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Outline, E> {
        Ok(Outline::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Outline, E> {
        Ok(Outline::Other)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Outline, E> {
        Ok(Outline::Other)
    }

    fn visit_i128<E>(self, _: i128) -> Result<Outline, E> {
        Ok(Outline::Other)
    }

    fn visit_u128<E>(self, _: u128) -> Result<Outline, E> {
        Ok(Outline::Other)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Outline, E> {
        Ok(Outline::Other)
    }

    fn visit_str<E>(self, _: &str) -> Result<Outline, E> {
        Ok(Outline::Other)
    }

    fn visit_unit<E>(self) -> Result<Outline, E> {
        Ok(Outline::Other)
    }

    fn visit_none<E>(self) -> Result<Outline, E> {
        Ok(Outline::Other)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Outline, D::Error> {
        deserializer.deserialize_any(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::block::HasShape;
    use crate::config::raw::RawFile;
    use crate::vendor::registry::FileSections;

    fn unknown(outline: &Outline) -> Vec<Diagnostic> {
        unknown_fields(outline, &RawFile::<FileSections>::shape()).diagnostics
    }

    fn outline(text: &str) -> Outline {
        serde_saphyr::from_str(text).expect("YAML")
    }

    #[test]
    fn every_unknown_field_is_found_at_every_depth() {
        let text = "version: 1\ncolour: red\ncloudflare:\n  accounts:\n    prod:\n      acount_id: x\n      nested: {deeper: 1}\nrixl:\n  api_keys:\n    ci:\n      secret: {fil: a}\n";
        let found: Vec<_> = unknown(&outline(text))
            .into_iter()
            .map(|diagnostic| (diagnostic.line, diagnostic.column))
            .collect();
        assert_eq!(found, [(2, 1), (6, 7), (7, 7), (11, 16)]);
    }

    #[test]
    fn resource_names_and_values_are_not_fields() {
        let text = "version: 1\ncloudflare:\n  accounts:\n    any-name: {account_id: x}\n  rate_limit: {weird: 1}\n";
        assert!(unknown(&outline(text)).is_empty());
    }
}
