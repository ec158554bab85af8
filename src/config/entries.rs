//! A YAML mapping of resource names to values, kept in file order with each name's location.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

use super::block::{HasShape, HoldsUnknownFields, Located, Shape};

/// The entries of a mapping in the order the file lists them. Duplicate names never reach this
/// type: the YAML reader rejects duplicate keys with their location.
pub(crate) struct Entries<V>(pub Vec<(Located<String>, Located<V>)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

struct EntriesVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
    type Value = Entries<V>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping of names to settings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Entries(entries))
    }

    /// `accounts:` with nothing after it reads as null: no entries.
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Entries(Vec::new()))
    }
}

impl<T: HoldsUnknownFields> HoldsUnknownFields for Entries<T> {
    fn holds_unknown_fields(&self) -> bool {
        self.0.iter().any(|(_, value)| value.holds_unknown_fields())
    }
}

impl<T: HasShape> HasShape for Entries<T> {
    fn shape() -> Shape {
        Shape::Named(T::shape)
    }
}
