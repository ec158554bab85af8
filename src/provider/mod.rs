//! The vendors' APIs behind a small seam: read live state, execute planned actions.

pub mod cloudflare;
mod error;
mod execute;
mod providers;
mod read_only;
pub mod rixl;

pub use error::{ApiMessage, ProviderError, ResourceLabel};
pub use execute::{ActionEffect, ActionWriter, Executed};
pub use providers::{LiveReader, Providers};
pub use read_only::ReadOnlyProviders;
