//! The vendors' APIs behind one small seam ([`Provider`]): read live state, write planned
//! actions. Each vendor implements it in its own folder under `vendor/`.

mod early_stop;
mod error;
mod execute;
mod providers;
mod read_only;
mod seam;
mod wire_instant;

pub use early_stop::{ParallelReads, Reads, StopRules, in_parallel};
pub use error::{ApiMessage, ProviderError, ResourceLabel};
pub use execute::{ActionEffect, ActionWriter, CurrentState, Executed, LiveRead, LiveReader};
pub use providers::Providers;
pub use read_only::ReadOnlyProviders;
pub use seam::{ConfigureProvider, Provider};
pub use wire_instant::{BadInstant, wire_instant};
