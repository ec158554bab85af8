//! A block of the desired-state file (`settings:`, an account, a sink): a struct of optional
//! fields that reads its known fields and notes, without failing, a field it does not know, so
//! that the file is parsed once and a typo does not hide the file's other problems.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeSeed, Deserializer, Error, IgnoredAny, MapAccess, Visitor};

use super::number::Number;
use serde_saphyr::Spanned;

/// A value with the line and column it was read from.
pub(crate) type Located<T> = Spanned<T>;

/// Declares a block: the struct with a field that records an unknown name, its `FIELDS`, and
/// its reader. Every field is an `Option`, absent until the file gives it.
macro_rules! block {
    (
        $(#[$meta:meta])*
        pub(crate) struct $name:ident {
            $( $(#[$field_meta:meta])* pub $field:ident: $type:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Default)]
        pub(crate) struct $name {
            $( $(#[$field_meta])* pub $field: $type, )*
            /// The block itself names a field it does not know.
            has_unknown_field: bool,
        }

        impl $crate::config::block::Block for $name {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            fn read_field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                field: &'static str,
                map: &mut A,
            ) -> Result<(), A::Error> {
                match field {
                    $( stringify!($field) => self.$field = map.next_value()?, )*
                    _ => self.has_unknown_field = true,
                }
                Ok(())
            }

            fn note_unknown_field(&mut self) {
                self.has_unknown_field = true;
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::config::block::read_block(deserializer, stringify!($name))
            }
        }

        impl $crate::config::block::HasShape for $name {
            fn shape() -> $crate::config::block::Shape {
                $crate::config::block::Shape::Block {
                    fields: <Self as $crate::config::block::Block>::FIELDS.to_vec(),
                    child: |field| match field {
                        $( stringify!($field) => {
                            <$type as $crate::config::block::HasShape>::shape()
                        } )*
                        _ => $crate::config::block::Shape::Value,
                    },
                }
            }
        }

        impl $crate::config::block::HoldsUnknownFields for $name {
            fn holds_unknown_fields(&self) -> bool {
                self.has_unknown_field
                    $( || self.$field.holds_unknown_fields() )*
            }
        }
    };
}

pub(crate) use block;

/// A block's fields and how to read one of them.
pub(crate) trait Block: Default {
    /// The names of the block's fields, in the order they are declared.
    const FIELDS: &'static [&'static str];

    /// Reads the value of `field`, one of `FIELDS`, from `map`.
    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        field: &'static str,
        map: &mut A,
    ) -> Result<(), A::Error>;

    /// Records that the block names a field it does not know.
    fn note_unknown_field(&mut self);

    /// Reads the value of `name` from `map` if it is one of `FIELDS`; false (nothing read)
    /// when it is not.
    fn read_named<'de, A: MapAccess<'de>>(
        &mut self,
        name: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match Self::FIELDS.iter().find(|field| **field == name) {
            Some(field) => self.read_field(field, map).map(|()| true),
            None => Ok(false),
        }
    }
}

/// A value read from the file that may hold a block naming a field it does not know; where
/// such a field is, `unknown_fields` finds.
pub(crate) trait HoldsUnknownFields {
    /// Some block in this value names a field it does not know.
    fn holds_unknown_fields(&self) -> bool;
}

impl<T: HoldsUnknownFields> HoldsUnknownFields for Option<T> {
    fn holds_unknown_fields(&self) -> bool {
        self.as_ref().is_some_and(T::holds_unknown_fields)
    }
}

impl<T: HoldsUnknownFields> HoldsUnknownFields for Located<T> {
    fn holds_unknown_fields(&self) -> bool {
        self.value.holds_unknown_fields()
    }
}

/// What a place in the file holds, as the walk that finds unknown fields sees it.
#[derive(Clone)]
pub(crate) enum Shape {
    /// A block: the fields it may hold, and the shape under each.
    Block {
        /// Its fields' names.
        fields: Vec<&'static str>,
        /// The shape under a field.
        child: fn(&str) -> Shape,
    },
    /// A mapping of names the file chooses (resource names) to values of one shape.
    Named(fn() -> Shape),
    /// A scalar or a list: nothing in it is a field.
    Value,
}

/// A type read from the file, and the shape of what it reads.
pub(crate) trait HasShape {
    /// What this type reads.
    fn shape() -> Shape;
}

impl<T: HasShape> HasShape for Option<T> {
    fn shape() -> Shape {
        T::shape()
    }
}

impl<T: HasShape> HasShape for Located<T> {
    fn shape() -> Shape {
        T::shape()
    }
}

/// Scalars and lists of them hold no fields.
macro_rules! holds_no_fields {
    ($($type:ty),*) => {
        $(impl HoldsUnknownFields for $type {
            fn holds_unknown_fields(&self) -> bool {
                false
            }
        }

        impl HasShape for $type {
            fn shape() -> Shape {
                Shape::Value
            }
        })*
    };
}

holds_no_fields!(String, Number, Vec<String>);

/// Reads a block named `name` (the name serde's error messages use).
pub(crate) fn read_block<'de, T: Block, D: Deserializer<'de>>(
    deserializer: D,
    name: &'static str,
) -> Result<T, D::Error> {
    deserializer.deserialize_struct(name, T::FIELDS, BlockVisitor(PhantomData))
}

struct BlockVisitor<T>(PhantomData<T>);

impl<'de, T: Block> Visitor<'de> for BlockVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping (`name: value` lines)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut block = T::default();
        while let Some(field) = map.next_key_seed(FieldName(T::FIELDS))? {
            match field {
                Some(field) => block.read_field(field, &mut map)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                    block.note_unknown_field();
                }
            }
        }
        Ok(block)
    }
}

/// Reads a key of a block as one of its field names, or `None` for a name it does not know.
struct FieldName(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldName {
    type Value = Option<&'static str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldName {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().copied().find(|field| *field == name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::raw::{RawFile, RawSink};
    use crate::vendor::registry::FileSections;

    fn file(text: &str) -> RawFile<FileSections> {
        serde_saphyr::from_str(text).expect("reads as the file's types")
    }

    #[test]
    fn a_block_reads_its_fields_and_notes_one_it_does_not_know() {
        let sink: RawSink = serde_saphyr::from_str("fil: a\ntimeout: 5s\n").expect("a sink");
        assert!(sink.holds_unknown_fields());
        assert!(sink.file.is_none());
        assert_eq!(sink.timeout.expect("timeout read").value, "5s");
    }

    #[test]
    fn an_unknown_field_at_any_depth_is_held_by_the_file() {
        let deep = "version: 1\nrixl:\n  api_keys:\n    ci:\n      secret: {file: a, mode: 600}\n";
        assert!(file(deep).holds_unknown_fields());
        let in_defaults = "version: 1\ncloudflare:\n  defaults: {max_age: 90d}\n";
        assert!(file(in_defaults).holds_unknown_fields());
    }

    #[test]
    fn a_file_of_known_fields_holds_none() {
        let known = "version: 1\nsettings: {backend: local}\ncloudflare:\n  accounts:\n    any-name: {account_id: x, rotate_by: 2030-01-01}\n";
        assert!(!file(known).holds_unknown_fields());
    }

    #[test]
    fn the_fields_are_the_declared_ones_in_order() {
        assert_eq!(RawSink::FIELDS, ["file", "command", "timeout", "env"]);
    }
}
