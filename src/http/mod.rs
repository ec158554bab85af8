//! The shared HTTP layer: base URLs, the reused client, timeouts, transport errors.

mod base_url;
mod client;

pub use base_url::{endpoint, parse_base_url};
pub use client::{CONNECT_TIMEOUT, REQUEST_TIMEOUT, build_client, describe_transport_error};
