//! A YAML scalar where a number belongs, kept as written, so that type, range and wholeness are
//! all checked later with the value's own location.

use std::fmt;

use serde::de::{Deserialize, Deserializer, Error, Visitor};

/// A scalar read where a number was expected.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Number {
    /// A number, integer or not.
    Numeric(f64),
    /// Anything else, as written.
    Other(String),
}

impl Number {
    /// The value as a whole number within `min..=max`, or `None`.
    pub fn whole_in(&self, min: u64, max: u64) -> Option<u64> {
        let Self::Numeric(value) = *self else {
            return None;
        };
        let in_range = value.fract() == 0.0 && value >= min as f64 && value <= max as f64;
        in_range.then_some(value as u64)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::Numeric(value) => write!(f, "{value}"),
            Self::Other(text) => write!(f, "{text:?}"),
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NumberVisitor)
    }
}

struct NumberVisitor;

impl Visitor<'_> for NumberVisitor {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_f64<E: Error>(self, value: f64) -> Result<Number, E> {
        Ok(Number::Numeric(value))
    }

    fn visit_i64<E: Error>(self, value: i64) -> Result<Number, E> {
        Ok(Number::Numeric(value as f64))
    }

    fn visit_u64<E: Error>(self, value: u64) -> Result<Number, E> {
        Ok(Number::Numeric(value as f64))
    }

    fn visit_bool<E: Error>(self, value: bool) -> Result<Number, E> {
        Ok(Number::Other(value.to_string()))
    }

    fn visit_str<E: Error>(self, value: &str) -> Result<Number, E> {
        Ok(Number::Other(value.to_owned()))
    }

    /// `key:` with no value.
    fn visit_unit<E: Error>(self) -> Result<Number, E> {
        Ok(Number::Other(String::new()))
    }
}
