//! The desired-state model: parse, merge defaults, validate, with source locations for errors.

pub(crate) mod block;
mod duration;
pub(crate) mod entries;
mod error;
mod instant;
pub(crate) mod load;
mod location;
mod model;
mod names;
pub(crate) mod number;
mod rate_limit;
pub(crate) mod raw;
pub(crate) mod schema;
pub(crate) mod section;
pub(crate) mod suggest;
mod unknown_fields;
pub(crate) mod validate;
mod yaml_error;

pub use duration::{DurationError, format_duration, parse_duration};
pub use error::{ConfigError, Diagnostic};
pub use instant::{InstantError, parse_instant};
pub use load::{SUPPORTED_VERSION, load_bytes, load_file, load_file_resolving_in};
pub use location::sink_location;
pub use model::{
    Backend, Connection, DEFAULT_MAX_CLOCK_SKEW, DEFAULT_MAX_ROTATIONS_PER_APPLY,
    DEFAULT_MIN_ROTATION_GAP, DEFAULT_ROTATION_WINDOW, DEFAULT_SINK_TIMEOUT, DesiredState,
    Resource, RotationPolicy, SecretSink, Settings, UnknownResources,
};
pub use names::{SINK_PLACEHOLDER, resource_names};
pub use rate_limit::{RateLimit, RateLimitError, parse_rate_limit};
pub use schema::desired_state_schema;
