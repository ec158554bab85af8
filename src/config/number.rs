//! A YAML number as written, integer or not, so that range and wholeness are checked with a
//! location-bearing message instead of a bare type error.

use std::fmt;

use serde::de::{Deserialize, Deserializer, Error, Visitor};

/// A number read from the file, integer or not.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Number(pub f64);

impl Number {
    /// The value as a whole number within `min..=max`, or `None`.
    pub fn whole_in(self, min: u64, max: u64) -> Option<u64> {
        let value = self.0;
        let in_range = value.fract() == 0.0 && value >= min as f64 && value <= max as f64;
        in_range.then_some(value as u64)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_f64(NumberVisitor)
    }
}

struct NumberVisitor;

impl Visitor<'_> for NumberVisitor {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_f64<E: Error>(self, value: f64) -> Result<Number, E> {
        Ok(Number(value))
    }

    fn visit_i64<E: Error>(self, value: i64) -> Result<Number, E> {
        Ok(Number(value as f64))
    }

    fn visit_u64<E: Error>(self, value: u64) -> Result<Number, E> {
        Ok(Number(value as f64))
    }
}
