//! The vendors' APIs behind a small seam: read live state, execute planned actions.

pub mod cloudflare;
mod error;
mod providers;

pub use error::{ApiMessage, ProviderError, ResourceLabel};
pub use providers::{ActionEffect, ActionWriter, LiveReader, Providers};
